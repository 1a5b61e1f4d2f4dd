"""Concurrent steps in claim lives (issue 13), on PostgreSQL: the same machine as ClaimLives, its
rows committed (each example flushed at its end) so that several connections can race, and
rules that send one claim's competing calls from threads released at one instant.

What each race must give, beside the invariants every step checks: no 5xx and no exception, at
most one winner where the calls exclude each other, and a refusal for every loser in the words of
the contract (409 with its code)."""

import os
import threading
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Claim
from kernel.errors import DomainError
from tests.api.conftest import Api

from .lives import PICK, ClaimLives

RACERS = 4
# What a loser of a fair race is told: the claim moved on, or it changed under the caller's page.
FAIR = ("transition_not_allowed", "stale_page")


def race(*attempts):
    """Run each attempt in a thread of its own, released together; each on its own connection.
    Returns what each returned, or the exception it raised."""
    start = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(i, attempt):
        try:
            start.wait(timeout=30)
            results[i] = attempt()
        except Exception as exc:  # noqa: BLE001 - checked with the other results
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def post(api, path, body):
    """A POST by `api`'s client on an HTTP client of its own (one per thread)."""
    return Api(api.client, api.key).post(path, body)


def outcome(action, *args, **kwargs):
    """A staff action as a racer: (200, "ok", None) done, (its status, its code, None) refused."""
    try:
        action(*args, **kwargs)
    except DomainError as refused:
        return (refused.status, refused.code, None)
    return (200, "ok", None)


def code_of(response):
    return response.json().get("error", {}).get("code") if response.status_code >= 400 else "ok"


