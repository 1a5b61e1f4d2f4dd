"""Fifty actors at once on one claim, on PostgreSQL, each on its own connection, replaying every
call that decides or moves money: the insurer's decision and the merchant's receipt check and the
platform's refund-completed through the API, the payout job, staff's dispute resolution through
the admin. Exactly one succeeds; every other gets 409 or, sent with the winner's
Idempotency-Key, a replay of its answer; the ledger holds one payment (R-PAY-5)."""

import threading
from collections import Counter
from unittest import mock

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.services import history
from claims import tasks
from claims.choices import ClaimStatus as S
from claims.models import Claim, Decision
from integrations.services import issue_client
from ledger.models import Entry, EntryKind
from payments import tasks as payment_tasks
from tests.world import World

from .postgres import postgresql_only

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

ACTORS = 50
SHARED_KEY = "the-same-click"  # every fourth actor replays one request with one Idempotency-Key


def race(attempt, actors=ACTORS):
    """Run attempt(i) in `actors` threads released at the same instant; each its own connection."""
    start = threading.Barrier(actors)
    results = [None] * actors

    def run(i):
        try:
            prepared = attempt(i)
            start.wait(timeout=60)
            results[i] = prepared()
        except Exception as exc:  # noqa: BLE001 - reported with the other answers
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def api_race(key, path, body):
    """ACTORS clients with one token POST the same body; every fourth with SHARED_KEY."""

    def attempt(i):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        headers = {"Idempotency-Key": SHARED_KEY} if i % 4 == 0 else {}
        return lambda: http.post(path, body, format="json", headers=headers)

    return race(attempt)


def outcome_of(response):
    if isinstance(response, Exception):
        return f"raised {response!r}"
    replayed = response.get("Idempotent-Replayed") == "true"
    code = response.json()["error"]["code"] if response.status_code >= 400 else "ok"
    return f"{response.status_code} {code}{' (replay)' if replayed else ''}"


ALLOWED = {"200 ok", "200 ok (replay)", "409 transition_not_allowed", "409 transition_not_allowed (replay)"}


def assert_one_winner(responses):
    """One original success; the rest refused, and the twins of one Idempotency-Key all given
    the answer their first got."""
    outcomes = Counter(outcome_of(r) for r in responses)
    assert outcomes["200 ok"] == 1 and set(outcomes) <= ALLOWED, outcomes
    keyed = [r for r in responses if _keyed(r)]
    originals = [r for r in keyed if r.get("Idempotent-Replayed") != "true"]
    assert len(keyed) == len(range(0, ACTORS, 4)) and len(originals) == 1, outcomes
    for twin in keyed:
        assert (twin.status_code, twin.json()) == (originals[0].status_code, originals[0].json())
    return outcomes


def _keyed(response):
    return response.wsgi_request.headers.get("Idempotency-Key") == SHARED_KEY


def moves(claim, transition):
    return history(claim).filter(transition=transition).count()


@pytest.fixture
def world():
    return World()


def test_r_pay_5_fifty_insurer_decisions_at_once_decide_once(world):
    claim = world.claim(kind="return_refund")
    _client, key = issue_client("insurer-race", role="insurer", insurer_code=world.insurer.code)
    body = {"outcome": "approve", "problem_code": "performance_fault"}
    outcomes = assert_one_winner(api_race(key, f"/api/v1/claims/{claim.claim_id}/decision", body))
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RETURN
    assert Decision.objects.filter(claim=claim).count() == 1 and moves(claim, "approve") == 1
    print(f"\n{ACTORS} at once, decision: {dict(outcomes)}")


