"""R-AUTH-1 Authority limits (domain.md §15): above the actor's limit a decision is pending until
a second person of the insurer with the authority confirms it (never the same person)."""

import datetime as dt
from decimal import Decimal

import pytest

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Flag
from claims.models import ApprovalStep, Decision, PendingDecision
from kernel.actors import Actor, Channel, Role
from kernel.errors import Conflict, RoleRefused
from notices.models import Notice

from .factories import member


def fresh(claim):
    claim.refresh_from_db()
    return claim


def limit(world, role, up_to="100.00", **flags):
    row = world.limits[role]
    row.approve_alone_up_to = Decimal(up_to)
    for name, value in flags.items():
        setattr(row, name, value)
    row.save()


def approve(world, claim, actor=None, *, at=None):
    return claims.decide(
        claim, "approve", actor or world.reviewer, problem_code="performance_fault", now=at or world.now
    )


def second_reviewer(world):
    return Actor.for_user(member("reviewer2", Role.REVIEWER, insurer=world.insurer), Channel.ADMIN)


def test_r_auth_1_within_the_limit_the_decision_takes_effect_at_once(world):
    limit(world, Role.REVIEWER, "199.00")
    claim = world.claim(paid="199.00")

    approve(world, claim)

    assert fresh(claim).status == S.AWAITING_RETURN
    assert claims.waiting(claim) is None


def test_r_auth_1_above_the_limit_the_decision_waits_and_nothing_is_announced(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    notices_before = Notice.objects.filter(claim=claim).count()

    approve(world, claim)

    claim = fresh(claim)
    pending = claims.waiting(claim)
    assert claim.status == S.SUBMITTED and claim.approved_amount is None and claim.decided_at is None
    assert (pending.outcome, pending.approved_amount, pending.proposed_by_id) == (
        "approve",
        Decimal("199.00"),
        world.reviewer_user.pk,
    )
    assert not Decision.objects.filter(claim=claim).exists()
    # Webhooks and e-mails go out from the notices (notices.publish): none, so none of them.
    assert Notice.objects.filter(claim=claim).count() == notices_before
    assert list(ApprovalStep.objects.filter(claim=claim).values_list("step", "user_id")) == [
        ("pending", world.reviewer_user.pk)
    ]


def test_r_auth_1_a_partial_approval_above_the_limit_waits_too(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")

    claims.decide(
        claim,
        "partially_approve",
        world.reviewer,
        problem_code="performance_fault",
        approved_amount=Decimal("150.00"),
        reason="只坏了盖子",
        now=world.now,
    )

    assert fresh(claim).status == S.SUBMITTED
    assert claims.waiting(claim).approved_amount == Decimal("150.00")


def test_r_auth_1_rejections_and_evidence_requests_never_wait(world):
    limit(world, Role.REVIEWER, "0.00")
    claim = world.claim()

    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now)

    assert fresh(claim).status == S.REJECTED


def test_r_auth_1_the_supervisor_confirms_and_the_decision_takes_effect_then(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)
    later = world.now + dt.timedelta(hours=3)

    claims.confirm(claims.waiting(claim), world.supervisor, now=later)

    claim = fresh(claim)
    assert claim.status == S.AWAITING_RETURN and claim.approved_amount == Decimal("199.00")
    assert claim.decided_at == later  # the review SLA is met only now
    assert Decision.objects.get(claim=claim).decided_at == later
    assert Notice.objects.filter(claim=claim, event_type="claim.decided").exists()
    assert Notice.objects.filter(claim=claim, event_type="claim.return_address").exists()
    assert list(ApprovalStep.objects.filter(claim=claim).values_list("step", "user_id")) == [
        ("pending", world.reviewer_user.pk),
        ("confirmed", world.supervisor_user.pk),
    ]
    assert PendingDecision.objects.get(claim=claim).status == "confirmed"


def test_r_auth_1_the_same_person_never_confirms_their_own_decision(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)

    with pytest.raises(Conflict) as refused:
        claims.confirm(claims.waiting(claim), world.reviewer, now=world.now)

    assert refused.value.code == "same_person" and "another person" in refused.value.message
    assert fresh(claim).status == S.SUBMITTED and claims.waiting(claim) is not None


def test_r_auth_1_a_second_person_without_the_authority_may_not_confirm(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)

    with pytest.raises(RoleRefused):
        claims.confirm(claims.waiting(claim), second_reviewer(world), now=world.now)

    assert fresh(claim).status == S.SUBMITTED


def test_r_auth_1_another_insurers_staff_cannot_confirm(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)
    outsider = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk, user_id=None)

    with pytest.raises(Exception) as refused:
        claims.confirm(claims.waiting(claim), outsider, now=world.now)

    assert getattr(refused.value, "status", None) == 404
    assert fresh(claim).status == S.SUBMITTED


