"""R-PAY-6 and R-PAY-5 against the stand-in gateway through the official SDK: each attempt has its
own out_biz_no stored before the call; unknown outcomes are queried, never re-sent under a new
number; money for one claim and kind leaves at most once."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from claims import services as claims
from claims.choices import ClaimStatus
from claims.models import Claim
from kernel.errors import Conflict, RuleViolation
from merchants.models import Shop
from payments.choices import AttemptKind, AttemptStatus
from payments.models import PayoutAttempt
from payments.providers import Result, Transfer
from payments.providers.alipay import AlipayProvider
from payments.services import attempts

pytestmark = pytest.mark.django_db

S = AttemptStatus


@pytest.fixture
def claim(world):
    return world.in_state(ClaimStatus.REFUND_DUE)


def transfers_made(gateway, attempt):
    return [
        o for o in gateway.book.orders.values() if o["out_biz_no"] == attempt.out_biz_no and o["result"] == "SUCCESS"
    ]


def start(world, claim, payee="alipay-shop-a"):
    """The platform reports the refund: the merchant's payout to `payee` is stored, not yet sent."""
    Shop.objects.filter(pk=claim.shop_id).update(payout_account=payee)
    claims.complete_refund(Claim.objects.get(pk=claim.pk), world.platform, now=world.now)
    return claim.payout_attempts.get(kind=AttemptKind.CLAIM_PAYOUT)


def later(attempt, **delta):
    attempt.refresh_from_db()
    return attempt.next_check_at + dt.timedelta(seconds=1, **delta)


def test_r_pay_6_a_transfer_is_stored_before_it_is_sent_and_confirmed_by_the_provider(world, claim, gateway):
    attempt = start(world, claim)
    assert attempt.status == S.CREATED and attempt.out_biz_no.startswith("ZB")
    assert PayoutAttempt.objects.get(pk=attempt.pk).out_biz_no == attempt.out_biz_no

    assert attempts.send(attempt.pk) == S.CONFIRMED

    attempt.refresh_from_db()
    assert attempt.provider_order_id and attempt.paid_at
    [made] = transfers_made(gateway, attempt)
    assert made["amount"] == "199.00" and made["payee"] == "alipay-shop-a"


