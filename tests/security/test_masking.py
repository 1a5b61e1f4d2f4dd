"""Merchants' payout accounts, return addresses and phones and buyers' ids are masked in lists,
pages, exports and logs wherever the role does not need them in full; each showing in full is
recorded (audit.masking, audit.services.disclose)."""

import logging

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from audit.masking import mask_address, mask_identifier, mask_phone, masked_body
from audit.models import Disclosure
from claims.choices import ClaimStatus as S
from claims.models import Claim
from integrations import webhooks
from integrations.models import WebhookDelivery
from integrations.services import issue_client
from ledger.models import Entry, EntryKind
from notices.models import Audience, Notice
from tests.api.test_webhooks import Receiver

pytestmark = pytest.mark.django_db

BUYER = "tb-buyer-884213"


def test_masks_keep_enough_to_tell_values_apart_and_not_enough_to_use_them():
    assert mask_identifier("alipay-shop-a") == "al*********-a"
    assert mask_identifier("2088123412341234") == "20************34"
    assert mask_identifier("abc") == "a**"
    assert mask_identifier("") == ""
    assert mask_phone("13912345678") == "139****5678"
    assert mask_address("浙江省杭州市余杭区文一西路 969 号") == "浙江省杭州市****"


def test_bodies_are_masked_by_key_at_any_depth_and_keep_everything_else():
    body = {
        "id": "e-1",
        "data": {
            "claim_id": "CL-1",
            "return_address": {
                "address": "浙江省杭州市余杭区文一西路 969 号",
                "contact": "王先生",
                "phone": "13800000000",
            },
            "payees": [{"payee": "alipay-shop-a", "amount": "10.00"}],
            "reason": None,
        },
    }
    assert masked_body(body) == {
        "id": "e-1",
        "data": {
            "claim_id": "CL-1",
            "return_address": {"address": "浙江省杭州市****", "contact": "王先生", "phone": "138****0000"},
            "payees": [{"payee": "al*********-a", "amount": "10.00"}],
            "reason": None,
        },
    }
    assert masked_body({"return_address": "浙江省杭州市余杭区文一西路 969 号"}) == {
        "return_address": "浙江省杭州市****"
    }
    assert body["data"]["return_address"]["phone"] == "13800000000", "the stored body is left as it was"


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


def test_logs_never_carry_them(world, caplog, django_capture_on_commit_callbacks, mailoutbox):
    """A whole journey, the API, the notices' e-mails and webhooks (sent, failed, re-sent by staff,
    shown in full) included, with every logger at DEBUG: none of them is written."""
    for name in [None, *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    receiver = Receiver()
    receiver.answers = [500]  # the first event fails and is logged as an attempt
    try:
        issue_client("platform-hooks", webhook_url=receiver.url("hooks"))
        with django_capture_on_commit_callbacks(execute=True):
            claim = world.in_state(S.PAID, kind="return_refund", buyer=BUYER)
        staff = logged_in(world.staff_user)
        with django_capture_on_commit_callbacks(execute=True):
            deliveries = list(WebhookDelivery.objects.values_list("pk", flat=True))
            staff.post(
                reverse("admin:integrations_webhookdelivery_changelist"),
                {"action": "resend", "_selected_action": deliveries},
            )
    finally:
        receiver.close()
    addresses = [e["data"]["return_address"] for e in receiver.events("hooks") if e["type"] == "claim.return_address"]
    assert addresses and addresses[0]["address"] == world.shop.return_address, "the webhook path ran, body whole"
    assert mailoutbox, "the notices' e-mail path ran"
    delivery = WebhookDelivery.objects.get(event_type="claim.return_address")
    reveal = reverse("admin:integrations_webhookdelivery_act", args=[delivery.pk, "reveal"])
    assert staff.post(reveal, {"seen": str(delivery.pk), "reason": "调试"}).status_code == 302
    _client, key = issue_client("platform-logs")
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/claims/{claim.claim_id}").status_code == 200
    assert api.get("/api/v1/claims/CL-NOT-THERE").status_code == 404
    assert api.post(f"/api/v1/claims/{claim.claim_id}/appeal", {"reason": "x"}).status_code in (409, 415, 422)
    assert Claim.objects.get(pk=claim.pk).status == S.PAID
    assert caplog.records, "nothing was logged: the test would prove nothing"
    written = caplog.text
    assert [secret for secret in secrets_of(world) if secret in written] == []


@pytest.fixture
def sent_address(world):
    """A return-and-refund claim approved while a platform client listens for webhooks: the shop's
    return address went to the buyer in a notice per audience and in the client's webhook body."""
    issue_client("platform-hooks", webhook_url="http://127.0.0.1:9/hooks")
    claim = world.in_state(S.AWAITING_RETURN, kind="return_refund", buyer=BUYER)
    notice = Notice.objects.get(claim=claim, event_type="claim.return_address", audience=Audience.INSURER)
    delivery = WebhookDelivery.objects.get(event_type="claim.return_address", payload__data__claim_id=claim.claim_id)
    assert notice.data["return_address"]["address"] == world.shop.return_address
    assert delivery.payload["data"]["return_address"]["phone"] == world.shop.return_phone
    return notice, delivery


def body_pages(http, notice, delivery):
    return {
        "notices": http.get(reverse("admin:notices_notice_changelist")),
        "notice": http.get(reverse("admin:notices_notice_change", args=[notice.pk])),
        "deliveries": http.get(reverse("admin:integrations_webhookdelivery_changelist")),
        "delivery": http.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk])),
    }


