"""A model of whole claim lives (issue 13): a hypothesis state machine that drives orders,
shipments, cancellations, refund requests, evidence, decisions, the fast lane, returns, receipt
checks, disputes, appeals, refunds and payouts through the API and the public services, jumps
the clock with and without the sweeper (`process_deadlines`), and checks the invariants of
tests/model/invariants.py after every step.

Each example runs in a savepoint rolled back at its end, on a clock of its own (`timezone.now`
patched: the API and the services read it), with the callbacks owed after commit (payouts,
webhook sends, e-mails) run as each step ends. Webhook rows are written as in production; their
HTTP posts are not made (the outbox is what the invariants read)."""

import datetime as dt
import os
import random
from decimal import Decimal
from unittest import mock

from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Claim
from kernel.errors import DomainError
from notices.models import Notice
from tests.api.conftest import make_api
from tests.factories import image_upload, photo_upload
from tests.world import World

from . import invariants
from .plans import PlanChanges

HOOK = "https://hooks.example.invalid/zhibao"
# Jumps that land just before and just past the plan's clocks (24 h review, 72 h evidence,
# 168 h return tracking, 240 h receipt check, appeal days), plus 5 h past each.
JUMPS = (1, 5, 19, 23, 25, 67, 77, 163, 173, 235, 245, 24 * 8, 24 * 16)
PICK = st.integers(min_value=0, max_value=10**6)
ADVANCING = [state for state in S if state not in (S.PAID, S.CLOSED_NO_RETURN, S.CLOSED_RECEIPT_REJECTED)]


