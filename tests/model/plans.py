"""Plan changes in claim lives (issue 13): between steps, staff edit the plan's clocks and money,
and the shop leaves its plan and joins it again. A mixin of ClaimLives (tests/model/lives.py).

What must hold after every step:
- a claim keeps the terms its plan had when it opened, a policy those it had when it was issued
  (domain.md §2: later changes to a plan never alter cases in flight);
- the deadline a claim's state runs against follows from the claim's own terms and the moment it
  entered the state, whatever the plan says now;
- a policy exists exactly for the shipped orders placed while the shop was covered, as the
  enrolment's audit trail tells it (R-POL-1, R-EXIT-2), and a re-application before day
  `rejoin_on_day` after the exit is refused (R-EXIT-3)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from audit.models import TransitionLog
from catalogue.models import Plan
from claims.choices import ClaimStatus as S
from claims.models import Claim
from kernel.actors import Actor, Channel, Role
from merchants import services as merchants
from merchants.choices import EnrolmentStatus
from merchants.models import Enrolment
from policies.models import Policy, SubOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLAIM_TERMS = (
    "review_sla_hours",
    "evidence_response_hours",
    "return_tracking_hours",
    "merchant_receipt_hours",
    "refund_due_hours",
    "appeal_days",
)
POLICY_TERMS = ("coverage_hours", "return_shipping_allowance")
# Each edit a supervisor might make, its values around the defaults of domain.md §2.
EDITS = {
    "review_sla_hours": (12, 24, 48),
    "evidence_response_hours": (48, 72),
    "return_tracking_hours": (96, 168),
    "merchant_receipt_hours": (120, 240),
    "refund_due_hours": (24, 48),
    "appeal_days": (7, 15),
    "coverage_hours": (360, 720),
    "return_shipping_allowance": (Decimal("10.00"), Decimal("15.00")),
    "fast_lane_limit": (Decimal("0.00"), Decimal("100.00"), Decimal("300.00")),
}
# The state a claim runs against a clock in: (its deadline column, the term that sets it).
CLOCKS = {
    S.EVIDENCE_REQUESTED: ("evidence_due_at", "evidence_response_hours"),
    S.AWAITING_RETURN: ("return_due_at", "return_tracking_hours"),
    S.AWAITING_RECEIPT: ("receipt_due_at", "merchant_receipt_hours"),
    S.REFUND_DUE: ("refund_due_by", "refund_due_hours"),
}
COVERED = (EnrolmentStatus.ACTIVE, EnrolmentStatus.EXIT_REQUESTED)


def terms(row, names):
    return {name: getattr(row, name) for name in names}


def earliest_rejoin(exited_at, rejoin_on_day):
    """R-EXIT-3: exit on Shanghai day D → from D + rejoin_on_day, 00:00 Shanghai."""
    day = exited_at.astimezone(SHANGHAI).date() + dt.timedelta(days=rejoin_on_day)
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


class PlanChanges:
    def start_plan_changes(self):
        self.claim_terms: dict[int, dict] = {}
        self.policy_terms: dict[int, dict] = {}
        self.exited_at = None

    def plan(self):
        return Plan.objects.get(pk=self.world.plan.pk)

    def enrolment(self):
        return Enrolment.objects.get(pk=self.world.enrolment.pk)

    @rule(field=st.sampled_from(sorted(EDITS)), choice=st.integers(min_value=0, max_value=2))
    def plan_edited(self, field, choice):
        """A supervisor edits the plan (the admin saves the row)."""
        plan = self.plan()
        values = EDITS[field]
        setattr(plan, field, values[choice % len(values)])
        plan.save(update_fields=[field])

    @rule(step=st.sampled_from(["request_exit", "complete_exit", "reapply", "reapply_at_rejoin_day"]))
    def enrolment_changes(self, step):
        """R-EXIT-1: staff file and complete the exit; R-EXIT-3: the shop applies again, with the
        supervisor's approval, early or on the first day it may."""
        enrolment, staff = self.enrolment(), self.world.staff
        if step == "request_exit":
            self.service(merchants.request_exit, enrolment, staff, reason="商家申请退出", now=self.now)
        elif step == "complete_exit":
            if self.service(merchants.complete_exit, enrolment, staff, reason="已办理", now=self.now):
                self.exited_at = self.now
        else:
            if step == "reapply_at_rejoin_day" and self.exited_at:
                first = earliest_rejoin(self.exited_at, self.plan().rejoin_on_day)
                # One hour either side of the first allowed moment, never back in time.
                self.now = max(self.now, first + dt.timedelta(hours=self.rng.choice([-1, 1])))
            self.reapply(enrolment)

    def reapply(self, enrolment):
        merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=self.world.shop.pk, label="shop-a")
        was_exited = enrolment.status == EnrolmentStatus.EXITED
        applied = self.service(merchants.apply, enrolment, self.world.insurer, merchant, now=self.now)
        if applied and was_exited and self.exited_at:
            first = earliest_rejoin(self.exited_at, self.plan().rejoin_on_day)
            self.check(self.now >= first, "", f"R-EXIT-3: re-applied at {self.now}, before {first}")
        if was_exited and self.exited_at and not applied:
            first = earliest_rejoin(self.exited_at, self.plan().rejoin_on_day)
            self.check(self.now < first, "", f"R-EXIT-3: re-application at {self.now} refused, allowed from {first}")
        if applied:
            self.service(merchants.approve, self.enrolment(), self.world.supervisor, now=self.now)

    # -- the invariants ---------------------------------------------------------------------

    @invariant()
    def cases_in_flight_keep_their_terms(self):
        plan = self.plan()
        for claim in Claim.objects.filter(plan=plan):
            held = self.claim_terms.setdefault(claim.pk, terms(plan, CLAIM_TERMS))
            now_held = terms(claim, CLAIM_TERMS)
            self.check(now_held == held, "", f"{claim.claim_id} terms {now_held}, opened with {held}")
        for policy in Policy.objects.filter(plan=plan):
            held = self.policy_terms.setdefault(policy.pk, terms(plan, POLICY_TERMS))
            self.check(
                terms(policy, POLICY_TERMS) == held, "", f"{policy.policy_no} terms {terms(policy, POLICY_TERMS)}"
            )

    @invariant()
    def deadlines_follow_the_claims_terms(self):
        claim_type = ContentType.objects.get_for_model(Claim)
        for claim in Claim.objects.filter(plan_id=self.world.plan.pk, status__in=[*CLOCKS, S.SUBMITTED]):
            entered = (
                TransitionLog.objects.filter(content_type=claim_type, object_id=claim.pk, target=claim.status)
                .order_by("-pk")
                .first()
            )
            if claim.status == S.SUBMITTED:
                if entered and entered.transition == "open":
                    expected = claim.opened_at + dt.timedelta(hours=claim.review_sla_hours)
                    self.check(
                        claim.review_due_at == expected, "", f"{claim.claim_id} review due {claim.review_due_at}"
                    )
                continue
            column, term = CLOCKS[claim.status]
            expected = entered.at + dt.timedelta(hours=getattr(claim, term))
            due = getattr(claim, column)
            self.check(due == expected, "", f"{claim.claim_id} {claim.status}: {column} {due}, expected {expected}")

    @invariant()
    def policies_only_for_orders_placed_under_cover(self):
        """R-POL-1 / R-EXIT-2, the cover read from the enrolment's audit trail."""
        logs = TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Enrolment), object_id=self.world.enrolment.pk
        ).order_by("pk")
        periods, start = [], None
        for log in logs:
            if log.target in COVERED and start is None:
                start = log.at
            elif log.target not in COVERED and start is not None:
                periods.append((start, log.at))
                start = None
        if start is not None:
            periods.append((start, None))

        def covered(moment):
            return any(begin <= moment and (end is None or moment < end) for begin, end in periods)

        orders = SubOrder.objects.filter(
            shop=self.world.shop, sub_order_id__in=self.sub_orders, shipped_at__isnull=False
        )
        for sub_order in orders.select_related("policy"):
            has_policy = hasattr(sub_order, "policy")
            cancelled_first = sub_order.cancelled_at is not None and sub_order.cancelled_at <= sub_order.shipped_at
            should = covered(sub_order.placed_at) and not cancelled_first
            self.check(
                has_policy == should,
                "",
                f"{sub_order.sub_order_id} placed {sub_order.placed_at}: policy {has_policy}, cover {periods}",
            )
