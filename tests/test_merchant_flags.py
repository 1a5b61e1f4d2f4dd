"""R-REV-7: a merchant sees only the flags about its own side (merchant_reported, refund_overdue),
in every channel: the portal, the merchant API, its webhooks, notices and e-mails. Screening flags
and the insurer's SLA flags reach the insurer only."""

import pytest

from claims import services as claims
from claims.choices import MERCHANT_FLAGS, Flag
from claims.models import ClaimFlag
from integrations.models import WebhookDelivery
from kernel.actors import Role
from notices.models import Audience, Notice
from tests.api.conftest import make_api

HIDDEN = [Flag.ABNORMAL_BUYER, Flag.SLA_BREACHED, Flag.SLA_WARNING, Flag.DUPLICATE_EVIDENCE, Flag.TRACKING_REUSED]
# The flags R-REV-7 lists for merchants (payout_failed: R-PAY-6).


@pytest.fixture
def flagged(world):
    """A claim of shop-a with one flag the merchant may see and every screening and SLA flag."""
    claim = world.claim()
    claims.raise_flag(claim, Flag.MERCHANT_REPORTED, at=world.now)
    for code in HIDDEN:
        claims.raise_flag(claim, code, at=world.now)
    return claim


def test_r_rev_7_the_merchant_visible_set_is_the_rules_list(db):
    assert MERCHANT_FLAGS == {Flag.MERCHANT_REPORTED, Flag.REFUND_OVERDUE, Flag.PAYOUT_FAILED}
    assert ClaimFlag.objects.seen_by(Role.MERCHANT).count() == 0


def test_r_rev_7_the_portal_shows_a_merchant_only_its_own_side_flags(world, flagged, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(world.merchant_user)
    page = client.get(f"/portal/claims/{flagged.claim_id}/").content.decode()
    assert "Reported by merchant" in page
    for label in ("Abnormal buyer", "SLA breached", "SLA warning", "Duplicate evidence", "Tracking number reused"):
        assert label not in page


def test_r_rev_7_the_merchant_api_lists_only_its_own_side_flags(world, flagged):
    merchant = make_api("shop-a-erp", role="merchant", shop_id=world.shop.shop_id)
    insurer = make_api("ins", role="insurer", insurer_code=world.insurer.code)
    detail = merchant.get(f"claims/{flagged.claim_id}").json()
    assert [flag["code"] for flag in detail["flags"]] == [Flag.MERCHANT_REPORTED]
    [listed] = merchant.get("claims").json()["results"]
    assert [flag["code"] for flag in listed["flags"]] == [Flag.MERCHANT_REPORTED]
    # The insurer still sees every flag.
    codes = {flag["code"] for flag in insurer.get(f"claims/{flagged.claim_id}").json()["flags"]}
    assert codes == {Flag.MERCHANT_REPORTED, *HIDDEN}


def test_r_rev_7_refund_requests_carry_only_the_merchants_flags(world, flagged):
    merchant = make_api("shop-a-erp", role="merchant", shop_id=world.shop.shop_id)
    [request] = merchant.get("refund-requests").json()["results"]
    assert [flag["code"] for flag in request["claim"]["flags"]] == [Flag.MERCHANT_REPORTED]


def test_r_rev_7_no_notice_email_or_webhook_tells_a_merchant_of_a_hidden_flag(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    merchant = make_api("erp-a", role="merchant", shop_id="shop-a", webhook_url="https://erp.example/hook")
    insurer = make_api("ins", role="insurer", insurer_code="demo-insurer", webhook_url="https://ins.example/hook")
    claim = world.claim()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks():  # the sends are not tried: the rows are what is owed
        for code in HIDDEN:
            claims.raise_flag(claim, code, at=world.now)
    flagged = Notice.objects.filter(claim=claim, event_type="claim.flagged")
    assert {n.data["flag"] for n in flagged.filter(audience=Audience.INSURER)} == set(HIDDEN)
    assert not flagged.filter(audience=Audience.MERCHANT).exists()
    assert not WebhookDelivery.objects.filter(client=merchant.client, event_type="claim.flagged").exists()
    assert WebhookDelivery.objects.filter(client=insurer.client, event_type="claim.flagged").count() == len(HIDDEN)

    with django_capture_on_commit_callbacks(execute=True):
        claims.raise_flag(claim, Flag.MERCHANT_REPORTED, at=world.now)
    assert flagged.filter(audience=Audience.MERCHANT).get().data["flag"] == Flag.MERCHANT_REPORTED
    assert WebhookDelivery.objects.filter(client=merchant.client, event_type="claim.flagged").count() == 1
    bodies = "\n".join(message.body for message in mailoutbox)
    assert "Reported by merchant" in bodies
    for label in ("Abnormal buyer", "SLA breached", "SLA warning", "Duplicate evidence", "Tracking number reused"):
        assert label not in bodies
