"""R-AUTH-1 four-eyes confirmation in a real Chromium: a reviewer approves above their limit and
the decision waits; the reviewer cannot confirm it themselves; the supervisor confirms it from
"awaiting second approval" and it takes effect. Screenshots: test-output/screenshots/four-eyes-*.png."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from claims.models import AuthorityLimit, Claim, PendingDecision
from kernel.actors import Role
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "en-US"}


def _log_in(page, base, username):
    page.context.clear_cookies()  # a fresh session for each person
    page.goto(f"{base}/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw-for-tests-1")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()


def test_r_auth_1_four_eyes_a_supervisor_confirms_what_the_reviewer_may_not_approve_alone(
    page, live_server, screenshot
):
    world = World()
    AuthorityLimit.objects.filter(insurer=world.insurer, role=Role.REVIEWER).update(
        approve_alone_up_to=Decimal("100.00")
    )
    claim = world.claim(paid="199.00")
    base = live_server.url

    # The reviewer approves ¥199.00 with a limit of ¥100.00: recorded, not in effect.
    _log_in(page, base, "reviewer")
    page.goto(f"{base}/admin/claims/claim/{claim.pk}/change/")
    page.locator("#act-approve select[name=problem_code]").select_option("leaking_water_or_power")
    page.locator("#act-approve button[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("awaits a second approval")
    page.goto(f"{base}/admin/claims/claim/{claim.pk}/change/")
    expect(page.locator("#claim-status")).to_have_attribute("data-status", "submitted")
    expect(page.locator("#pending-approval")).to_contain_text("¥199.00")
    screenshot("four-eyes-1-pending")

    # The same person is refused, with the reason on the page.
    page.locator("#pending-approval-link").click()
    page.locator('.zb-actions [data-action="confirm"]').click()
    page.locator("#act-confirm button[type=submit]").click()
    expect(page.locator("#act-confirm .zb-errors")).to_contain_text("another person with the authority")
    screenshot("four-eyes-2-same-person-refused")
    assert Claim.objects.get(pk=claim.pk).status == "submitted"

    # The supervisor finds it in the queue and confirms it: it takes effect now.
    _log_in(page, base, "supervisor")
    page.goto(f"{base}/admin/claims/pendingdecision/")
    row = page.locator("#result_list tbody tr", has_text=claim.claim_id)
    expect(row).to_contain_text("199.00")
    screenshot("four-eyes-3-queue")
    row.locator("th a").click()
    page.locator('.zb-actions [data-action="confirm"]').click()
    page.locator("#act-confirm button[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("has taken effect")
    expect(page.locator("#result_list tbody tr", has_text=claim.claim_id)).to_have_count(0)

    page.goto(f"{base}/admin/claims/claim/{claim.pk}/change/")
    expect(page.locator("#claim-status")).to_have_attribute("data-status", "awaiting_return")
    expect(page.locator('#approval-steps [data-step="confirmed"]')).to_contain_text("supervisor")
    screenshot("four-eyes-4-confirmed")
    assert PendingDecision.objects.get(claim=claim).status == "confirmed"
    assert Claim.objects.get(pk=claim.pk).decisions.get().approved_amount == Decimal("199.00")
