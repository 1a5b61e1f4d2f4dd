"""A merchant on a phone rejects an empty parcel with a photo (R-RET-3), in a real Chromium; another
shop's merchant cannot open that claim. Screenshots go to test-output/screenshots/portal-*.png."""

import pytest
from playwright.sync_api import expect

from audit.actors import Role
from claims.choices import ClaimStatus as S
from claims.models import Claim, ReceiptDispute
from tests.factories import image_upload, member
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def browser_context_args(browser_context_args):
    # English, so the test reads the source strings whatever translations exist.
    return {**browser_context_args, **PHONE, "locale": "en-US"}


def _sign_in(page, base_url, username):
    page.goto(f"{base_url}/portal/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/portal/")


def _fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_merchant_rejects_an_empty_parcel_on_a_phone(page, live_server, screenshot):
    world = World()
    claim = world.in_state(S.AWAITING_RECEIPT)
    member("merchant-b", Role.MERCHANT, shop=world.other_shop)
    base = live_server.url

    _sign_in(page, base, "merchant")
    parcels = page.get_by_role("region", name="Parcels awaiting your receipt check")
    expect(parcels).to_contain_text("Auto-confirm at")
    assert _fits_the_screen(page)
    screenshot("portal-1-home-phone")

    parcels.get_by_role("link", name=claim.claim_id).click()
    expect(page.locator("#claim-status")).to_have_text("Awaiting receipt check")
    assert _fits_the_screen(page)
    screenshot("portal-2-claim-awaiting-receipt")

    page.get_by_role("link", name="Reject the parcel").click()
    page.get_by_label("Empty parcel (空包裹)").check()
    page.get_by_label("Note").fill("打开包裹是空的，只有填充物")
    photo = image_upload(pattern=6).read()
    page.get_by_label("Photos or videos of the parcel as received").set_input_files(
        {"name": "parcel.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    assert _fits_the_screen(page)
    screenshot("portal-3-reject-form")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Confirm the rejection")).to_be_visible()
    photo_shown = page.get_by_role("img", name="Merchant photo 1")
    photo_shown.scroll_into_view_if_needed()
    expect(photo_shown).to_have_js_property("naturalWidth", 64)  # served back through the portal
    screenshot("portal-4-reject-confirm")
    assert Claim.objects.get(pk=claim.pk).status == S.AWAITING_RECEIPT  # not before the confirmation
    page.get_by_role("button", name="Reject the parcel").click()

    expect(page.locator("#claim-status")).to_have_text("Receipt disputed")
    expect(page.get_by_role("status")).to_contain_text("Service staff will review the dispute")
    screenshot("portal-5-claim-receipt-disputed")
    assert Claim.objects.get(pk=claim.pk).status == S.RECEIPT_DISPUTED
    assert ReceiptDispute.objects.get(claim=claim).reason_code == "empty_parcel"

    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, base, "merchant-b")
    response = page.goto(f"{base}/portal/claims/{claim.claim_id}/")
    assert response.status == 404
    screenshot("portal-6-other-merchant-404")
    evidence = ReceiptDispute.objects.get(claim=claim).claim.evidence.first()
    assert page.goto(f"{base}/portal/claims/{claim.claim_id}/evidence/{evidence.pk}/").status == 404
