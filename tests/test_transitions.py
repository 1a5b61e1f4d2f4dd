"""The claim life cycle of domain.md §14, table-driven: every arrow from its source with its audit
row; every action refused from every other state, and for every role that may not take it, and
for an actor of another shop or insurer, changing nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.services import apply_transition, history
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import Appeal, Claim, ClaimFlag, Decision, Evidence, NonPerformanceFinding, ReceiptDispute
from kernel.actors import Actor, Channel, Role
from kernel.errors import NotFound, RoleRefused, RuleViolation, TransitionRefused
from ledger.models import Entry
from notices.models import Notice

from .factories import photo_upload


def hours(n):
    return dt.timedelta(hours=n)


# -- the actions, each as one service call -------------------------------------------------


def request_evidence(w, c, actor=None):
    claims.decide(c, "request_evidence", actor or w.reviewer, reason="请补充铭牌照片", now=w.now)


def reject(w, c, actor=None):
    claims.decide(c, "reject", actor or w.reviewer, reason="人为损坏", now=w.now)


def approve(w, c, actor=None):
    claims.decide(c, "approve", actor or w.reviewer, problem_code="no_power", now=w.now)


def partially_approve(w, c, actor=None):
    claims.decide(
        c,
        "partially_approve",
        actor or w.reviewer,
        problem_code="no_power",
        approved_amount=Decimal("150.00"),
        reason="部分",
        now=w.now,
    )


def add_buyer_evidence(w, c, actor=None):
    claims.add_evidence(c, Side.BUYER, photo_upload(w.next_id("b")), actor or w.platform, now=w.now)


def add_merchant_evidence(w, c, actor=None):
    claims.add_evidence(c, Side.MERCHANT, photo_upload(w.next_id("m")), actor or w.merchant, now=w.now)


def record_return_shipment(w, c, actor=None):
    claims.record_return_shipment(c, actor or w.platform, carrier="SF", tracking_number=w.next_id("SF"), now=w.now)


def mark_delivered(w, c, actor=None):
    claims.mark_delivered(c, actor or w.platform, now=w.now)


def confirm_receipt(w, c, actor=None):
    claims.confirm_receipt(c, actor or w.merchant, now=w.now)


def confirm_receipt_automatically(w, c, actor=None):
    claims.confirm_receipt(c, actor or w.timer, now=w.now)


def reject_receipt(w, c, actor=None):
    claims.reject_receipt(c, actor or w.merchant, reason_code="empty_parcel", note="空包", now=w.now)


def remind_buyer(w, c, actor=None):
    claims.remind_buyer(c, actor or w.merchant, now=w.now)


def uphold_receipt_rejection(w, c, actor=None):
    claims.resolve_receipt_dispute(c, actor or w.staff, outcome="uphold", note="属实", now=w.now)


def overturn_receipt_rejection(w, c, actor=None):
    claims.resolve_receipt_dispute(c, actor or w.staff, outcome="overturn", note="签收完整", now=w.now)


def complete_refund(w, c, actor=None):
    claims.complete_refund(c, actor or w.platform, now=w.now)


def appeal(w, c, actor=None):
    claims.appeal(c, actor or w.platform, reason="不服", now=w.now)


def uphold_appeal(w, c, actor=None):
    claims.resolve_appeal(c, actor or w.staff, outcome="uphold", note="维持", now=w.now)


def change_decision(w, c, actor=None):
    claims.resolve_appeal(
        c,
        actor or w.staff,
        outcome="change",
        note="改判",
        approved_amount=Decimal("199.00"),
        problem_code="no_power",
        now=w.now,
    )


def report_buyer(w, c, actor=None):
    claims.report_buyer(actor or w.merchant, claim=c, note="多次空包退货", now=w.now)


def record_finding(w, c, actor=None):
    claims.record_finding(c, actor or w.staff, kind="refund_overdue", reason="超时未退款", now=w.now)


def sweep(after):
    def run(w, c):
        claims.process_deadlines(w.now + after)

    run.__name__ = f"process_deadlines(+{after})"
    return run


def pay_out(w, c):
    claims.pay_out(c.pk, now=w.now)


# -- how to reach each source --------------------------------------------------------------


def at(state, **options):
    def arrange(w):
        return w.in_state(state, **options)

    arrange.__name__ = "-".join([state, *(f"{k}={v}" for k, v in options.items())])
    return arrange


def appealed_partial(state, kind):
    def arrange(w):
        claim = w.in_state(state, kind=kind, partial=True)
        appeal(w, claim)
        claim.refresh_from_db()
        return claim

    arrange.__name__ = f"under_appeal-from-partial-{state}-{kind}"
    return arrange


# (source, action, expected target, audit transition, role, channel)
ARROWS = [
    (at(S.SUBMITTED), request_evidence, S.EVIDENCE_REQUESTED, "request_evidence", "reviewer", "admin"),
    (at(S.EVIDENCE_REQUESTED), add_buyer_evidence, S.SUBMITTED, "resubmit", "platform", "api"),
    (at(S.EVIDENCE_REQUESTED), sweep(hours(72)), S.REJECTED, "evidence_timeout", "timer", "timer"),
    (at(S.SUBMITTED), reject, S.REJECTED, "reject", "reviewer", "admin"),
    (at(S.SUBMITTED, kind="return_refund"), approve, S.AWAITING_RETURN, "approve", "reviewer", "admin"),
    (at(S.SUBMITTED, kind="refund_only"), approve, S.REFUND_DUE, "approve", "reviewer", "admin"),
    (
        at(S.SUBMITTED, kind="return_refund"),
        partially_approve,
        S.AWAITING_RETURN,
        "partially_approve",
        "reviewer",
        "admin",
    ),
    (at(S.SUBMITTED, kind="refund_only"), partially_approve, S.REFUND_DUE, "partially_approve", "reviewer", "admin"),
    (
        at(S.AWAITING_RETURN),
        record_return_shipment,
        S.RETURN_IN_TRANSIT,
        "record_return_shipment",
        "platform",
        "api",
    ),
    (at(S.RETURN_IN_TRANSIT), mark_delivered, S.AWAITING_RECEIPT, "mark_delivered", "platform", "api"),
    (at(S.AWAITING_RETURN), sweep(hours(168)), S.CLOSED_NO_RETURN, "return_timeout", "timer", "timer"),
    (at(S.RETURN_IN_TRANSIT), confirm_receipt, S.REFUND_DUE, "confirm_receipt", "merchant", "portal"),
    (at(S.AWAITING_RECEIPT), confirm_receipt, S.REFUND_DUE, "confirm_receipt", "merchant", "portal"),
    (at(S.AWAITING_RECEIPT), sweep(hours(240)), S.REFUND_DUE, "confirm_receipt", "timer", "timer"),
    (at(S.RETURN_IN_TRANSIT), None, S.RECEIPT_DISPUTED, "reject_receipt", "merchant", "portal"),
    (at(S.AWAITING_RECEIPT), None, S.RECEIPT_DISPUTED, "reject_receipt", "merchant", "portal"),
    (
        at(S.RECEIPT_DISPUTED),
        uphold_receipt_rejection,
        S.CLOSED_RECEIPT_REJECTED,
        "uphold_receipt_rejection",
        "service_staff",
        "admin",
    ),
    (
        at(S.RECEIPT_DISPUTED),
        overturn_receipt_rejection,
        S.REFUND_DUE,
        "overturn_receipt_rejection",
        "service_staff",
        "admin",
    ),
    (at(S.REFUND_DUE), complete_refund, S.REFUNDED, "complete_refund", "platform", "api"),
    (at(S.REFUNDED), pay_out, S.PAID, "mark_paid", "system", "system"),
    (at(S.REJECTED), appeal, S.UNDER_APPEAL, "appeal", "platform", "api"),
    (at(S.AWAITING_RETURN, partial=True), appeal, S.UNDER_APPEAL, "appeal", "platform", "api"),
    (at(S.REFUND_DUE, partial=True), appeal, S.UNDER_APPEAL, "appeal", "platform", "api"),
    (at(S.UNDER_APPEAL), uphold_appeal, S.REJECTED, "uphold_appeal", "service_staff", "admin"),
    (
        appealed_partial(S.AWAITING_RETURN, "return_refund"),
        uphold_appeal,
        S.AWAITING_RETURN,
        "uphold_appeal",
        "service_staff",
        "admin",
    ),
    (
        appealed_partial(S.REFUND_DUE, "refund_only"),
        uphold_appeal,
        S.REFUND_DUE,
        "uphold_appeal",
        "service_staff",
        "admin",
    ),
    (
        at(S.UNDER_APPEAL, kind="return_refund"),
        change_decision,
        S.AWAITING_RETURN,
        "change_decision",
        "service_staff",
        "admin",
    ),
    (
        at(S.UNDER_APPEAL, kind="refund_only"),
        change_decision,
        S.REFUND_DUE,
        "change_decision",
        "service_staff",
        "admin",
    ),
    (
        appealed_partial(S.AWAITING_RETURN, "return_refund"),
        change_decision,
        S.AWAITING_RETURN,
        "change_decision",
        "service_staff",
        "admin",
    ),
    (
        appealed_partial(S.REFUND_DUE, "return_refund"),
        change_decision,
        S.REFUND_DUE,
        "change_decision",
        "service_staff",
        "admin",
    ),
]


def reject_with_evidence(w, c):
    add_merchant_evidence(w, c)
    reject_receipt(w, c)


def arrow_id(arrow):
    arrange, act, target, *_rest = arrow
    return f"{arrange.__name__}-{(act or reject_with_evidence).__name__}->{target}"


def test_every_state_has_an_arrow_in_or_out():
    touched = {s for arrange, _act, target, *_ in ARROWS for s in (target, arrange.__name__.split("-")[0])}
    assert touched == set(S.values)


@pytest.mark.parametrize("arrow", ARROWS, ids=[arrow_id(a) for a in ARROWS])
def test_arrow_allowed_from_its_source_leaves_its_audit_row(world, arrow):
    arrange, act, target, transition, role, channel = arrow
    claim = arrange(world)
    source = claim.status
    before = history(claim).count()

    (act or reject_with_evidence)(world, claim)

    claim.refresh_from_db()
    assert claim.status == target
    rows = list(history(claim))[before:]
    assert [(r.transition, r.source, r.target, r.role, r.channel) for r in rows] == [
        (transition, source, target, role, channel)
    ]


# -- refused from every other state ----------------------------------------------------------

# Each action and the states it is allowed from (domain.md §14; evidence while the parties may add it).
ALLOWED_FROM = {
    request_evidence: {S.SUBMITTED},
    reject: {S.SUBMITTED},
    approve: {S.SUBMITTED},
    partially_approve: {S.SUBMITTED},
    add_buyer_evidence: {S.SUBMITTED, S.EVIDENCE_REQUESTED},
    add_merchant_evidence: {S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT},
    record_return_shipment: {S.AWAITING_RETURN},
    remind_buyer: {S.AWAITING_RETURN},
    mark_delivered: {S.RETURN_IN_TRANSIT},
    confirm_receipt: {S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT},
    confirm_receipt_automatically: {S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT},
    reject_receipt: {S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT},
    uphold_receipt_rejection: {S.RECEIPT_DISPUTED},
    overturn_receipt_rejection: {S.RECEIPT_DISPUTED},
    complete_refund: {S.REFUND_DUE},
    appeal: {S.REJECTED},  # and partial approvals: see test_appeals.py
    uphold_appeal: {S.UNDER_APPEAL},
    change_decision: {S.UNDER_APPEAL},
}
# The timers' arrows, refused by the state machine itself from any other source.
TIMER_ARROWS = {
    "evidence_timeout": {S.EVIDENCE_REQUESTED},
    "return_timeout": {S.AWAITING_RETURN},
    "mark_paid": {S.REFUNDED},
}


def footprint(claim):
    """Everything an action could have changed about a claim."""
    row = Claim.objects.filter(pk=claim.pk).values().get()
    related = (Decision, Evidence, ClaimFlag, Appeal, ReceiptDispute, NonPerformanceFinding, Entry, Notice)
    return row, history(claim).count(), {m.__name__: m.objects.filter(claim=claim).count() for m in related}


@pytest.mark.parametrize("state", list(S))
def test_every_action_not_allowed_from_a_state_is_refused_and_changes_nothing(world, state):
    claim = world.in_state(state)
    before = footprint(claim)

    for act, allowed in ALLOWED_FROM.items():
        if state in allowed:
            continue
        expected = RuleViolation if (act, state) == (appeal, S.UNDER_APPEAL) else TransitionRefused
        with pytest.raises(expected) as refused:
            act(world, claim)
        if expected is TransitionRefused:
            assert (refused.value.status, refused.value.code) == (409, "transition_not_allowed"), act.__name__
        else:
            assert refused.value.code == "appeal_used"
        assert footprint(claim) == before, act.__name__

    for name, allowed in TIMER_ARROWS.items():
        if state not in allowed:
            with pytest.raises(TransitionRefused):
                apply_transition(claim, name, world.timer, at=world.now)
            assert footprint(claim) == before, name
    if state != S.REFUNDED:
        assert claims.pay_out(claim.pk, now=world.now) is False
        assert footprint(claim) == before


# -- refused for the wrong role, and outside the actor's scope ------------------------------

ROLES = [Role.REVIEWER, Role.SUPERVISOR, Role.INSURER, Role.SERVICE_STAFF, Role.MERCHANT, Role.PLATFORM, Role.TIMER]


def actor_of(world, role):
    """An actor of `role` whose scope includes the world's claims, so only the role can refuse it."""
    return Actor(role=role, channel=Channel.API, insurer_id=world.insurer.pk, shop_id=world.shop.pk, label=role)