def test_r_pay_5_fifty_receipt_confirmations_at_once_confirm_once(world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    _client, key = issue_client("merchant-race", role="merchant", shop_id=world.shop.shop_id)
    outcomes = assert_one_winner(api_race(key, f"/api/v1/claims/{claim.claim_id}/receipt", {"outcome": "confirm"}))
    claim.refresh_from_db()
    assert claim.status == S.REFUND_DUE and moves(claim, "confirm_receipt") == 1
    print(f"\n{ACTORS} at once, receipt confirmation: {dict(outcomes)}")


def test_r_pay_5_fifty_refund_completed_reports_at_once_pay_once(world, standin):
    claim = world.in_state(S.REFUND_DUE, kind="return_refund")
    _client, key = issue_client("platform-race")
    outcomes = assert_one_winner(
        api_race(key, f"/api/v1/claims/{claim.claim_id}/refund-completed", {"buyer_payout_account": "buyer-race"})
    )
    claim.refresh_from_db()
    # The payout task ran once the winner committed (tasks are eager in tests).
    assert claim.status == S.PAID
    assert Entry.objects.filter(claim=claim, kind=EntryKind.SHIPPING_ALLOWANCE_PAID).count() == 1
    assert Entry.objects.filter(claim=claim, kind=EntryKind.CLAIM_PAID).count() == 1
    assert moves(claim, "complete_refund") == 1 and moves(claim, "mark_paid") == 1
    assert standin.book.transfer_calls == 2  # one transfer per kind reached Alipay
    print(f"\n{ACTORS} at once, refund completed: {dict(outcomes)}")


def test_r_pay_5_fifty_payout_jobs_at_once_pay_once(world, standin):
    with mock.patch.object(payment_tasks.send_payout, "delay"):  # the job is started by hand below, fifty times
        claim = world.in_state(S.REFUNDED)
    assert claim.status == S.REFUNDED
    results = race(lambda i: lambda: tasks.pay_out(claim.pk))
    outcomes = Counter(repr(r) for r in results)
    assert outcomes == {"True": 1, "False": ACTORS - 1}, outcomes
    claim.refresh_from_db()
    assert claim.status == S.PAID
    payment = Entry.objects.get(claim=claim, kind=EntryKind.CLAIM_PAID)
    assert payment.amount == claim.payout_amount and payment.payee == world.shop.payout_account
    assert moves(claim, "mark_paid") == 1
    assert standin.book.transfer_calls == 1
    print(f"\n{ACTORS} at once, payout job: {dict(outcomes)}")


def test_r_pay_5_fifty_dispute_resolutions_at_once_resolve_once(world):
    """Half of staff's clicks uphold the merchant's rejection, half overturn it: one wins."""
    claim = world.in_state(S.RECEIPT_DISPUTED)
    seen = admin.site._registry[Claim].version_of(claim)

    def attempt(i):
        http = Client()
        http.force_login(world.staff_user)
        action = "overturn_receipt_rejection" if i % 2 else "uphold_receipt_rejection"
        url = reverse("admin:claims_claim_act", args=[claim.pk, action])
        return lambda: http.post(url, {"seen": seen, "note": "核实物流照片"})

    results = race(attempt)
    outcomes = Counter(getattr(r, "status_code", repr(r)) for r in results)
    assert outcomes[302] == 1 and outcomes[409] == ACTORS - 1, outcomes
    claim.refresh_from_db()
    assert claim.status in (S.REFUND_DUE, S.CLOSED_RECEIPT_REJECTED)
    resolved = moves(claim, "overturn_receipt_rejection") + moves(claim, "uphold_receipt_rejection")
    assert resolved == 1
    points = Entry.objects.filter(claim=claim, kind=EntryKind.POINTS_GRANTED).count()
    assert points == (1 if claim.status == S.REFUND_DUE else 0)  # R-PEN-1 once, on an overturn
    print(f"\n{ACTORS} at once, dispute resolution: {dict(outcomes)}")


def test_r_pol_5_twelve_refund_requests_at_once_open_one_claim_and_the_rest_are_claim_open(world):
    """Twelve requests (each its own refund_id) for one sub-order at once: one opens the claim,
    every other is 409 `claim_open`, never a 500 from the one-open-claim index."""
    sub_order = world.delivered_order()
    _client, key = issue_client("platform-refund-race")

    def attempt(i):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        body = {
            "refund_id": f"rf-race-{i}",
            "sub_order_id": sub_order.sub_order_id,
            "kind": "refund_only",
            "reason": "quality",
            "amount": "99.00",
            "description": "壶底漏水",
            "requested_at": world.now.isoformat(),
        }
        return lambda: http.post("/api/v1/refund-requests", body, format="json")

    outcomes = Counter(outcome_of(r) for r in race(attempt, actors=12))
    assert outcomes == {"201 ok": 1, "409 claim_open": 11}, outcomes
    assert Claim.objects.filter(sub_order=sub_order).count() == 1
