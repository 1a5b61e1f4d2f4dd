"""R-EVI-1 in a real Chromium: the reviewer's evidence workspace zooms, rotates and steps through the
photos by key, shows each photo's EXIF facts and marks, and puts a duplicate beside the matching
photo of the other claim. Screenshots: test-output/screenshots/evidence-*.png (1440×900, 390×844)."""

import datetime as dt

import pytest
from django.urls import reverse
from PIL import ImageFilter
from playwright.sync_api import expect

from claims import services as claims
from claims.choices import Side
from tests.test_evidence_quality import a_photo, exif_of, made
from tests.world import World

from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}


def a_claim_with_three_photos():
    world = World()
    earlier = world.claim(buyer="buyer-earlier", with_image=False)
    claims.add_evidence(earlier, Side.BUYER, made(a_photo(91)), world.platform, now=world.now)
    claim = world.claim(buyer="buyer-now", with_image=False)
    claims.add_evidence(claim, Side.BUYER, made(a_photo(12)), world.platform, now=world.now)  # a clear photo
    edited = exif_of(world.now - dt.timedelta(days=1), software="Adobe Photoshop 25.0")
    claims.add_evidence(
        claim,
        Side.BUYER,
        made(a_photo(5).filter(ImageFilter.GaussianBlur(6)), exif=edited),
        world.platform,
        now=world.now,
    )
    claims.add_evidence(claim, Side.BUYER, made(a_photo(91)), world.platform, now=world.now)  # a duplicate
    return claim, earlier


def log_in(page, base):
    page.goto(f"{base}/admin/")
    page.locator("#id_username").fill("reviewer")
    page.locator("#id_password").fill("pw-for-tests-1")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def loaded(page, selector):
    page.wait_for_function("s => { const i = document.querySelector(s); return i?.naturalWidth > 0; }", arg=selector)


def test_r_evi_1_the_reviewer_zooms_rotates_steps_and_compares_by_key(page, live_server):
    claim, earlier = a_claim_with_three_photos()
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    page.goto(live_server.url + reverse("admin:claims_claim_change", args=[claim.pk]))
    stage, image = page.locator("#ws-stage"), page.locator("#ws-image")
    loaded(page, "#ws-image")
    expect(page.locator("[data-ws-index]")).to_have_text("1")
    expect(page.locator('[data-ws-item="0"] .zb-clear')).to_be_visible()

    stage.focus()
    page.keyboard.press("+")
    page.keyboard.press("+")
    expect(page.locator("[data-ws-zoom]")).to_have_text("156%")
    page.keyboard.press("t")
    assert "rotate(90deg)" in image.evaluate("i => i.style.transform")
    page.keyboard.press("ArrowLeft")  # a zoomed photo pans
    assert "translate(60px, 0px)" in image.evaluate("i => i.style.transform")
    page.keyboard.press("0")
    assert image.evaluate("i => i.style.transform") == "translate(0px, 0px) rotate(0deg) scale(1)"

    page.keyboard.press("j")  # the blurred, edited photo: marked with the reasons, facts from its EXIF
    expect(page.locator("[data-ws-index]")).to_have_text("2")
    facts = page.locator('[data-ws-item="1"]')
    expect(facts).to_be_visible()
    expect(facts.locator(".zb-mark")).to_have_text(["Too blurred to judge", "Saved by editing software"])
    expect(facts).to_contain_text("Adobe Photoshop 25.0")
    expect(facts).to_contain_text("Xiaomi 14")
    expect(page.locator('[data-ws="compare"]')).to_be_hidden()
    loaded(page, "#ws-image")
    page.keyboard.press("+")
    shoot(page, "evidence-1-workspace-1440")

    page.keyboard.press("j")  # the duplicate: side by side with the other claim's photo
    expect(page.locator('[data-ws-item="2"] .zb-ws-match')).to_contain_text(earlier.claim_id)
    expect(page.locator('[data-ws-item="2"] .zb-ws-match')).to_contain_text("Hamming distance 0")
    page.keyboard.press("c")
    expect(page.locator("#ws-compare")).to_be_visible()
    expect(page.locator('[data-ws="compare"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#ws-compare-caption")).to_have_text(f"Claim {earlier.claim_id} · distance 0")
    loaded(page, "#ws-compare-image")
    loaded(page, "#ws-image")
    shoot(page, "evidence-2-compare-1440")

    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(page.locator("[data-ws-index]")).to_have_text("1")
    page.keyboard.press("k")  # wraps round to the last
    expect(page.locator("[data-ws-index]")).to_have_text("3")

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#workspace").scroll_into_view_if_needed()
    loaded(page, "#ws-image")
    page.keyboard.press("c")
    expect(page.locator("#ws-compare")).to_be_visible()
    loaded(page, "#ws-compare-image")
    shoot(page, "evidence-3-compare-390")
    page.locator("[data-ws-go='1']").click()
    expect(page.locator("[data-ws-index]")).to_have_text("2")
    loaded(page, "#ws-image")
    page.locator("#workspace").scroll_into_view_if_needed()
    shoot(page, "evidence-4-workspace-390")
