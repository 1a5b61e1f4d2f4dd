"""Merchants' payout accounts, return addresses and phones and buyers' ids are masked in lists,
pages, exports and logs wherever the role does not need them in full; each showing in full is
recorded (audit.masking, audit.services.disclose)."""

import logging

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from audit.masking import mask_address, mask_identifier, mask_phone
from audit.models import Disclosure
from claims.choices import ClaimStatus as S
from claims.models import Claim
from integrations.services import issue_client
from ledger.models import Entry, EntryKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("role_groups")]

BUYER = "tb-buyer-884213"


def test_masks_keep_enough_to_tell_values_apart_and_not_enough_to_use_them():
    assert mask_identifier("alipay-shop-a") == "al*********-a"
    assert mask_identifier("2088123412341234") == "20************34"
    assert mask_identifier("abc") == "a**"
    assert mask_identifier("") == ""
    assert mask_phone("13912345678") == "139****5678"
    assert mask_address("浙江省杭州市余杭区文一西路 969 号") == "浙江省杭州市****"


@pytest.fixture
def paid(world):
    """A return-and-refund claim paid out: its shop's account got the payout, its buyer the
    shipping allowance; both are payees in the ledger."""
    claim = world.in_state(S.PAID, kind="return_refund", buyer=BUYER)
    assert Entry.objects.filter(claim=claim, kind=EntryKind.SHIPPING_ALLOWANCE_PAID, payee=BUYER).exists()
    return claim


def secrets_of(world):
    shop = world.shop
    return {shop.payout_account, shop.return_address, shop.return_phone, BUYER}


def text_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def shown(response, world):
    text = text_of(response)
    return sorted(secret for secret in secrets_of(world) if secret in text)


def logged_in(user):
    http = Client(HTTP_ACCEPT_LANGUAGE="en")
    http.force_login(user)
    return http


def export(http, changelist, claim_pks):
    return http.post(changelist, {"action": "export_csv", "_selected_action": claim_pks, "confirm": "1"})


@pytest.mark.parametrize("who", ["reviewer_user", "supervisor_user", "staff_user"])
def test_admin_lists_pages_and_exports_show_them_masked(world, paid, who):
    http = logged_in(getattr(world, who))
    entries = list(Entry.objects.filter(claim=paid).values_list("pk", flat=True))
    pages = [
        http.get(reverse("admin:claims_claim_changelist")),
        http.get(reverse("admin:claims_claim_change", args=[paid.pk])),  # the review page
        http.get(reverse("admin:claims_buyer_changelist")),
        http.get(reverse("admin:claims_buyer_change", args=[paid.buyer.pk])),
        http.get(reverse("admin:merchants_shop_changelist")),
        http.get(reverse("admin:merchants_shopchange_changelist")),
        http.get(reverse("admin:ledger_entry_changelist")),
        http.get(reverse("admin:ledger_entry_change", args=[entries[0]])),
        http.get(reverse("admin:policies_suborder_change", args=[paid.sub_order.pk])),
        http.get(reverse("admin:claims_refundrequest_change", args=[paid.refund_request.pk])),
        export(http, reverse("admin:claims_claim_changelist"), [paid.pk]),
        export(http, reverse("admin:ledger_entry_changelist"), entries),
    ]
    seen = [page for page in pages if page.status_code == 200]
    assert len(seen) >= 3, [page.status_code for page in pages]  # a reviewer sees claims and exports them
    for page in seen:
        assert shown(page, world) == [], page.wsgi_request.path
    assert not Disclosure.objects.exists()


def test_a_supervisor_reads_a_shop_masked(world, paid):
    page = logged_in(world.supervisor_user).get(reverse("admin:merchants_shop_change", args=[world.shop.pk]))
    assert page.status_code == 200
    assert shown(page, world) == []
    assert "al*********-a" in page.content.decode()
    assert not Disclosure.objects.exists()


def test_staff_editing_a_shop_see_its_details_and_that_is_recorded(world, paid):
    page = logged_in(world.staff_user).get(reverse("admin:merchants_shop_change", args=[world.shop.pk]))
    assert page.status_code == 200
    assert {world.shop.payout_account, world.shop.return_phone} <= set(shown(page, world))
    disclosures = Disclosure.objects.filter(object_id=world.shop.pk).order_by("field")
    assert [(d.field, d.role, d.channel, d.user_id) for d in disclosures] == [
        (field, "service_staff", "admin", world.staff_user.pk)
        for field in ("payout_account", "return_address", "return_phone")
    ]


def test_staff_reveal_a_buyer_id_with_a_reason_and_it_is_recorded(world, paid):
    buyer = paid.buyer
    staff = logged_in(world.staff_user)
    seen = admin.site._registry[type(buyer)].version_of(buyer)
    url = reverse("admin:claims_buyer_act", args=[buyer.pk, "reveal"])
    response = staff.post(url, {"seen": seen, "reason": "核实是否与投诉人一致"}, follow=True)
    assert response.status_code == 200
    assert BUYER in response.content.decode()
    disclosure = Disclosure.objects.get()
    assert (disclosure.field, disclosure.reason, disclosure.user_id) == (
        "buyer_id",
        "核实是否与投诉人一致",
        world.staff_user.pk,
    )
    # A reviewer has no such button and no such right.
    reviewer = logged_in(world.reviewer_user)
    assert reviewer.post(url, {"seen": seen, "reason": "x"}).status_code in (403, 404)
    assert Disclosure.objects.count() == 1


def test_the_portal_masks_buyers_and_shows_the_merchant_its_own_details(world, paid):
    merchant = logged_in(world.merchant_user)
    for page in (
        merchant.get(reverse("portal:ledger")),
        merchant.get(reverse("portal:ledger") + "?format=csv"),
        merchant.get(reverse("portal:claim", args=[paid.claim_id])),
        merchant.get(reverse("portal:claims")),
    ):
        assert page.status_code == 200
        assert BUYER not in text_of(page), page.wsgi_request.get_full_path()
    # The shop's own account and address: the merchant keeps them up to date, so sees them.
    assert world.shop.payout_account in merchant.get(reverse("portal:shop")).content.decode()


def test_logs_never_carry_them(world, caplog):
    """A whole journey, the API included, with every logger at DEBUG: none of them is written."""
    caplog.set_level(logging.DEBUG)
    claim = world.in_state(S.PAID, kind="return_refund", buyer=BUYER)
    _client, key = issue_client("platform-logs")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/claims/{claim.claim_id}").status_code == 200
    assert api.get("/api/v1/claims/CL-NOT-THERE").status_code == 404
    assert api.post(f"/api/v1/claims/{claim.claim_id}/appeal", {"reason": "x"}).status_code in (409, 415, 422)
    assert Claim.objects.get(pk=claim.pk).status == S.PAID
    assert caplog.records, "nothing was logged: the test would prove nothing"
    written = "\n".join(record.getMessage() for record in caplog.records)
    assert [secret for secret in secrets_of(world) if secret in written] == []