@pytest.mark.parametrize(
    "who, readable",
    [
        ("reviewer_user", {"notices", "notice"}),
        ("supervisor_user", {"notices", "notice"}),
        ("staff_user", {"notices", "notice", "deliveries", "delivery"}),
    ],
)
def test_notice_and_webhook_pages_show_the_return_address_sent_to_a_buyer_masked(world, sent_address, who, readable):
    notice, delivery = sent_address
    pages = body_pages(logged_in(getattr(world, who)), notice, delivery)
    assert {name for name, page in pages.items() if page.status_code == 200} == readable
    for name in readable:
        assert shown(pages[name], world) == [], name
    # The body is on the page, masked: the test would see the address if it were there in full.
    for name in readable & {"notice", "delivery"}:
        assert "浙江省杭州市****" in text_of(pages[name]) and "138****0000" in text_of(pages[name]), name
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("kind", ["notice", "delivery"])
def test_staff_see_a_body_in_full_with_a_reason_and_it_is_recorded(world, sent_address, kind):
    notice, delivery = sent_address
    obj, field = (notice, "data") if kind == "notice" else (delivery, "payload")
    staff = logged_in(world.staff_user)
    page = text_of(body_pages(staff, notice, delivery)[kind])
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_act", args=[obj.pk, "reveal"])
    assert f'href="{url}"' in page
    assert staff.get(url).status_code == 200  # the form asking why

    response = staff.post(url, {"seen": str(obj.pk), "reason": "买家称未收到退货地址"}, follow=True)

    assert response.status_code == 200
    assert {world.shop.return_address, world.shop.return_phone} <= set(shown(response, world))
    disclosure = Disclosure.objects.get()
    assert (disclosure.subject, disclosure.field, disclosure.reason, disclosure.role, disclosure.user_id) == (
        obj,
        field,
        "买家称未收到退货地址",
        "service_staff",
        world.staff_user.pk,
    )
    # Shown once, as the answer to that request: the page itself stays masked.
    assert shown(body_pages(staff, notice, delivery)[kind], world) == []


@pytest.mark.parametrize("who", ["reviewer_user", "supervisor_user"])
def test_roles_that_may_not_disclose_are_refused_a_body_in_full(world, sent_address, who):
    notice, delivery = sent_address
    http = logged_in(getattr(world, who))
    assert 'data-action="reveal"' not in text_of(body_pages(http, notice, delivery)["notice"])
    for obj in (notice, delivery):
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_act", args=[obj.pk, "reveal"])
        response = http.post(url, {"seen": str(obj.pk), "reason": "x"})
        assert response.status_code == 403, obj
        assert shown(response, world) == []
    assert not Disclosure.objects.exists()


def test_a_webhook_resent_by_staff_carries_the_body_in_full(
    world, sent_address, monkeypatch, django_capture_on_commit_callbacks
):
    _notice, delivery = sent_address
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None, failed_at=world.now)
    sent = []

    class Received:
        status_code = 200

    def post(url, data, **kwargs):
        sent.append(data.decode())
        return Received()

    monkeypatch.setattr(webhooks.requests, "post", post)
    changelist = reverse("admin:integrations_webhookdelivery_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(world.staff_user).post(changelist, {"action": "resend", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    assert len(sent) == 1
    assert world.shop.return_address in sent[0] and world.shop.return_phone in sent[0]
    assert WebhookDelivery.objects.get(pk=delivery.pk).delivered_at is not None
    assert not Disclosure.objects.exists(), "sending is not showing"