def test_r_auth_1_sent_back_with_a_reason_nothing_takes_effect_and_the_claim_is_decided_again(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)
    pending = claims.waiting(claim)

    claims.send_back(pending, world.supervisor, reason="只批盖子的钱", now=world.now)

    claim = fresh(claim)
    assert claim.status == S.SUBMITTED and claims.waiting(claim) is None
    assert not Decision.objects.filter(claim=claim).exists()
    assert ApprovalStep.objects.filter(claim=claim, step="sent_back").get().reason == "只批盖子的钱"
    claims.decide(
        claim,
        "partially_approve",
        world.reviewer,
        problem_code="performance_fault",
        approved_amount=Decimal("80.00"),
        reason="只坏了盖子",
        now=world.now,
    )
    assert fresh(claim).status == S.AWAITING_RETURN


def test_r_auth_1_sending_back_needs_a_reason(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)

    with pytest.raises(Exception) as refused:
        claims.send_back(claims.waiting(claim), world.supervisor, reason=" ", now=world.now)

    assert refused.value.code == "reason_required"


def test_r_auth_1_a_waiting_claim_is_not_decided_again_nor_confirmed_twice(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)
    pending = claims.waiting(claim)

    with pytest.raises(Conflict) as refused:
        claims.decide(claim, "reject", world.supervisor, reason="x", now=world.now)
    assert refused.value.code == "pending_approval"

    claims.confirm(pending, world.supervisor, now=world.now)
    with pytest.raises(Conflict) as again:
        claims.confirm(pending, world.supervisor, now=world.now)
    assert again.value.code == "approval_resolved"


def test_r_auth_1_the_review_sla_keeps_running_while_a_decision_waits(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)

    claims.process_deadlines(fresh(claim).sla_breach_at)

    assert claim.flags.filter(code=Flag.SLA_BREACHED).exists()
    assert fresh(claim).status == S.SUBMITTED


def test_r_auth_1_r_rev_6_the_fast_lane_never_waits_within_its_limit(world):
    limit(world, Role.REVIEWER, "0.00")
    world.plan.fast_lane_limit = Decimal("100.00")
    world.plan.save()

    claim = world.claim(paid="59.00", level="high", kind="refund_only")

    assert fresh(claim).status == S.REFUND_DUE
    assert claims.waiting(claim) is None and Decision.objects.get(claim=claim).automatic


def test_r_auth_1_a_role_without_a_row_decides_alone(world):
    world.limits[Role.REVIEWER].delete()
    claim = world.claim(paid="9999.00")

    approve(world, claim)

    assert fresh(claim).status == S.AWAITING_RETURN


# -- appeals and receipt disputes -----------------------------------------------------------


def second_staff(world):
    return Actor.for_user(member("staff2", Role.SERVICE_STAFF), Channel.ADMIN)


