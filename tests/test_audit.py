"""The audit trail (domain.md §14, style guide practice 3): every state change leaves one row with
who, role, channel, from, to and why; rows are never changed; a refused or lost race changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from audit.models import AppendOnlyError, TransitionLog
from audit.services import apply_transition, history
from claims import services as claims
from claims.models import Claim, Decision
from kernel.actors import Actor, Channel, Role
from kernel.errors import RoleRefused, TransitionRefused
from merchants import services as merchants
from merchants.models import CoverPeriod, Enrolment
from notices.models import Notice
from policies import services as policies
from policies.models import Invoice, Policy

from .factories import ShopFactory, image_upload

pytestmark = pytest.mark.django_db


def hours(n):
    return dt.timedelta(hours=n)


def test_a_transition_records_who_role_channel_from_to_and_why(world):
    shop = ShopFactory(shop_id="shop-new")
    enrolment = merchants.invite(shop, world.plan, world.staff, now=world.now)
    merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=shop.pk, label="shop-new")
    merchants.apply(enrolment, world.insurer, merchant, now=world.now)
    merchants.reject(enrolment, world.supervisor, reason="资质不足", now=world.now + hours(1))
    row = history(enrolment).last()
    assert (row.transition, row.source, row.target, row.reason) == ("reject", "applied", "rejected", "资质不足")
    assert (row.user, row.role, row.channel, row.actor_label, row.at) == (
        world.supervisor_user,
        "supervisor",
        "admin",
        "supervisor",
        world.now + hours(1),
    )

    claim = world.claim(kind="refund_only")
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充照片", now=world.now)
    claims.process_deadlines(world.now + hours(72))
    rows = [(r.transition, r.source, r.target, r.role, r.channel, r.user, r.reason) for r in history(claim)]
    reviewer = world.reviewer_user
    assert rows == [
        ("open", "", "submitted", "platform", "api", None, ""),
        ("request_evidence", "submitted", "evidence_requested", "reviewer", "admin", reviewer, "请补充照片"),
        ("evidence_timeout", "evidence_requested", "rejected", "timer", "timer", None, "Evidence not provided"),
    ]


def test_every_state_change_leaves_a_row_and_the_rows_chain_to_the_current_state(world):
    """Replaying each object's rows from creation arrives at its stored state: no move went unrecorded."""
    journey = world.approved(kind="return_refund")
    claims.record_return_shipment(journey, world.platform, carrier="SF", tracking_number="SF1", now=world.now)
    claims.mark_delivered(journey, world.platform, now=world.now)
    claims.process_deadlines(world.now + hours(241))  # the receipt is confirmed automatically
    claims.complete_refund(journey, world.platform, now=world.now + hours(242))
    claims.pay_out(journey.pk, now=world.now + hours(243))
    partial = world.claim(kind="refund_only", buyer="b2")
    claims.decide(
        partial,
        "partially_approve",
        world.reviewer,
        problem_code="no_power",
        approved_amount=Decimal("50.00"),
        reason="部分",
        now=world.now,
    )
    claims.appeal(partial, world.platform, reason="应全额", now=world.now + hours(1))
    claims.resolve_appeal(partial, world.staff, outcome="uphold", note="维持", now=world.now + hours(2))
    cancelled = world.delivered_order(buyer="b3")
    world.event(cancelled, "cancelled", world.now)
    merchants.request_exit(world.other_enrolment, world.staff, reason="退出", now=world.now)
    merchants.complete_exit(world.other_enrolment, world.staff, now=world.now + hours(1))
    merchants.override_rate(world.enrolment, Decimal("0.0100"), world.supervisor, reason="优质", now=world.now)
    invoice = policies.request_invoice(
        world.shop,
        world.insurer,
        world.merchant,
        period_start=(world.now - dt.timedelta(days=30)).date(),
        period_end=world.now.date(),
        now=world.now,
    )
    policies.ship_invoice(invoice, world.supervisor, carrier="SF", tracking_number="SF2", now=world.now)

    checked = 0
    for model in (Claim, Policy, Enrolment, Invoice):
        for obj in model.objects.all():
            rows = list(history(obj))
            assert rows, obj
            assert rows[0].source == ""
            for before, after in zip(rows, rows[1:], strict=False):
                assert after.source == before.target, (obj, after.transition)
            assert rows[-1].target == obj.status, obj
            assert all(r.role and r.channel for r in rows), obj
            checked += 1
    assert checked == 8  # two claims, three policies, two enrolments, one invoice
    assert Claim.objects.get(pk=journey.pk).status == "paid"
    assert Claim.objects.get(pk=partial.pk).status == "refund_due"


