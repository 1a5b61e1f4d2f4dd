"""The back office in a real Chromium: a reviewer approves a claim from the queue after looking at
its photo; service staff process a merchant's exit. Screenshots: test-output/screenshots/admin-*.png."""

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from merchants.models import Enrolment
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    # English, so the test reads the source strings whatever translations exist.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}, "locale": "en-US"}


def _log_in(page, base, username):
    page.goto(f"{base}/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw-for-tests-1")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()


def test_a_reviewer_approves_a_claim_with_a_photo_from_the_queue(page, live_server, screenshot):
    world = World()
    claim = world.claim(kind="return_refund")
    base = live_server.url

    _log_in(page, base, "reviewer")
    expect(page.locator('[data-card="queue"] .zb-card-count')).to_have_text("1")
    screenshot("admin-1-today-reviewer")

    page.locator('[data-card="queue"]').click()
    row = page.locator("#result_list tbody tr", has_text=claim.claim_id)
    expect(row.locator(".zb-countdown")).to_have_class("zb-countdown zb-ok")
    screenshot("admin-2-review-queue")

    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("#claim-status")).to_have_attribute("data-status", "submitted")
    expect(page.locator(".zb-thumb img").first).to_be_visible()
    # The photo arrives through the scoped evidence view, not a public media URL.
    page.wait_for_function("() => { const i = document.querySelector('.zb-thumb img'); return i.naturalWidth > 0; }")
    screenshot("admin-3-review-page")

    page.locator(".zb-thumb a").first.click()  # the evidence workspace shows it large (R-EVI-1)
    expect(page.locator("#ws-stage")).to_be_focused()
    page.keyboard.press("+")
    expect(page.locator("[data-ws-zoom]")).to_have_text("125%")
    screenshot("admin-4-photo-full-size")
    page.keyboard.press("0")
    page.locator("#ws-stage").blur()

    page.keyboard.press("a")  # the approve form's problem code, by keyboard
    expect(page.locator("#act-approve select[name=problem_code]")).to_be_focused()
    page.locator("#act-approve select[name=problem_code]").select_option("leaking_water_or_power")
    page.locator("#act-approve button[type=submit]").click()

    expect(page.locator("#claim-status")).to_have_attribute("data-status", "awaiting_return")
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#claim-history li").last).to_have_attribute("data-target", "awaiting_return")
    screenshot("admin-5-approved")
    decided = Claim.objects.get(pk=claim.pk)
    assert decided.status == "awaiting_return" and decided.decisions.get().problem_code == "leaking_water_or_power"


def test_service_staff_process_a_merchants_exit(page, live_server, screenshot):
    world = World()
    world.claim()
    base = live_server.url

    _log_in(page, base, "staff")
    page.goto(f"{base}/admin/merchants/enrolment/")
    page.locator("#result_list").get_by_role("link", name=str(world.shop)).first.click()
    screenshot("admin-6-enrolment-active")

    page.locator('.zb-actions [data-action="file_exit"]').click()
    expect(page.locator(".zb-facts")).to_contain_text("may apply again from")
    page.locator("#act-file_exit textarea[name=reason]").fill("商家经营调整，申请退出质保服务")
    screenshot("admin-7-file-exit")
    page.locator("#act-file_exit button[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    page.locator('.zb-actions [data-action="complete_exit"]').click()
    expect(page.locator(".zb-facts")).to_contain_text("Policies in cover")
    page.locator("#act-complete_exit textarea[name=reason]").fill("退出手续办结")
    page.locator("#act-complete_exit button[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("may apply again from")
    expect(page.locator(".zb-facts")).to_contain_text("May apply again from")
    screenshot("admin-8-exited")
    assert Enrolment.objects.get(pk=world.enrolment.pk).status == "exited"


def test_a_supervisor_reads_the_service_figures(page, live_server, screenshot):
    world = World()
    world.approved()
    world.claim()
    base = live_server.url

    _log_in(page, base, "supervisor")
    page.locator('[data-card="figures"]').click()
    expect(page.locator("#figure-sla svg.zb-chart")).to_be_visible()
    expect(page.locator("#figure-approval_by_reason svg.zb-chart")).to_be_visible()
    screenshot("admin-9-service-figures")
