"""The portal's lists at 1440 px in a real Chromium (issue 16 item 5): a header is sorted from the
keyboard, ascending then descending, and no header word breaks across lines. Screenshots:
test-output/screenshots/portal-lists-*.png."""

import pytest
from playwright.sync_api import expect

from claims.choices import ClaimStatus as S
from tests.world import World

from .portal import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each word of each header as the browser laid it out: a word on more than one line is broken.
BROKEN_HEADER_WORDS = """() => {
  const broken = [];
  for (const th of document.querySelectorAll("table.list thead th")) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "en-US"}


def test_headers_sort_from_the_keyboard_and_never_break_mid_word(page, live_server, screenshot):
    world = World()
    for state in (S.SUBMITTED, S.AWAITING_RECEIPT, S.REFUNDED):
        world.in_state(state)
    world.refund(world.delivered_order(), reason="no_longer_needed")
    base = live_server.url
    sign_in(page, base, "merchant")

    for path in ("/portal/refunds/", "/portal/claims/", "/portal/policies/", "/portal/invoices/", "/portal/ledger/"):
        page.goto(base + path)
        assert page.evaluate(BROKEN_HEADER_WORDS) == [], path
    page.goto(base + "/portal/refunds/")
    expect(page.get_by_text("reason not covered")).to_be_visible()
    screenshot("portal-lists-1-refunds")

    page.goto(base + "/portal/claims/")
    opened = page.locator("thead th", has_text="Opened")
    expect(opened).to_have_attribute("aria-sort", "descending")  # newest first
    requested = page.get_by_role("link", name="Requested")
    requested.focus()
    page.keyboard.press("Enter")
    header = page.locator("thead th", has_text="Requested")
    expect(header).to_have_attribute("aria-sort", "ascending")
    screenshot("portal-lists-2-claims-by-amount")
    page.get_by_role("link", name="Requested").focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(f"{base}/portal/claims/?sort=-requested")
