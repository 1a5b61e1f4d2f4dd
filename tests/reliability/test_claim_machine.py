"""A stateful property test of the claim machine (domain.md §14), driven only through the
services: random actions by random roles at random times, with the payout job and the timers
running in between, some of them twice.

After every step: each claim is in a state of §14 and its audit trail chains from `open` to that
state with one row per move (every step audited); a refused action changed nothing; nothing is
paid twice (R-PAY-5); a sub-order's claims never get more than its paid amount (R-POL-5) and the
insurer never pays more than paid amount + allowance for a claim (R-PAY-3)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Q, Sum
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from audit.services import history
from claims import services as claims
from claims.choices import CLOSED_UNPAID, Side
from claims.choices import ClaimStatus as S
from claims.models import Claim
from kernel.actors import Actor, Channel, Role
from kernel.errors import DomainError
from ledger.models import Entry, EntryKind
from tests.factories import image_upload
from tests.world import World

pytestmark = pytest.mark.django_db

ROLES = ["reviewer", "supervisor", "insurer_api", "staff", "merchant", "platform", "timer", "other_reviewer"]
OUTSIDERS = {"other_reviewer"}  # another insurer's reviewer: never succeeds on these claims
RETURN_STATES = {
    S.AWAITING_RETURN,
    S.RETURN_IN_TRANSIT,
    S.AWAITING_RECEIPT,
    S.RECEIPT_DISPUTED,
    S.CLOSED_RECEIPT_REJECTED,
    S.CLOSED_NO_RETURN,
}
AMOUNTS = [Decimal(a) for a in ("0.00", "0.01", "50.00", "79.99", "80.00", "150.00", "199.00", "250.00")]


def photo(side):
    def move(m, claim, actor, variant):
        upload = image_upload(pattern=1 + (claim.pk + variant) % 7)
        claims.add_evidence(claim, side, upload, actor, now=m.now)

    return move


def not_an_image(m, claim, actor, variant):
    """Refused from its bytes (415), whatever its name and declared type."""
    upload = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    claims.add_evidence(claim, Side.BUYER if variant % 2 else Side.MERCHANT, upload, actor, now=m.now)


def decide(outcome):
    def move(m, claim, actor, variant):
        claims.decide(
            claim,
            outcome,
            actor,
            problem_code=["performance_fault", "unassessed", "no_such_code"][variant % 3],
            approved_amount=AMOUNTS[variant % len(AMOUNTS)],
            reason="审核意见",
            now=m.now,
        )

    return move


def resolve_appeal(outcome):
    def move(m, claim, actor, variant):
        claims.resolve_appeal(
            claim,
            actor,
            outcome=outcome,
            note="复核",
            approved_amount=AMOUNTS[variant % len(AMOUNTS)],
            problem_code="performance_fault",
            now=m.now,
        )

    return move


MOVES = {
    "buyer_photo": photo(Side.BUYER),
    "merchant_photo": photo(Side.MERCHANT),
    "not_an_image": not_an_image,
    "approve": decide("approve"),
    "partially_approve": decide("partially_approve"),
    "reject": decide("reject"),
    "request_evidence": decide("request_evidence"),
    "return_shipped": lambda m, c, a, v: claims.record_return_shipment(
        c, a, carrier="SF", tracking_number=m.world.next_id("SF"), now=m.now
    ),
    "remind_buyer": lambda m, c, a, v: claims.remind_buyer(c, a, now=m.now),
    "delivered": lambda m, c, a, v: claims.mark_delivered(c, a, now=m.now),
    "confirm_receipt": lambda m, c, a, v: claims.confirm_receipt(c, a, now=m.now),
    "reject_receipt": lambda m, c, a, v: claims.reject_receipt(
        c, a, reason_code=["empty_parcel", "late"][v % 2], note="空包", now=m.now
    ),
    "uphold_dispute": lambda m, c, a, v: claims.resolve_receipt_dispute(c, a, outcome="uphold", note="属实", now=m.now),
    "overturn_dispute": lambda m, c, a, v: claims.resolve_receipt_dispute(
        c, a, outcome="overturn", note="不实", now=m.now
    ),
    "refund_completed": lambda m, c, a, v: claims.complete_refund(c, a, now=m.now),
    "appeal": lambda m, c, a, v: claims.appeal(c, a, reason="不服", now=m.now),
    "uphold_appeal": resolve_appeal("uphold"),
    "change_decision": resolve_appeal("change"),
}


def reject_parcel_with_photo(m, claim, actor, variant):
    """R-RET-3: the merchant's photo of the parcel as received, then its rejection."""
    photo(Side.MERCHANT)(m, claim, actor, variant)
    claims.reject_receipt(claim, actor, reason_code="empty_parcel", note="空包", now=m.now)