def test_transition_log_rows_are_append_only(world):
    row = history(world.enrolment).first()
    row.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        TransitionLog.objects.filter(pk=row.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        TransitionLog.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        Decision.objects.all().delete()
    assert TransitionLog.objects.get(pk=row.pk).reason == ""


def test_a_refused_transition_changes_nothing_and_writes_no_row(world):
    rows, cover = TransitionLog.objects.count(), list(CoverPeriod.objects.values_list("pk", "ended_at"))
    with pytest.raises(TransitionRefused):
        merchants.complete_exit(world.enrolment, world.staff, reason="跳过", now=world.now)
    enrolment = Enrolment.objects.get(pk=world.enrolment.pk)
    assert (enrolment.status, enrolment.exited_at, enrolment.exit_reason) == ("active", None, "")
    assert list(CoverPeriod.objects.values_list("pk", "ended_at")) == cover
    assert TransitionLog.objects.count() == rows

    claim = world.claim(kind="refund_only")
    rows, notices = TransitionLog.objects.count(), Notice.objects.count()
    with pytest.raises(TransitionRefused):
        claims.confirm_receipt(claim, world.merchant, now=world.now)
    with pytest.raises(TransitionRefused):
        claims.complete_refund(claim, world.platform, now=world.now)
    with pytest.raises(RoleRefused):
        claims.decide(claim, "reject", world.merchant, reason="商家想拒绝", now=world.now)
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.status, stored.receipt_confirmed_at, stored.refunded_at, stored.decided_at) == (
        "submitted",
        None,
        None,
        None,
    )
    assert (TransitionLog.objects.count(), Notice.objects.count()) == (rows, notices)
    assert not Decision.objects.filter(claim=claim).exists()


# -- races: two copies of one object, loaded before either moved --------------------------


def test_concurrent_exits_the_second_copy_is_refused_through_the_service(world):
    first, second = Enrolment.objects.get(pk=world.enrolment.pk), Enrolment.objects.get(pk=world.enrolment.pk)
    merchants.request_exit(first, world.staff, reason="第一次", now=world.now)
    with pytest.raises(TransitionRefused), transaction.atomic():
        merchants.request_exit(second, world.staff, reason="第二次", now=world.now + hours(1))
    stored = Enrolment.objects.get(pk=world.enrolment.pk)
    assert (stored.status, stored.exit_reason, stored.exit_requested_at) == ("exit_requested", "第一次", world.now)
    assert [r.transition for r in history(stored)].count("request_exit") == 1


def test_concurrent_exits_the_optimistic_lock_refuses_a_stale_copy(world):
    """Without the service's row lock (or where the database has none), the FSM's optimistic lock
    still refuses the save of a copy whose state changed underneath it."""
    first, second = Enrolment.objects.get(pk=world.enrolment.pk), Enrolment.objects.get(pk=world.enrolment.pk)
    apply_transition(first, "request_exit", world.staff, at=world.now, reason="第一次")
    rows = TransitionLog.objects.count()
    with pytest.raises(TransitionRefused), transaction.atomic():
        apply_transition(second, "request_exit", world.staff, at=world.now + hours(1), reason="第二次")
    stored = Enrolment.objects.get(pk=world.enrolment.pk)
    assert (stored.status, stored.exit_reason) == ("exit_requested", "第一次")
    assert TransitionLog.objects.count() == rows


def test_concurrent_decisions_the_second_copy_is_refused_through_the_service(world):
    claim = world.claim(kind="refund_only")
    first, second = Claim.objects.get(pk=claim.pk), Claim.objects.get(pk=claim.pk)
    claims.decide(first, "reject", world.reviewer, reason="人为损坏", now=world.now)
    notices = Notice.objects.count()
    with pytest.raises(TransitionRefused), transaction.atomic():
        claims.decide(second, "approve", world.reviewer, problem_code="no_power", now=world.now + hours(1))
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.status, stored.approved_amount) == ("rejected", None)
    assert list(Decision.objects.filter(claim=claim).values_list("outcome", flat=True)) == ["reject"]
    assert Notice.objects.count() == notices


def test_concurrent_decisions_the_optimistic_lock_refuses_a_stale_copy(world):
    claim = world.claim(kind="refund_only")
    first, second = Claim.objects.get(pk=claim.pk), Claim.objects.get(pk=claim.pk)
    apply_transition(first, "reject", world.reviewer, at=world.now, reason="人为损坏")
    rows = TransitionLog.objects.count()
    with pytest.raises(TransitionRefused), transaction.atomic():
        apply_transition(
            second, "approve", world.reviewer, at=world.now + hours(1), approved_amount=second.requested_amount
        )
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.status, stored.approved_amount, stored.decided_at) == ("rejected", None, world.now)
    assert TransitionLog.objects.count() == rows


def test_concurrent_payouts_pay_once(world):
    claim = world.approved(kind="refund_only")
    claims.complete_refund(claim, world.platform, now=world.now)
    stale = Claim.objects.get(pk=claim.pk)
    assert claims.pay_out(claim.pk, now=world.now) is True
    with pytest.raises(TransitionRefused), transaction.atomic():
        apply_transition(stale, "mark_paid", world.timer, at=world.now)
    assert [r.transition for r in history(claim)].count("mark_paid") == 1


def test_adding_evidence_is_not_a_transition(world):
    claim = world.claim(kind="refund_only", with_image=False)
    rows = TransitionLog.objects.count()
    claims.add_evidence(claim, "buyer", image_upload(pattern=3), world.platform, now=world.now)
    assert TransitionLog.objects.count() == rows
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