def test_r_pay_6_the_send_task_runs_once_the_attempt_commits(world, claim, gateway, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attempt = start(world, claim)
    attempt.refresh_from_db()
    assert attempt.status == S.CONFIRMED


def test_r_pay_5_a_duplicated_send_task_makes_one_transfer(world, claim, gateway):
    attempt = start(world, claim)
    assert attempts.send(attempt.pk) == S.CONFIRMED
    assert attempts.send(attempt.pk) == ""  # not this one's to send
    assert gateway.book.transfer_calls == 1
    assert len(transfers_made(gateway, attempt)) == 1


def test_r_pay_6_one_live_attempt_per_claim_and_kind(world, claim, gateway):
    start(world, claim)
    with pytest.raises(Conflict):
        attempts.create_attempt(claim, AttemptKind.CLAIM_PAYOUT, "x", Decimal("1.00"), world.staff)
    # The database refuses it too, whatever code tries.
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutAttempt.objects.create(
            claim=claim, kind=AttemptKind.CLAIM_PAYOUT, payee="x", amount=1, out_biz_no="other", created_at=world.now
        )
    # The allowance to the buyer is another kind: its own transfer.
    assert attempts.create_attempt(claim, AttemptKind.SHIPPING_ALLOWANCE, "buyer@x.cn", Decimal("10.00"), world.staff)


def test_r_pay_6_no_payee_account_no_attempt(world, claim, gateway):
    with pytest.raises(RuleViolation):
        attempts.create_attempt(claim, AttemptKind.CLAIM_PAYOUT, "  ", Decimal("1.00"), world.staff)


def test_r_pay_6_a_frozen_account_is_refused_with_the_providers_reason_and_a_retry_is_a_new_number(
    world, claim, gateway
):
    attempt = start(world, claim, payee="alipay-shop-a-frozen")
    assert attempts.send(attempt.pk) == S.REFUSED
    attempt.refresh_from_db()
    assert attempt.provider_code == "PAYEE_ACCOUNT_STATUS_ERROR"
    assert "冻结" in attempt.provider_reason
    assert transfers_made(gateway, attempt) == []

    again = attempts.retry(attempt, world.staff, payee="alipay-shop-a")
    assert again.out_biz_no != attempt.out_biz_no
    assert attempts.send(again.pk) == S.CONFIRMED
    with pytest.raises(Conflict):
        attempts.retry(again, world.staff)


def test_r_pay_6_a_time_out_after_the_transfer_is_queried_not_resent(world, claim, gateway):
    """The provider made the transfer but answered after the client gave up: unknown, then the
    query by out_biz_no finds it made. One transfer, one number."""
    attempt = start(world, claim, payee="alipay-shop-a-timeout")
    assert attempts.send(attempt.pk) == S.UNKNOWN
    attempt.refresh_from_db()
    assert "timed out" in attempt.provider_reason
    assert len(transfers_made(gateway, attempt)) == 1

    assert attempts.check_due(now=later(attempt)) == 1
    attempt.refresh_from_db()
    assert attempt.status == S.CONFIRMED
    assert gateway.book.transfer_calls == 1
    assert PayoutAttempt.objects.filter(claim=claim).count() == 1


def test_r_pay_6_system_busy_is_queried_and_the_same_number_sent_again(world, claim, gateway):
    attempt = start(world, claim, payee="alipay-shop-a-busy")
    assert attempts.send(attempt.pk) == S.UNKNOWN
    attempt.refresh_from_db()
    assert "SYSTEM_ERROR" in attempt.provider_reason

    attempts.check_due(now=later(attempt))
    attempt.refresh_from_db()
    assert attempt.status == S.CONFIRMED
    assert gateway.book.transfer_calls == 2  # the busy answer, then the same out_biz_no again
    assert len(transfers_made(gateway, attempt)) == 1


def test_r_pay_6_an_unreachable_provider_leaves_the_outcome_unknown_with_backoff(world, claim, gateway, settings):
    settings.ALIPAY_GATEWAY_URL = "http://127.0.0.1:9/gateway.do"  # nothing listens there
    attempt = start(world, claim)
    assert attempts.send(attempt.pk) == S.UNKNOWN
    first = later(attempt)
    assert attempts.check_due(now=first) == 0  # still unreachable: asked again later
    attempt.refresh_from_db()
    assert attempt.status == S.UNKNOWN and attempt.checks == 1
    assert attempt.next_check_at > first

    settings.ALIPAY_GATEWAY_URL = gateway.url
    assert attempts.check_due(now=later(attempt)) == 1  # absent → the same number sent → made
    attempt.refresh_from_db()
    assert attempt.status == S.CONFIRMED


def test_r_pay_5_a_worker_dying_between_call_and_answer_is_resolved_by_the_sweep(world, claim, gateway, monkeypatch):
    attempt = start(world, claim)

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(attempts, "record", killed)
    with pytest.raises(SystemExit):
        attempts.send(attempt.pk)
    monkeypatch.undo()
    attempt.refresh_from_db()
    assert attempt.status == S.SENT  # committed before the call; the answer was lost
    assert attempts.check_due(now=attempt.sent_at + dt.timedelta(seconds=5)) == 0  # the answer may still come

    attempts.check_due(now=later(attempt))
    attempt.refresh_from_db()
    assert attempt.status == S.CONFIRMED
    assert gateway.book.transfer_calls == 1


def test_r_pay_5_a_lost_send_task_is_sent_by_the_sweep(world, claim, gateway):
    attempt = start(world, claim)  # its task never ran (on_commit does not fire here)
    assert attempts.check_due(now=world.now + dt.timedelta(seconds=30)) == 0
    assert attempts.check_due(now=later(attempt)) == 1
    attempt.refresh_from_db()
    assert attempt.status == S.CONFIRMED


def test_r_pay_5_two_sweepers_query_an_attempt_once(world, claim, gateway, settings):
    settings.ALIPAY_GATEWAY_URL = "http://127.0.0.1:9/gateway.do"
    attempt = start(world, claim)
    attempts.send(attempt.pk)
    settings.ALIPAY_GATEWAY_URL = gateway.url
    attempt.refresh_from_db()
    due = later(attempt)
    stale = PayoutAttempt.objects.get(pk=attempt.pk)
    assert attempts._claim_check(stale, due)
    assert not attempts._claim_check(stale, due)  # the second sweeper read the same row: it loses


def test_the_sdk_reaches_a_gateway_on_a_non_default_port(gateway):
    """alipay-sdk-python 3.7 drops the URL's port (payments.providers.alipay patches it)."""
    assert ":" in gateway.url.split("//")[1].split("/")[0]
    outcome = gateway.provider.transfer(Transfer("PORT-1", "alipay-x", Decimal("1.00"), "t"))
    assert outcome.result == Result.CONFIRMED


def test_an_answer_signed_with_another_key_is_not_believed(gateway, settings):
    from Crypto.PublicKey import RSA

    other = RSA.generate(2048).publickey().export_key().decode()
    keys = gateway.keys
    provider = AlipayProvider(
        app_id="a", gateway_url=gateway.url, app_private_key=keys["app_private"], alipay_public_key=other, timeout=1
    )
    assert provider.transfer(Transfer("SIGN-1", "alipay-x", Decimal("1.00"), "t")).result == Result.UNKNOWN


def test_a_request_signed_with_another_key_is_refused_by_the_gateway(gateway):
    from Crypto.PublicKey import RSA

    provider = AlipayProvider(
        app_id="a",
        gateway_url=gateway.url,
        app_private_key=RSA.generate(2048).export_key(pkcs=1).decode(),
        alipay_public_key=gateway.keys["gateway_public"],
        timeout=1,
    )
    outcome = provider.transfer(Transfer("SIGN-2", "alipay-x", Decimal("1.00"), "t"))
    assert outcome.result == Result.REFUSED and outcome.code == "isv.invalid-signature"
    assert "SIGN-2" not in gateway.book.orders