def test_r_auth_1_an_appeal_change_needing_a_second_person_waits(world):
    limit(world, Role.SERVICE_STAFF, "10000.00", appeal_change_needs_second=True)
    claim = world.in_state(S.UNDER_APPEAL)
    at = world.now + dt.timedelta(hours=2)

    claims.resolve_appeal(
        claim,
        world.staff,
        outcome="change",
        note="照片清楚",
        approved_amount=Decimal("199.00"),
        problem_code="performance_fault",
        now=at,
    )

    claim = fresh(claim)
    assert claim.status == S.UNDER_APPEAL and claim.appeal_record.outcome == ""
    assert not Notice.objects.filter(claim=claim, event_type="claim.appeal_resolved").exists()
    with pytest.raises(Conflict):
        claims.confirm(claims.waiting(claim), world.staff, now=at)

    claims.confirm(claims.waiting(claim), second_staff(world), now=at)

    claim = fresh(claim)
    assert claim.status == S.AWAITING_RETURN and claim.approved_amount == Decimal("199.00")
    assert claim.appeal_record.outcome == "change"
    assert Decision.objects.filter(claim=claim, on_appeal=True).exists()
    assert Notice.objects.filter(claim=claim, event_type="claim.appeal_resolved").exists()


def test_r_auth_1_upholding_an_appeal_never_waits(world):
    limit(world, Role.SERVICE_STAFF, "0.00", appeal_change_needs_second=True)
    claim = world.in_state(S.UNDER_APPEAL)

    claims.resolve_appeal(claim, world.staff, outcome="uphold", note="维持", now=world.now + dt.timedelta(hours=2))

    assert fresh(claim).status == S.REJECTED


def test_r_auth_1_an_overturn_needing_a_second_person_waits_then_takes_effect(world):
    limit(world, Role.SERVICE_STAFF, "10000.00", overturn_needs_second=True)
    claim = world.in_state(S.RECEIPT_DISPUTED)

    claims.resolve_receipt_dispute(claim, world.staff, outcome="overturn", note="物流记录正常", now=world.now)

    claim = fresh(claim)
    assert claim.status == S.RECEIPT_DISPUTED and claims.waiting(claim).kind == "overturn"
    assert not claim.findings.exists()

    claims.confirm(claims.waiting(claim), second_staff(world), now=world.now)

    claim = fresh(claim)
    assert claim.status == S.REFUND_DUE and claim.receipt_dispute.outcome == "overturn"
    assert claim.findings.count() == 1


def test_r_auth_1_confirmed_after_the_sla_the_claim_missed_it(world):
    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)  # proposed well within the SLA
    late = fresh(claim).review_due_at + dt.timedelta(minutes=1)

    claims.confirm(claims.waiting(claim), world.supervisor, now=late)

    claim = fresh(claim)
    assert claim.decided_at > claim.review_due_at  # what the service figures count as a breach


def test_r_auth_1_r_aud_1_each_step_joins_the_claims_chain(world):
    from audit.models import ChainLink

    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)
    pending = claims.waiting(claim)
    claims.send_back(pending, world.supervisor, reason="金额过高", now=world.now)

    steps = list(ApprovalStep.objects.filter(claim=claim).values_list("pk", flat=True))
    linked = ChainLink.objects.filter(chain=f"claim:{claim.pk}", table="claims.approvalstep")
    assert sorted(linked.values_list("row_id", flat=True)) == sorted(steps) and len(steps) == 2


def test_r_auth_1_steps_are_never_changed_nor_removed(world):
    from django.db import DatabaseError, connection, transaction

    from audit.models import AppendOnlyError

    limit(world, Role.REVIEWER, "100.00")
    claim = world.claim(paid="199.00")
    approve(world, claim)
    step = ApprovalStep.objects.get(claim=claim)

    with pytest.raises(AppendOnlyError):
        ApprovalStep.objects.filter(pk=step.pk).update(reason="改过")
    if connection.vendor == "postgresql":  # the database refuses it too, behind the application's back
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE claims_approvalstep SET reason = 'x' WHERE id = %s", [step.pk])