def merchant_evidence_then(state):
    def arrange(w):
        claim = w.in_state(state)
        add_merchant_evidence(w, claim)
        return claim

    arrange.__name__ = f"{state}+merchant-evidence"
    return arrange


def overdue_refund(w):
    """A refund flagged overdue: the cause a refund_overdue finding needs on record (R-PEN-1)."""
    claim = w.in_state(S.REFUND_DUE)
    claims.process_deadlines(w.now + dt.timedelta(hours=claim.refund_due_hours))
    claim.refresh_from_db()
    return claim


# action, who may take it (domain.md §1, §14, api.md), a state where it is allowed
WHO_MAY = [
    (request_evidence, {Role.REVIEWER, Role.SUPERVISOR, Role.INSURER}, at(S.SUBMITTED)),
    (reject, {Role.REVIEWER, Role.SUPERVISOR, Role.INSURER}, at(S.SUBMITTED)),
    (approve, {Role.REVIEWER, Role.SUPERVISOR, Role.INSURER}, at(S.SUBMITTED)),
    (add_buyer_evidence, {Role.PLATFORM}, at(S.SUBMITTED)),
    (add_merchant_evidence, {Role.MERCHANT}, at(S.AWAITING_RECEIPT)),
    (record_return_shipment, {Role.PLATFORM}, at(S.AWAITING_RETURN)),
    (remind_buyer, {Role.MERCHANT}, at(S.AWAITING_RETURN)),
    (mark_delivered, {Role.PLATFORM}, at(S.RETURN_IN_TRANSIT)),
    (confirm_receipt, {Role.MERCHANT, Role.TIMER}, at(S.AWAITING_RECEIPT)),
    (reject_receipt, {Role.MERCHANT}, merchant_evidence_then(S.AWAITING_RECEIPT)),
    (uphold_receipt_rejection, {Role.SERVICE_STAFF}, at(S.RECEIPT_DISPUTED)),
    (overturn_receipt_rejection, {Role.SERVICE_STAFF}, at(S.RECEIPT_DISPUTED)),
    (complete_refund, {Role.PLATFORM}, at(S.REFUND_DUE)),
    (appeal, {Role.PLATFORM}, at(S.REJECTED)),
    (uphold_appeal, {Role.SERVICE_STAFF}, at(S.UNDER_APPEAL)),
    (change_decision, {Role.SERVICE_STAFF}, at(S.UNDER_APPEAL)),
    (report_buyer, {Role.MERCHANT}, at(S.SUBMITTED)),
    (record_finding, {Role.SERVICE_STAFF}, overdue_refund),
]


