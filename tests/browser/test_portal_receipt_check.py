"""A merchant on a phone rejects an empty parcel with a photo (R-RET-3), in a real Chromium; another
shop's merchant cannot open that claim. Screenshots go to test-output/screenshots/portal-*.png."""

import pytest
from playwright.sync_api import expect

from claims.choices import ClaimStatus as S
from claims.models import Claim, ReceiptDispute
from kernel.actors import Role
from tests.factories import image_upload, member
from tests.world import World

from .portal import PHONE, fits_the_screen, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    # English, so the test reads the source strings whatever translations exist.
    return {**browser_context_args, **PHONE, "locale": "en-US"}


def test_merchant_rejects_an_empty_parcel_on_a_phone(page, live_server, screenshot):
    world = World()
    claim = world.in_state(S.AWAITING_RECEIPT)
    member("merchant-b", Role.MERCHANT, shop=world.other_shop)
    base = live_server.url

    sign_in(page, base, "merchant")
    parcels = page.get_by_role("region", name="Parcels awaiting your receipt check")
    expect(parcels).to_contain_text("Auto-confirm at")
    assert fits_the_screen(page)
    screenshot("portal-1-home-phone")

    parcels.get_by_role("link", name=claim.claim_id).click()
    expect(page.locator("#claim-status")).to_have_text("Awaiting receipt check")
    assert fits_the_screen(page)
    screenshot("portal-2-claim-awaiting-receipt")

    page.get_by_role("link", name="Reject the parcel").click()
    page.get_by_label("Empty parcel (空包裹)").check()
    page.get_by_label("Note").fill("打开包裹是空的，只有填充物")
    photo = image_upload(pattern=6).read()
    page.get_by_label("Photos or videos of the parcel as received").set_input_files(
        {"name": "parcel.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    assert fits_the_screen(page)
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
    sign_in(page, base, "merchant-b")
    response = page.goto(f"{base}/portal/claims/{claim.claim_id}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the list")).to_have_attribute("href", "/portal/claims/")
    assert fits_the_screen(page)
    screenshot("portal-6-other-merchant-404")
    evidence = ReceiptDispute.objects.get(claim=claim).claim.evidence.first()
    assert page.goto(f"{base}/portal/claims/{claim.claim_id}/evidence/{evidence.pk}/").status == 404
