"""The reviewer's desk in a real Chromium (issue 15, items 4 and 5): the lists fit a 1440×900
screen with a dozen rows and more and no sideways scrolling (and stay usable on a 390×844 phone),
a decision opens the next claim of the queue, and a button refused because another tab decided
first says why on the page it lands on. Screenshots: /work/shots/desk-*.png when that folder
exists, else test-output/screenshots/."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from tests.factories import ShopFactory
from tests.world import World

from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/work/shots") if Path("/work/shots").is_dir() else SCREENSHOTS

# Nothing scrolls sideways: neither the page nor the table inside its box.
FITS = """() => {
  const page = document.documentElement;
  const box = document.querySelector('#changelist .results');
  return page.scrollWidth <= page.clientWidth && (!box || box.scrollWidth <= box.clientWidth);
}"""
PAGE_FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
PHOTO_SHOWN = "() => { const i = document.querySelector('.zb-thumb img'); return i && i.naturalWidth > 0; }"
ROWS_IN_VIEW = """() => [...document.querySelectorAll('#result_list tbody tr')]
  .filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESK, "locale": "en-US"}


@pytest.fixture
def shot(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return lambda name: page.screenshot(path=str(SHOTS / f"desk-{name}.png"))


def _log_in(page, base, username):
    page.goto(f"{base}/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw-for-tests-1")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()


def _busy_day(world, claims=16):
    """A morning's queue over both shops, the oldest first; a photo on the first one only."""
    return [
        world.claim(
            shop=world.shop if i % 2 else world.other_shop,
            with_image=i == 0,
            now=world.now - dt.timedelta(minutes=10 * (claims - i)),
        )
        for i in range(claims)
    ]


def test_the_lists_fit_a_1440_screen_with_a_dozen_rows_and_the_claim_a_click_away(page, live_server, shot):
    world = World()
    made = _busy_day(world)
    for i in range(12):
        world.enrol(ShopFactory(shop_id=f"shop-more-{i}"), at=world.since)
    base = live_server.url

    _log_in(page, base, "supervisor")
    for name, url in (
        ("queue", "/admin/backoffice/queuedclaim/"),
        ("claims", "/admin/claims/claim/"),
        ("enrolments", "/admin/merchants/enrolment/"),
        ("notices", "/admin/notices/notice/"),
    ):
        page.goto(base + url)
        assert page.evaluate(FITS), f"{name}: something scrolls sideways at 1440×900"
        assert page.evaluate(ROWS_IN_VIEW) >= 12, f"{name}: fewer than 12 rows in view at 1440×900"
        shot(f"1440-{name}")

    page.goto(base + "/admin/backoffice/queuedclaim/")
    page.locator("#result_list tbody tr").first.get_by_role("link", name=made[0].claim_id).click()
    expect(page.locator(".zb-review")).to_have_attribute("data-claim", made[0].claim_id)
    page.wait_for_function(
        "() => { const i = document.querySelector('.zb-thumb img'); return i && i.naturalWidth > 0; }"
    )
    assert page.evaluate(PAGE_FITS)
    shot("1440-review")

    page.set_viewport_size(PHONE)
    page.goto(base + "/admin/backoffice/queuedclaim/")
    assert page.evaluate(PAGE_FITS), "the queue's page scrolls sideways on a 390×844 phone"
    expect(page.locator("#searchbar")).to_be_in_viewport()
    first = page.locator("#result_list tbody tr").first.get_by_role("link", name=made[0].claim_id)
    expect(first).to_be_in_viewport()
    shot("390-queue")
    first.click()
    expect(page.locator(".zb-review")).to_have_attribute("data-claim", made[0].claim_id)
    assert page.evaluate(PAGE_FITS), "the review page scrolls sideways on a 390×844 phone"
    expect(page.locator("#act-approve button[type=submit]")).to_be_attached()
    shot("390-review")


def test_a_decision_opens_the_next_claim_of_the_queue(page, live_server, shot):
    world = World()
    first, second, *_rest = _busy_day(world, claims=3)
    base = live_server.url

    _log_in(page, base, "reviewer")
    page.goto(base + "/admin/backoffice/queuedclaim/")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator(".zb-review")).to_have_attribute("data-claim", first.claim_id)
    page.locator("#act-approve select[name=problem_code]").select_option("leaking_water_or_power")
    page.locator("#act-approve button[type=submit]").click()

    expect(page.locator(".zb-review")).to_have_attribute("data-claim", second.claim_id)
    expect(page.locator(".messagelist .success")).to_contain_text(first.claim_id)
    expect(page.locator(".messagelist .info")).to_contain_text(f"Next in your queue: claim {second.claim_id}")
    shot("1440-next-claim")
    assert Claim.objects.get(pk=first.pk).status == "awaiting_return"


def test_a_decision_from_a_second_tab_after_the_first_decided_is_refused_with_its_reason(
    context, page, live_server, shot
):
    world = World()
    [claim] = _busy_day(world, claims=1)
    base = live_server.url
    _log_in(page, base, "reviewer")
    first_tab, second_tab = page, context.new_page()
    url = f"{base}/admin/claims/claim/{claim.pk}/change/"
    first_tab.goto(url)
    second_tab.goto(url)

    first_tab.locator("#act-approve select[name=problem_code]").select_option("leaking_water_or_power")
    first_tab.locator("#act-approve button[type=submit]").click()
    expect(first_tab.locator(".messagelist .success")).to_be_visible()

    second_tab.locator("#act-reject textarea[name=reason]").fill("人为损坏")
    second_tab.locator("#act-reject button[type=submit]").click()
    refusal = second_tab.locator(".messagelist .error")
    expect(refusal).to_contain_text("“Reject” was not done")
    expect(refusal).to_contain_text("This page is out of date")
    expect(refusal).to_contain_text("Last change: now Awaiting return")
    expect(second_tab.locator("#claim-status")).to_have_attribute("data-status", "awaiting_return")
    second_tab.screenshot(path=str(SHOTS / "desk-1440-two-tabs-refused.png"))
    assert Claim.objects.get(pk=claim.pk).status == "awaiting_return"