MOVES["reject_parcel_with_photo"] = reject_parcel_with_photo

# The moves §14 allows from each state, with the role that makes them: the machine's spine.
# The first of each leads furthest, as Hypothesis's smallest examples pick the first.
NEXT = {
    S.SUBMITTED: [
        ("reviewer", "approve"),
        ("supervisor", "partially_approve"),
        ("insurer_api", "reject"),
        ("reviewer", "request_evidence"),
        ("platform", "buyer_photo"),
    ],
    S.EVIDENCE_REQUESTED: [("platform", "buyer_photo")],
    S.AWAITING_RETURN: [("platform", "return_shipped"), ("merchant", "remind_buyer"), ("platform", "appeal")],
    S.RETURN_IN_TRANSIT: [("platform", "delivered"), ("merchant", "confirm_receipt"), ("merchant", "merchant_photo")],
    S.AWAITING_RECEIPT: [
        ("merchant", "reject_parcel_with_photo"),
        ("merchant", "confirm_receipt"),
        ("merchant", "reject_receipt"),
    ],
    S.RECEIPT_DISPUTED: [("staff", "overturn_dispute"), ("staff", "uphold_dispute")],
    S.REFUND_DUE: [("platform", "refund_completed"), ("platform", "appeal")],
    S.REJECTED: [("platform", "appeal")],
    S.UNDER_APPEAL: [("staff", "change_decision"), ("staff", "uphold_appeal")],
}


