"""The portal's menu on a 375 px phone, in a real Chromium under the Content-Security-Policy: folded
behind a "Menu" button, every item reachable once it is open, no page wider than the screen, and
the pages of a long list readable. Screenshots: test-output/screenshots/portal-menu-*.png."""

import pytest
from playwright.sync_api import expect

from claims.choices import ClaimStatus as S
from tests.world import World

from .portal import PHONE, fits_the_screen, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENU = ("Home", "Claims", "Refund requests", "Policies", "Statement", "Invoices", "Enrolment", "Shop details")
MENU += ("Notices",)  # last: its name carries the unread count


@pytest.fixture
def browser_context_args(browser_context_args):
    # English, so the test reads the source strings whatever translations exist.
    return {**browser_context_args, **PHONE, "locale": "en-US"}


@pytest.fixture
def refused(page):
    """What the policy blocked or the browser failed to run: the menu's script must be neither."""
    problems = []
    page.on(
        "console", lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _within_the_screen(page, locator):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def test_on_a_375_px_phone_every_menu_item_is_reachable_and_nothing_scrolls_sideways(
    page, live_server, screenshot, refused
):
    world = World()
    for state in (S.AWAITING_RECEIPT, S.REFUND_DUE, S.PAID):
        world.in_state(state)
    base = live_server.url
    sign_in(page, base, "merchant")

    menu = page.get_by_role("navigation", name="Portal menu")
    button = menu.get_by_role("button", name="Menu")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu.get_by_role("link", name="Claims")).to_be_hidden()
    assert fits_the_screen(page)
    screenshot("portal-menu-1-folded")

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    for name in MENU:
        link = menu.get_by_role("link", name=name, exact=name != "Notices")  # "Notices" carries its unread count
        expect(link).to_be_visible()
        assert _within_the_screen(page, link), name
    assert fits_the_screen(page)
    screenshot("portal-menu-2-open")

    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(menu.get_by_role("link", name="Claims")).to_be_hidden()

    for name in MENU:
        button.click()
        menu.get_by_role("link", name=name, exact=name != "Notices").click()
        # The page it opened, folded again, marks where the merchant is.
        expect(menu.locator('a[aria-current="page"]')).to_contain_text(name)
        assert fits_the_screen(page), f"{name}: wider than the screen"
    assert refused == []


def test_on_a_wide_screen_the_menu_is_open_without_a_button(page, live_server):
    World()
    sign_in(page, live_server.url, "merchant")
    page.set_viewport_size({"width": 1024, "height": 768})
    menu = page.get_by_role("navigation", name="Portal menu")
    expect(menu.get_by_role("button", name="Menu")).to_be_hidden()
    for name in MENU:
        link = menu.get_by_role("link", name=name, exact=name != "Notices")
        expect(link).to_be_visible()
        assert _within_the_screen(page, link), name
    assert fits_the_screen(page)


def test_on_a_phone_the_page_links_of_a_long_list_are_readable(page, live_server):
    """The menu's white-on-red link style once reached every labelled <nav>, the pages of a list
    too: white on the page's background."""
    world = World()
    for _ in range(26):
        world.claim()
    sign_in(page, live_server.url, "merchant")
    page.goto(f"{live_server.url}/portal/claims/")
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages.get_by_role("link", name="Next")).to_be_visible()
    colour = pages.get_by_role("link", name="Next").evaluate("link => getComputedStyle(link).color")
    assert colour == "rgb(11, 92, 173)"  # --link, as every other link on the page
    assert fits_the_screen(page)