class ConcurrentLives(ClaimLives):
    committed = True

    def teardown(self):
        super().teardown()
        # What pytest-django does after a transactional test, here after every example.
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=False)
        ContentType.objects.clear_cache()

    def raced(self, results, what, *, winners=1, refusals=()):
        """No racer crashed or got a 5xx; at most `winners` of the competing calls won; every
        loser was refused in words (with one of `refusals` when the race was a fair one). A
        result is an HTTP answer, an `outcome` of a staff action, or what a background job
        returned (not a competitor)."""
        answers = []
        for result in results:
            assert not isinstance(result, Exception), f"{what}: {result!r}"
            if hasattr(result, "status_code"):
                assert result.status_code < 500, (what, result.status_code, result.content[:300])
                answers.append((result.status_code, code_of(result), result))
            elif isinstance(result, tuple):
                answers.append(result)
        won = [a for a in answers if a[0] < 300]
        if os.environ.get("MODEL_TRACE"):
            print("RACE", what, [a[:2] for a in answers])
        assert len(won) <= winners, f"{what}: {len(won)} won: {[a[1] for a in won]}"
        for status, code, _ in answers:
            assert status < 300 or (400 <= status < 500 and code), (what, status, code)
            # A 422 is the call's own fault (a rejection without its photo), not a lost race.
            if status == 409 and won and refusals:
                assert code in refusals, (what, status, code)
        return [a[2] for a in won if hasattr(a[2], "status_code")]

    def staged(self, pick, state):
        """A claim of the model in `state` for a fair race: one the lives brought there, or, as
        lives of 25 steps seldom reach the later states, one driven there now through the
        services (tests/world.py), or None when the shop can no longer open one."""
        here = list(Claim.objects.filter(claim_id__in=self.claims, status=state).order_by("pk"))
        if here and pick % 2:
            return here[pick % len(here)]
        self.world.now = self.now
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                claim = self.world.in_state(state, buyer=f"buyer-r{self.seq}")
        except DomainError:
            return here[pick % len(here)] if here else None
        self.claims.append(claim.claim_id)
        return Claim.objects.select_related("policy", "sub_order").get(pk=claim.pk)

    # -- the races ----------------------------------------------------------------------------

    @precondition(lambda self: self.sub_orders)
    @rule(pick=PICK, racers=st.integers(min_value=2, max_value=RACERS))
    def refund_requests_at_once(self, pick, racers):
        """R-POL-5 (issue 13 item 3): one sub-order, several refund requests at once: one claim."""
        if pick % 2:  # a fresh delivered order, so that the race is for its first claim
            self.order(paid="199.00", buyer=f"buyer-r{self.seq}", delivered=True)
        sub_order_id = self.sub_orders[-1] if pick % 2 else self.sub_orders[pick % len(self.sub_orders)]
        bodies = [
            {
                "refund_id": self.next_id("RF"),
                "sub_order_id": sub_order_id,
                "kind": "return_refund",
                "reason": "quality",
                "amount": "50.00",
                "description": "壶底漏水",
                "requested_at": self.now.isoformat(),
                "buyer_level": "normal",
            }
            for _ in range(racers)
        ]
        results = race(*[partial(post, self.platform, "refund-requests", body) for body in bodies])
        # A request the merchant handles (not covered, R-ROUTE-2) is recorded (201) and opens no
        # claim: it does not compete. One opening a claim wins; the others are told claim_open.
        opened = [r for r in results if getattr(r, "status_code", 0) == 201 and r.json().get("claim")]
        competing = [r for r in results if r in opened or getattr(r, "status_code", 201) != 201]
        for created in self.raced(competing, "refund requests", refusals=("claim_open",)):
            self.claims.append(created.json()["claim"]["claim_id"])

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def decisions_at_once(self, pick):
        """Two insurer clients' decisions and a reviewer's on one claim: one decides."""
        claim = self.staged(pick, S.SUBMITTED) if pick % 3 else self.claim(pick)
        if claim is None:
            return
        path = f"claims/{claim.claim_id}/decision"
        reject = {"outcome": "reject", "problem_code": "human_damage", "reason": "人为损坏"}
        approve = {"outcome": "approve", "problem_code": "performance_fault", "reason": "见照片"}

        by_reviewer = partial(
            outcome, claims.decide, claim, "request_evidence", self.world.reviewer, reason="补图", now=self.now
        )
        results = race(
            partial(post, self.insurer, path, approve), partial(post, self.insurer, path, reject), by_reviewer
        )
        self.raced(results, "decisions", refusals=FAIR if claim.status == S.SUBMITTED else ())

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def receipt_checks_at_once(self, pick):
        """The merchant confirms and rejects one parcel at once, the sweeper running too."""
        claim = self.staged(pick, S.AWAITING_RECEIPT) if pick % 3 else self.claim(pick)
        if claim is None:
            return
        path = f"claims/{claim.claim_id}/receipt"
        reject = {"outcome": "reject", "reason_code": "empty_parcel", "note": "打开是空的"}
        results = race(
            partial(post, self.merchant, path, {"outcome": "confirm"}),
            partial(post, self.merchant, path, reject),
            partial(claims.process_deadlines, self.now),
        )
        fair = claim.status == S.AWAITING_RECEIPT
        self.raced(results, "receipt checks", refusals=(*FAIR, "deadline_passed") if fair else ())

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def money_at_once(self, pick):
        """R-PAY-5: refund-completed twice and the payout job twice at once: one payment."""
        claim = self.staged(pick, S.REFUND_DUE) if pick % 3 else self.claim(pick)
        if claim is None:
            return
        path = f"claims/{claim.claim_id}/refund-completed"
        results = race(
            partial(post, self.platform, path, {}),
            partial(post, self.platform, path, {}),
            partial(claims.pay_out, claim.pk),
            partial(claims.pay_out, claim.pk),
        )
        self.raced(results, "refund completed", refusals=FAIR if claim.status == S.REFUND_DUE else ())

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def appeal_and_cancellation_at_once(self, pick):
        """R-POL-2 × R-DIS-1 (issue 13 item 2) raced: the appeal and the order's cancellation."""
        claim = self.staged(pick, S.REJECTED) if pick % 3 else self.claim(pick)
        if claim is None:
            return
        event = {"sub_order_id": claim.sub_order.sub_order_id, "type": "cancelled", "at": self.now.isoformat()}
        results = race(
            partial(post, self.platform, f"claims/{claim.claim_id}/appeal", {"reason": "照片能看出漏水"}),
            partial(post, self.platform, "order-events", {"events": [event]}),
        )
        self.raced(results, "appeal and cancellation", winners=2)

    def draw_step(self):
        """The walk takes a race one step in five."""
        if self.rng.random() < 0.2:
            pick = self.rng.randrange(10**6)
            name = self.rng.choice(
                [
                    "refund_requests_at_once",
                    "decisions_at_once",
                    "receipt_checks_at_once",
                    "money_at_once",
                    "appeal_and_cancellation_at_once",
                ]
            )
            args = {"pick": pick}
            if name == "refund_requests_at_once":
                args["racers"] = self.rng.randint(2, RACERS)
            return name, args
        return super().draw_step()
