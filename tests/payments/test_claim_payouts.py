"""R-PAY-6 as the parties see it: the platform names the buyer's account on refund-completed, the
merchant reads in the portal what to fix after a refusal, a corrected account pays again, staff
see refusals and owed allowances on their home page; payout.failed reaches integration clients."""

import pytest
from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S
from integrations.models import WebhookDelivery
from ledger.models import Entry
from merchants import services as merchants
from payments.models import PayoutAttempt

from ..api.conftest import make_api

pytestmark = pytest.mark.django_db


def frozen(world):
    world.shop.payout_account = "alipay-shop-a-frozen"
    world.shop.save()


def refused_claim(world):
    frozen(world)
    claim = world.in_state(S.REFUND_DUE)
    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is False
    return claim


def test_r_pay_6_refund_completed_takes_the_buyers_account_and_pays_it(world, django_capture_on_commit_callbacks):
    platform = make_api("tmall")
    claim = world.in_state(S.REFUND_DUE, kind="return_refund")
    path = f"claims/{claim.claim_id}/refund-completed"

    bad = platform.post(path, {"buyer_payout_account": "not an account!"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_payout_account"
    claim.refresh_from_db()
    assert claim.status == S.REFUND_DUE and not PayoutAttempt.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        answer = platform.post(path, {"buyer_payout_account": "buyer@example.cn"})
    assert answer.status_code == 200
    claim.refresh_from_db()
    assert claim.status == S.PAID
    allowance = Entry.objects.get(claim=claim, kind="shipping_allowance_paid")
    assert allowance.payee == "buyer@example.cn"


def test_r_pay_6_the_portal_tells_the_merchant_what_to_fix(world, client):
    claim = refused_claim(world)
    client.force_login(world.merchant_user)
    page = client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert 'id="payout-refused"' in page
    assert "冻结" in page  # the provider's reason
    assert reverse("portal:shop") in page


def test_r_pay_6_a_corrected_payout_account_pays_again_under_a_new_number(world, django_capture_on_commit_callbacks):
    claim = refused_claim(world)
    [refused] = PayoutAttempt.objects.filter(claim=claim)

    with django_capture_on_commit_callbacks(execute=True):
        merchants.update_shop_details(world.shop, world.merchant, payout_account="alipay-shop-a")

    claim.refresh_from_db()
    assert claim.status == S.PAID
    again = PayoutAttempt.objects.exclude(pk=refused.pk).get(claim=claim)
    assert again.out_biz_no != refused.out_biz_no and again.payee == "alipay-shop-a"
    assert Entry.objects.get(claim=claim, kind="claim_paid").payee == "alipay-shop-a"


def test_r_pay_6_staff_home_counts_refused_payouts_and_owed_allowances(world, client):
    refused_claim(world)
    owed = world.in_state(S.REFUND_DUE, kind="return_refund")
    claims.complete_refund(owed, world.platform, now=world.now)  # no buyer account named
    client.force_login(world.staff_user)
    home = client.get(reverse("admin:index")).content.decode()
    assert "Payouts refused by Alipay" in home and "Shipping allowances owed" in home


def test_r_pay_6_payout_failed_is_sent_to_the_merchants_integration(world):
    merchant = make_api("shop-a-erp", role="merchant", shop_id=world.shop.shop_id)
    merchant.client.webhook_url = "https://erp.example.com/hooks"
    merchant.client.save()
    claim = refused_claim(world)
    delivery = WebhookDelivery.objects.get(client=merchant.client, event_type="payout.failed")
    data = delivery.payload["data"]
    assert data["claim_id"] == claim.claim_id and data["code"] == "PAYEE_ACCOUNT_STATUS_ERROR"