@pytest.mark.parametrize("action, roles, arrange", WHO_MAY, ids=[a.__name__ for a, *_ in WHO_MAY])
def test_action_refused_for_every_role_that_may_not_take_it(world, action, roles, arrange):
    claim = arrange(world)
    before = footprint(claim)

    for role in ROLES:
        if role not in roles:
            with pytest.raises(RoleRefused) as refused:
                action(world, claim, actor_of(world, role))
            assert (refused.value.status, refused.value.code) == (403, "permission_denied"), role
            assert footprint(claim) == before, role

    # The same call by a role that may take it goes through: the refusals were the role's.
    action(world, claim, actor_of(world, sorted(roles)[0]))
    assert footprint(claim) != before


@pytest.mark.parametrize(
    "action, roles, arrange",
    [row for row in WHO_MAY if row[1] & {Role.MERCHANT, Role.REVIEWER}],
    ids=[a.__name__ for a, roles, _ in WHO_MAY if roles & {Role.MERCHANT, Role.REVIEWER}],
)
def test_action_by_another_shop_or_insurer_is_not_found(world, action, roles, arrange):
    claim = arrange(world)
    before = footprint(claim)
    outsider = world.other_merchant if Role.MERCHANT in roles else world.other_reviewer

    with pytest.raises(NotFound) as refused:
        action(world, claim, outsider)

    assert (refused.value.status, refused.value.code) == (404, "not_found")
    assert footprint(claim) == before


def test_the_fast_lane_is_the_only_automatic_decision(world):
    claim = world.claim()

    for automatic in (world.timer, Actor.system("x")):
        with pytest.raises(RoleRefused):
            claims.decide(claim, "reject", automatic, reason="自动", now=world.now)

    assert Claim.objects.get(pk=claim.pk).status == "submitted"