# Random examples from a fixed seed: varied like a random run, the same on every CI run.
@seed(20261121)
class ClaimMachine(RuleBasedStateMachine):
    """One example: a few sub-orders of shop-a and the claims on them, inside a savepoint that is
    rolled back when the example ends. The world (insurer, plan, shops, people) is shared."""

    world = None
    start = None
    totals = None

    sub_orders = Bundle("sub_orders")
    claims = Bundle("claims")

    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.now = self.world.now
        self.claim_ids = set()
        w = self.world
        self.actors = {
            "reviewer": w.reviewer,
            "supervisor": w.supervisor,
            "insurer_api": Actor(role=Role.INSURER, channel=Channel.API, insurer_id=w.insurer.pk, label="api"),
            "staff": w.staff,
            "merchant": w.merchant,
            "platform": w.platform,
            "timer": w.timer,
            "other_reviewer": w.other_reviewer,
        }

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)
        self.totals["examples"] += 1

    # -- the world moves -------------------------------------------------------------------

    @initialize(target=sub_orders, paid=st.sampled_from(["80.00", "199.00"]))
    def first_sub_order(self, paid):
        return self._sub_order(paid)

    @initialize(target=claims, kind=st.sampled_from(["return_refund", "refund_only"]), partial=st.booleans())
    def a_claim_already_on_its_way(self, kind, partial):
        """A claim driven through the services to the run's start state (tests/world.py), so
        that every state of §14 sees random actions, however short the example."""
        kind = "return_refund" if self.start in RETURN_STATES else kind
        claim = self.world.in_state(self.start, kind=kind, partial=partial, buyer=self.world.next_id("buyer"))
        self.claim_ids.add(claim.pk)
        return claim.pk

    @rule(target=sub_orders, paid=st.sampled_from(["80.00", "199.00"]))
    def another_sub_order(self, paid):
        return self._sub_order(paid)

    def _sub_order(self, paid):
        receipt_at = self.now - dt.timedelta(days=2)
        return self.world.delivered_order(paid=paid, buyer=self.world.next_id("buyer"), receipt_at=receipt_at)

    @rule(
        target=claims,
        sub_order=sub_orders,
        again=st.booleans(),
        paid=st.sampled_from(["80.00", "199.00"]),
        kind=st.sampled_from(["return_refund", "refund_only"]),
        share=st.sampled_from(["1", "0.5"]),
        level=st.sampled_from(["normal", "high"]),
        without_photo=st.booleans(),
    )
    def buyer_asks_for_a_refund(self, sub_order, again, paid, kind, share, level, without_photo):
        """On a new sub-order, or `again` on one seen before (R-POL-5: one open claim at a time)."""
        sub_order = sub_order if again else self._sub_order(paid)
        amount = (sub_order.paid_amount * Decimal(share)).quantize(Decimal("0.01"))
        try:
            request = self.world.refund(sub_order, kind=kind, amount=str(amount), level=level, now=self.now)
        except DomainError as refused:
            # R-POL-5: a second request while a claim is open on the sub-order.
            assert refused.code == "claim_open"
            assert Claim.objects.filter(sub_order=sub_order).open().exists()
            return multiple()
        if not hasattr(request, "claim"):
            return multiple()  # R-WIN-1: the window closed while time went by
        self.claim_ids.add(request.claim.pk)
        if not without_photo:
            self.act(request.claim.pk, "platform", "buyer_photo", 0)
        return request.claim.pk

    @rule(hours=st.sampled_from([1, 5, 19, 24, 72, 169, 241, 400]))
    def time_passes_and_the_timers_run(self, hours):
        self.now += dt.timedelta(hours=hours)
        claims.process_deadlines(self.now)

    @rule(twice=st.booleans())
    def the_payout_job_runs(self, twice):
        """R-PAY-5: the job, and a duplicate of it, on every claim waiting for its payout."""
        for pk in Claim.objects.filter(pk__in=self.claim_ids, status=S.REFUNDED).values_list("pk", flat=True):
            assert claims.pay_out(pk, now=self.now) is True
            if twice:
                assert claims.pay_out(pk, now=self.now) is False

    # -- actions on a claim --------------------------------------------------------------------

    @rule(pick=st.integers(0, 99), choices=st.lists(st.integers(0, 4), min_size=1, max_size=8))
    def an_open_claim_moves_on(self, pick, choices):
        """Moves §14 allows from an open claim's state, by the role allowed to make them, so that
        examples reach the deep states (some are still refused: amounts, windows, evidence)."""
        open_claims = sorted(Claim.objects.filter(pk__in=self.claim_ids).open().values_list("pk", flat=True))
        if not open_claims:
            return
        claim = open_claims[pick % len(open_claims)]
        for choice in choices:
            moves = NEXT.get(Claim.objects.get(pk=claim).status)
            if not moves:
                return
            role, move = moves[choice % len(moves)]
            self.act(claim, role, move, choice)

    @rule(claim=claims, role=st.sampled_from(ROLES), move=st.sampled_from(sorted(MOVES)), variant=st.integers(0, 9))
    def someone_tries_something(self, claim, role, move, variant):
        self.act(claim, role, move, variant)

    def act(self, claim_pk, role, move, variant):
        claim = Claim.objects.get(pk=claim_pk)
        before = self._snapshot(claim)
        try:
            with transaction.atomic():
                MOVES[move](self, claim, self.actors[role], variant)
        except DomainError as refused:
            self.totals["refused"] += 1
            assert self._snapshot(claim) == before, f"{role} {move} was refused ({refused}) but something changed"
            return
        self.totals["succeeded"] += 1
        assert role not in OUTSIDERS, f"{role} made {move} on another insurer's claim"

    def _snapshot(self, claim):
        row = Claim.objects.filter(pk=claim.pk).values().get()
        return row, history(claim).count(), Entry.objects.filter(claim=claim).count(), claim.decisions.count()

    # -- what must always hold -----------------------------------------------------------------

    @invariant()
    def every_claim_is_in_a_state_of_the_machine_and_every_move_is_audited(self):
        for claim in Claim.objects.filter(pk__in=self.claim_ids):
            assert claim.status in S.values
            self.totals["states"].add(claim.status)
            rows = list(history(claim).values_list("transition", "source", "target"))
            assert rows[0] == ("open", "", S.SUBMITTED)
            for (_t, _s, target), (_t2, source, _target2) in zip(rows, rows[1:], strict=False):
                assert source == target, rows
            assert rows[-1][2] == claim.status, rows

    @invariant()
    def r_pay_5_nothing_is_paid_twice(self):
        counts = (
            Entry.objects.filter(claim_id__in=self.claim_ids)
            .values("claim_id")
            .annotate(
                paid=Count("pk", filter=Q(kind=EntryKind.CLAIM_PAID)),
                allowances=Count("pk", filter=Q(kind=EntryKind.SHIPPING_ALLOWANCE_PAID)),
            )
        )
        for row in counts:
            assert row["paid"] <= 1 and row["allowances"] <= 1, row
        for claim in Claim.objects.filter(pk__in=self.claim_ids):
            payments = Entry.objects.filter(claim=claim, kind=EntryKind.CLAIM_PAID)
            assert payments.exists() == (claim.status == S.PAID), claim.status
            if claim.status == S.PAID:
                assert payments.get().amount == claim.payout_amount == claim.approved_amount

    @invariant()
    def r_pol_5_and_r_pay_3_never_more_than_the_cap(self):
        for claim in Claim.objects.filter(pk__in=self.claim_ids).select_related("sub_order", "policy"):
            if claim.approved_amount is not None:
                assert Decimal("0") < claim.approved_amount <= claim.requested_amount
            paid_out = Entry.objects.filter(
                claim=claim, kind__in=[EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID]
            ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            assert paid_out <= claim.sub_order.paid_amount + claim.policy.return_shipping_allowance
            counting = (
                Claim.objects.filter(sub_order_id=claim.sub_order_id)
                .exclude(status__in=CLOSED_UNPAID)
                .aggregate(total=Sum("approved_amount"))["total"]
            )
            assert (counting or Decimal("0")) <= claim.sub_order.paid_amount


@pytest.mark.parametrize("start", S.values)
def test_the_claim_machine_holds_under_random_actions_roles_and_times(db, start):
    """One run per state of §14 to start from; each run's examples add sub-orders, claims,
    actions, timers and payouts at random."""
    ClaimMachine.world = World()
    ClaimMachine.start = start
    ClaimMachine.totals = totals = {"examples": 0, "succeeded": 0, "refused": 0, "states": set()}
    run_state_machine_as_test(
        ClaimMachine,
        settings=settings(
            max_examples=4,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    TOTALS[start] = totals
    # The run exercised the machine, not only its refusals.
    assert totals["succeeded"] > 0 and totals["refused"] > 0, totals
    assert start in totals["states"]


TOTALS = {}


def test_zz_the_runs_together_reached_every_state_of_the_machine(capsys):
    """Runs after the parametrized runs (pytest keeps file order); skipped when they did not run."""
    if len(TOTALS) < len(S.values):
        pytest.skip("the claim machine runs were not all run")
    reached = set().union(*(t["states"] for t in TOTALS.values()))
    with capsys.disabled():
        print(
            f"\nclaim machine: {sum(t['examples'] for t in TOTALS.values())} runs, "
            f"{sum(t['succeeded'] for t in TOTALS.values())} actions taken, "
            f"{sum(t['refused'] for t in TOTALS.values())} refused, {len(reached)} states reached"
        )
    assert reached == set(S.values)