class ClaimLives(PlanChanges, RuleBasedStateMachine):
    # Each example in a savepoint rolled back at its end; ConcurrentLives commits instead.
    committed = False

    def __init__(self):
        super().__init__()
        self._atomic = None if self.committed else transaction.atomic()
        if self._atomic:
            self._atomic.__enter__()
        self._patches = [
            mock.patch("django.utils.timezone.now", lambda: self.now),
            mock.patch("integrations.webhooks.send_each", lambda ids: None),
        ]
        cache.clear()
        self.world = World()
        self.now = self.world.now
        for patch in self._patches:
            patch.start()
        w = self.world
        self.platform = make_api("tmall")
        self.insurer = make_api("insurer", role="insurer", insurer_code=w.insurer.code, webhook_url=HOOK)
        self.merchant = make_api("shop-a-erp", role="merchant", shop_id=w.shop.shop_id, webhook_url=HOOK)
        cache.clear()
        self.since = self.now
        self.first_notice_id = (Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.sub_orders: list[str] = []
        self.claims: list[str] = []
        self.found: list[str] = []  # violations of checks tagged with an open issue-13 item
        self.seq = 0
        self.start_plan_changes()

    def teardown(self):
        for patch in reversed(self._patches):
            patch.stop()
        if self._atomic:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
        cache.clear()

    # -- plumbing ---------------------------------------------------------------------------

    def check(self, ok, item, message):
        """An invariant; `item` names the issue-13 item it belongs to, if any (see invariants.OPEN)."""
        if ok:
            return
        if item in invariants.OPEN:
            self.found.append(f"{item}: {message}")
            return
        raise AssertionError(f"{item or 'invariant'}: {message}")

    def call(self, api, method, path, *args, **kwargs):
        """One request, its after-commit callbacks run; never a 5xx."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = getattr(api, method)(path, *args, **kwargs)
        if os.environ.get("MODEL_TRACE"):
            print("TRACE", method, path, response.status_code, response.content[:160])
        assert response.status_code < 500, (method, path, response.status_code, response.content[:500])
        return response

    def service(self, action, *args, **kwargs):
        """A staff action through its service: refused (a DomainError) or done."""
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                action(*args, **kwargs)
        except DomainError:
            return False
        return True

    def next_id(self, prefix):
        self.seq += 1
        return f"{prefix}-m{self.seq}"

    def claim(self, pick, *states) -> Claim:
        """A claim of the model, most often one in `states` (where the step may succeed), one in
        five times any (where it should be refused)."""
        claims = Claim.objects.select_related("policy", "sub_order").filter(claim_id__in=self.claims).order_by("pk")
        if states and pick % 5:
            claims = claims.filter(status__in=states) or claims
        claims = list(claims)
        return claims[pick % len(claims)]

    def late(self, deadline):
        return deadline is not None and self.now > deadline

    def refused_if_late(self, response, deadline, what):
        """issue 13 item 5: a step past its deadline is refused when tried, sweeper or not."""
        if self.late(deadline):
            self.check(
                response.status_code >= 400, "item 5", f"{what} accepted {self.now - deadline} past its deadline"
            )

    # -- orders and policies ----------------------------------------------------------------

    @initialize(paid=st.sampled_from(["199.00", "99.00"]), seed=st.integers(min_value=0, max_value=2**32))
    def first_order(self, paid, seed):
        """Every life starts with a delivered order and a refund request on it."""
        self.rng = random.Random(seed)
        self.order(paid=paid, buyer="buyer-1", delivered=True)
        self.refund_request(pick=0, kind="return_refund", share="1", level="normal")

    @rule(
        paid=st.sampled_from(["199.00", "99.00", "1999.00"]),
        buyer=st.sampled_from(["buyer-1", "buyer-2"]),
        delivered=st.booleans(),
    )
    def order(self, paid, buyer, delivered=True):
        sub_order_id = self.next_id("SO")
        body = {
            "sub_order_id": sub_order_id,
            "order_id": self.next_id("O"),
            "shop_id": self.world.shop.shop_id,
            "buyer_id": buyer,
            "product_id": "kettle-1",
            "warranty_plan": "appliance_30d",
            "paid_amount": paid,
            "placed_at": (self.now - dt.timedelta(days=3)).isoformat(),
        }
        response = self.call(self.platform, "post", "orders", body)
        if response.status_code == 201:
            self.sub_orders.append(sub_order_id)
        if delivered:
            events = [
                {"sub_order_id": sub_order_id, "type": "shipped", "at": (self.now - dt.timedelta(days=2)).isoformat()},
                {
                    "sub_order_id": sub_order_id,
                    "type": "receipt_confirmed",
                    "at": (self.now - dt.timedelta(days=1)).isoformat(),
                },
            ]
            self.call(self.platform, "post", "order-events", {"events": events})

    @precondition(lambda self: self.sub_orders)
    @rule(pick=PICK, type_=st.sampled_from(["shipped", "receipt_confirmed", "cancelled", "delivered_both"]))
    def order_event(self, pick, type_):
        sub_order_id = self.sub_orders[pick % len(self.sub_orders)]
        types = ["shipped", "receipt_confirmed"] if type_ == "delivered_both" else [type_]
        at = self.now - dt.timedelta(hours=1)
        events = [
            {"sub_order_id": sub_order_id, "type": t, "at": (at + dt.timedelta(minutes=i)).isoformat()}
            for i, t in enumerate(types)
        ]
        self.call(self.platform, "post", "order-events", {"events": events})

    # -- refund requests and evidence -------------------------------------------------------

    @precondition(lambda self: self.sub_orders)
    @rule(
        pick=PICK,
        kind=st.sampled_from(["return_refund", "refund_only"]),
        share=st.sampled_from(["1", "0.4", "0.75"]),
        level=st.sampled_from(["normal", "high"]),
    )
    def refund_request(self, pick, kind, share, level):
        from policies.models import SubOrder

        sub_order = SubOrder.objects.get(sub_order_id=self.sub_orders[pick % len(self.sub_orders)])
        body = {
            "refund_id": self.next_id("RF"),
            "sub_order_id": sub_order.sub_order_id,
            "kind": kind,
            "reason": "quality",
            "amount": str((sub_order.paid_amount * Decimal(share)).quantize(Decimal("0.01"))),
            "description": "壶底漏水",
            "requested_at": self.now.isoformat(),
            "buyer_level": level,
        }
        response = self.call(self.platform, "post", "refund-requests", body)
        claim = response.json().get("claim") if response.status_code == 201 else None
        if claim:
            self.claims.append(claim["claim_id"])

    @precondition(lambda self: self.claims)
    @rule(pick=PICK, seed=st.integers(min_value=0, max_value=3))
    def buyer_evidence(self, pick, seed):
        claim = self.claim(pick, S.SUBMITTED, S.EVIDENCE_REQUESTED)
        deadline = claim.evidence_due_at if claim.status == S.EVIDENCE_REQUESTED else None
        response = self.call(
            self.platform, "upload", f"claims/{claim.claim_id}/evidence", photo_upload(seed=seed), "壶底"
        )
        self.refused_if_late(response, deadline, "buyer evidence")

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def merchant_evidence(self, pick):
        claim = self.claim(pick, S.AWAITING_RECEIPT)
        self.call(self.merchant, "upload", f"claims/{claim.claim_id}/evidence", image_upload(pattern=5), "外箱")

    # -- the insurer's review ---------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(
        pick=PICK,
        outcome=st.sampled_from(["approve", "partially_approve", "reject", "request_evidence"]),
        share=st.sampled_from(["0.5", "0.9"]),
    )
    def decide(self, pick, outcome, share):
        claim = self.claim(pick, S.SUBMITTED)
        body = {"outcome": outcome, "problem_code": "performance_fault", "reason": "见照片"}
        if outcome == "partially_approve":
            body["approved_amount"] = str((claim.requested_amount * Decimal(share)).quantize(Decimal("0.01")))
        self.call(self.insurer, "post", f"claims/{claim.claim_id}/decision", body)

    # -- the return and the receipt check ---------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(pick=PICK, tracking=st.sampled_from(["SF1234567", "SF 1234 567", "YT0001", "new"]))
    def return_shipment(self, pick, tracking):
        claim = self.claim(pick, S.AWAITING_RETURN)
        deadline = claim.return_due_at if claim.status == S.AWAITING_RETURN else None
        number = self.next_id("SF") if tracking == "new" else tracking
        body = {"carrier": "SF", "tracking_number": number}
        response = self.call(self.platform, "post", f"claims/{claim.claim_id}/return-shipment", body)
        self.refused_if_late(response, deadline, "a return tracking number")

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def delivered(self, pick):
        self.call(self.platform, "post", f"claims/{self.claim(pick, S.RETURN_IN_TRANSIT).claim_id}/delivered", {})

    @precondition(lambda self: self.claims)
    @rule(pick=PICK, outcome=st.sampled_from(["confirm", "reject"]))
    def receipt(self, pick, outcome):
        claim = self.claim(pick, S.AWAITING_RECEIPT)
        deadline = claim.receipt_due_at if claim.status == S.AWAITING_RECEIPT else None
        body = {"outcome": outcome}
        if outcome == "reject":
            body |= {"reason_code": "empty_parcel", "note": "打开是空的"}
        response = self.call(self.merchant, "post", f"claims/{claim.claim_id}/receipt", body)
        if outcome == "reject":
            self.refused_if_late(response, deadline, "a parcel rejection")

    @precondition(lambda self: self.claims)
    @rule(pick=PICK, outcome=st.sampled_from(["uphold", "overturn"]))
    def resolve_dispute(self, pick, outcome):
        claim = self.claim(pick, S.RECEIPT_DISPUTED)
        self.service(claims.resolve_receipt_dispute, claim, self.world.staff, outcome=outcome, note="看过照片")

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def remind_buyer(self, pick):
        self.call(self.merchant, "post", f"claims/{self.claim(pick, S.AWAITING_RETURN).claim_id}/remind-buyer", {})

    # -- appeals -----------------------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def appeal(self, pick):
        self.call(
            self.platform,
            "post",
            f"claims/{self.claim(pick, S.REJECTED, S.AWAITING_RETURN, S.REFUND_DUE).claim_id}/appeal",
            {"reason": "照片能看出漏水"},
        )

    @precondition(lambda self: self.claims)
    @rule(pick=PICK, outcome=st.sampled_from(["uphold", "change"]), share=st.sampled_from(["1", "0.5"]))
    def resolve_appeal(self, pick, outcome, share):
        claim = self.claim(pick, S.UNDER_APPEAL)
        amount = (claim.requested_amount * Decimal(share)).quantize(Decimal("0.01"))
        self.service(
            claims.resolve_appeal,
            claim,
            self.world.staff,
            outcome=outcome,
            note="复核",
            approved_amount=amount if outcome == "change" else None,
            problem_code="performance_fault",
        )

    # -- money -------------------------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def refund_completed(self, pick):
        # The payout task runs once the refund commits (R-PAY-1, R-PAY-5).
        self.call(self.platform, "post", f"claims/{self.claim(pick, S.REFUND_DUE).claim_id}/refund-completed", {})

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def payout_retried(self, pick):
        """A duplicate payout task (a retry, a second worker) pays nothing more (R-PAY-5)."""
        claims.pay_out(self.claim(pick, S.REFUNDED, S.PAID).pk)

    # -- a life's next step -------------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(pick=PICK, choice=st.integers(min_value=0, max_value=3))
    def advance(self, pick, choice):
        """The step a claim's state calls for, by whoever takes it, so that lives reach their end."""
        claim = self.claim(pick, *ADVANCING)
        pick = pick - pick % 5 + 1 if pick % 5 == 0 else pick  # stay among claims in this state
        status = claim.status
        if status == S.SUBMITTED and not claim.evidence.filter(side="buyer").exists():
            self.buyer_evidence(pick, seed=choice)
        elif status == S.SUBMITTED:
            self.decide(pick, ["approve", "partially_approve", "reject", "request_evidence"][choice], "0.5")
        elif status == S.EVIDENCE_REQUESTED:
            self.buyer_evidence(pick, seed=choice)
        elif status == S.AWAITING_RETURN:
            self.return_shipment(pick, ["new", "new", "SF1234567", "SF 1234 567"][choice])
        elif status == S.RETURN_IN_TRANSIT:
            self.delivered(pick)
        elif status == S.AWAITING_RECEIPT:
            if choice % 2:
                self.merchant_evidence(pick)
            self.receipt(pick, "reject" if choice == 3 else "confirm")
        elif status == S.RECEIPT_DISPUTED:
            self.resolve_dispute(pick, "uphold" if choice % 2 else "overturn")
        elif status == S.REJECTED:
            self.appeal(pick)
        elif status == S.UNDER_APPEAL:
            self.resolve_appeal(pick, "uphold" if choice == 0 else "change", "1" if choice < 3 else "0.5")
        elif status == S.REFUND_DUE:
            self.refund_completed(pick)
        else:
            self.payout_retried(pick)

    # -- time --------------------------------------------------------------------------------

    @rule(hours=st.sampled_from(JUMPS), sweep=st.booleans())
    def time_passes(self, hours, sweep):
        self.now += dt.timedelta(hours=hours)
        if sweep:
            self.sweep()

    @rule()
    def sweep(self):
        with TestCase.captureOnCommitCallbacks(execute=True):
            claims.process_deadlines(self.now)

    # -- what a merchant reads --------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(pick=PICK)
    def merchant_reads(self, pick):
        claim = self.claim(pick)
        response = self.call(self.merchant, "get", f"claims/{claim.claim_id}")
        if response.status_code == 200:
            codes = {flag["code"] for flag in response.json().get("flags", [])}
            # issue 13 item 10 (R-REV-7)
            self.check(codes <= invariants.MERCHANT_FLAGS, "item 10", f"merchant API shows {codes} on {claim.claim_id}")
        response = self.call(self.merchant, "get", "claims", {"limit": 50})
        assert response.status_code == 200

    # -- a random walk ------------------------------------------------------------------------

    @rule(steps=st.integers(min_value=1, max_value=8))
    def walk(self, steps):
        """`steps` steps drawn from the life's own random stream (seeded by `first_order`): a few
        examples then cover deep lives, where hypothesis's own choice of rules, on a small budget,
        tends to repeat one rule. Each step is checked like a rule."""
        for _ in range(steps):
            name, args = self.draw_step()
            if os.environ.get("MODEL_TRACE"):
                print("WALK", name, args)
            if name not in ("order", "time_passes", "sweep") and not self.claims:
                continue
            getattr(self, name)(**args)
            self.rules_hold()

    def draw_step(self):
        r = self.rng
        pick = r.randrange(10**6)
        steps = [
            (10, "advance", lambda: {"pick": pick, "choice": r.randrange(4)}),
            (
                2,
                "order",
                lambda: {
                    "paid": r.choice(["199.00", "99.00"]),
                    "buyer": r.choice(["buyer-1", "buyer-2"]),
                    "delivered": r.random() < 0.8,
                },
            ),
            (
                1,
                "order_event",
                lambda: {
                    "pick": pick,
                    "type_": r.choice(["shipped", "receipt_confirmed", "cancelled", "delivered_both"]),
                },
            ),
            (
                2,
                "refund_request",
                lambda: {
                    "pick": pick,
                    "kind": r.choice(["return_refund", "refund_only"]),
                    "share": r.choice(["1", "0.4", "0.75"]),
                    "level": r.choice(["normal", "high"]),
                },
            ),
            (1, "buyer_evidence", lambda: {"pick": pick, "seed": r.randrange(4)}),
            (1, "merchant_evidence", lambda: {"pick": pick}),
            (
                1,
                "decide",
                lambda: {
                    "pick": pick,
                    "outcome": r.choice(["approve", "partially_approve", "reject", "request_evidence"]),
                    "share": r.choice(["0.5", "0.9"]),
                },
            ),
            (1, "return_shipment", lambda: {"pick": pick, "tracking": r.choice(["SF1234567", "SF 1234 567", "new"])}),
            (1, "receipt", lambda: {"pick": pick, "outcome": r.choice(["confirm", "reject"])}),
            (1, "appeal", lambda: {"pick": pick}),
            (1, "refund_completed", lambda: {"pick": pick}),
            (1, "payout_retried", lambda: {"pick": pick}),
            (3, "time_passes", lambda: {"hours": r.choice(JUMPS), "sweep": r.random() < 0.5}),
            (1, "sweep", dict),
            (1, "merchant_reads", lambda: {"pick": pick}),
        ]
        [(_, name, args)] = r.choices(steps, weights=[w for w, _, _ in steps])
        return name, args()

    # -- the invariants ---------------------------------------------------------------------

    @invariant()
    def rules_hold(self):
        found = invariants.violations(
            self.first_notice_id, self.since, self.now, self.merchant.client, self.insurer.client
        )
        for item, message in found:
            self.check(False, item, message)
