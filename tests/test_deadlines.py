"""Timers and operations (api.md, Operations): process_deadlines runs every due timer once, and
the process_deadlines and seed_demo commands."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import TransitionLog
from catalogue.models import Insurer, Plan
from claims import services as claims
from claims.choices import ClaimStatus
from claims.models import AuthorityLimit, Claim, ClaimFlag, PendingDecision
from kernel.actors import Actor, Channel, Role
from kernel.errors import RuleViolation
from kernel.timeutil import SHANGHAI
from ledger.models import Entry
from merchants.models import CoverPeriod, Enrolment, Rate, Shop
from merchants.services import current_rate
from notices.models import Notice
from policies import services as policies
from policies.models import Invoice, Policy

from .factories import image_upload

pytestmark = pytest.mark.django_db

TIMERS = {
    "sla_warning",
    "sla_breached",
    "evidence_timeout",
    "closed_no_return",
    "receipt_auto_confirmed",
    "refund_overdue",
    "policies_expired",
    "invoices_late",
    "payouts_retried",
}


def hours(n):
    return dt.timedelta(hours=n)


@pytest.fixture
def one_of_each(world):
    """One case due for every timer 300 hours after world.now; returns {timer: the object}."""
    t0 = world.now
    cases = {"sla_warning": world.claim(kind="refund_only", buyer="b-sla")}
    cases["sla_breached"] = cases["sla_warning"]
    waiting = world.claim(kind="refund_only", buyer="b-evidence")
    claims.decide(waiting, "request_evidence", world.reviewer, reason="请补充照片", now=t0)
    cases["evidence_timeout"] = waiting
    cases["closed_no_return"] = world.approved(kind="return_refund", buyer="b-return")
    delivered = world.approved(kind="return_refund", buyer="b-receipt")
    claims.record_return_shipment(delivered, world.platform, carrier="SF", tracking_number="SF1", now=t0)
    claims.mark_delivered(delivered, world.platform, now=t0)
    cases["receipt_auto_confirmed"] = delivered
    cases["refund_overdue"] = world.approved(kind="refund_only", buyer="b-refund")
    refunded = world.approved(kind="refund_only", buyer="b-payout")
    claims.complete_refund(refunded, world.platform, now=t0)  # its payout task is lost: never run
    cases["payouts_retried"] = refunded
    old = world.delivered_order(buyer="b-old", receipt_at=t0 - dt.timedelta(days=30) + hours(10))
    cases["policies_expired"] = old.policy
    cases["invoices_late"] = policies.request_invoice(
        world.shop,
        world.insurer,
        world.merchant,
        period_start=(t0 - dt.timedelta(days=60)).astimezone(SHANGHAI).date(),
        period_end=t0.astimezone(SHANGHAI).date(),
        now=t0,
    )
    return cases


def footprint():
    return tuple(model.objects.count() for model in (TransitionLog, Notice, Entry, ClaimFlag))


def test_process_deadlines_runs_every_timer_and_a_second_run_changes_nothing(world, one_of_each):
    run_at = world.now + hours(300)
    counts = claims.process_deadlines(run_at)
    assert set(counts) == TIMERS
    assert counts == dict.fromkeys(TIMERS, 1)

    def status(key):
        return type(one_of_each[key]).objects.get(pk=one_of_each[key].pk).status

    assert set(ClaimFlag.objects.filter(claim=one_of_each["sla_warning"]).values_list("code", flat=True)) == {
        "sla_warning",
        "sla_breached",
    }
    assert status("evidence_timeout") == "rejected"
    assert status("closed_no_return") == "closed_no_return"
    assert status("receipt_auto_confirmed") == "refund_due"
    assert ClaimFlag.objects.filter(claim=one_of_each["refund_overdue"], code="refund_overdue").exists()
    assert status("payouts_retried") == "paid"
    assert status("policies_expired") == "expired"
    assert Invoice.objects.get(pk=one_of_each["invoices_late"].pk).is_late is True

    before = footprint()
    assert claims.process_deadlines(run_at) == dict.fromkeys(TIMERS, 0)
    assert footprint() == before


def test_process_deadlines_before_anything_is_due_changes_nothing(world, one_of_each):
    before = footprint()
    assert claims.process_deadlines(world.now + dt.timedelta(minutes=1)) == dict.fromkeys(TIMERS, 0)
    assert footprint() == before


def test_process_deadlines_command_runs_as_of_the_given_time(world, one_of_each):
    out = io.StringIO()
    run_at = (world.now + hours(300)).astimezone(SHANGHAI).isoformat()
    call_command("process_deadlines", "--now", run_at, stdout=out)
    assert dict(line.split(": ") for line in out.getvalue().splitlines()) == dict.fromkeys(TIMERS, "1")
    out = io.StringIO()
    call_command("process_deadlines", "--now", run_at, stdout=out)
    assert set(out.getvalue().splitlines()) == {f"{name}: 0" for name in TIMERS}


@pytest.mark.parametrize("value", ["2026-11-21T10:00:00", "tomorrow"])
def test_process_deadlines_command_wants_a_time_with_an_offset(value):
    with pytest.raises(CommandError):
        call_command("process_deadlines", "--now", value, stdout=io.StringIO())


def test_process_deadlines_command_without_now_runs_at_the_current_time(world):
    sub_order = world.delivered_order(receipt_at=timezone.now() - dt.timedelta(days=31))
    call_command("process_deadlines", stdout=io.StringIO())
    assert Policy.objects.get(sub_order=sub_order).status == "expired"


# -- seed_demo -----------------------------------------------------------------------------


def model_counts():
    tables = [model for model in apps.get_models() if model._meta.managed and not model._meta.proxy]
    return {model._meta.label: model._default_manager.count() for model in tables}


@pytest.fixture
def seeded(db):
    before = timezone.now()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return before, timezone.now(), out.getvalue()


def test_seed_demo_twice_adds_nothing_twice(seeded):
    first = model_counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert model_counts() == first


def test_r_auth_1_seed_demo_sets_limits_and_a_decision_awaits_the_supervisor(seeded):
    insurer = Insurer.objects.get(code="demo-insurer")
    limits = {row.role: row for row in AuthorityLimit.objects.filter(insurer=insurer)}
    assert limits[Role.REVIEWER].approve_alone_up_to == Decimal("2000.00")
    assert limits[Role.SERVICE_STAFF].appeal_change_needs_second and limits[Role.SERVICE_STAFF].overturn_needs_second
    [pending] = PendingDecision.objects.filter(status="pending")
    assert pending.approved_amount == Decimal("2599.00") and pending.claim.status == ClaimStatus.SUBMITTED
    get_user_model().objects.get(username="staff2")  # the second member of staff


def test_seed_demo_has_claims_in_all_13_states(seeded):
    states = set(Claim.objects.values_list("status", flat=True))
    assert states == set(ClaimStatus.values)
    assert len(states) == 13
    assert "Claims by state:" in seeded[2]


def test_seed_demo_contains_what_the_operations_section_lists(seeded):
    started, finished, output = seeded
    insurer = Insurer.objects.get(code="demo-insurer")
    plan = Plan.objects.get(code="appliance_30d")
    assert insurer in plan.insurers.all()
    for field in Plan._meta.concrete_fields:
        if field.has_default():
            assert getattr(plan, field.name) == field.get_default(), field.name

    for shop_id in ("demo-shop", "demo-shop-2"):
        shop = Shop.objects.get(shop_id=shop_id)
        assert shop.return_address.strip() and shop.payout_account.strip()
        enrolment = Enrolment.objects.get(shop=shop, plan=plan)
        assert (enrolment.status, enrolment.insurer) == ("active", insurer)
        [period] = CoverPeriod.objects.filter(enrolment=enrolment)
        first_rate = Rate.objects.filter(enrolment=enrolment).order_by("effective_from", "id").first()
        for moment in (period.started_at, first_rate.effective_from):
            assert started - dt.timedelta(days=400) <= moment <= finished - dt.timedelta(days=400)
        assert period.ended_at is None
        assert first_rate.rate == current_rate(enrolment, finished).rate == plan.base_rate == Decimal("0.0150")

    logins = dict(re.findall(r"^\s+(\S+)\s+(\S+)\s+/", output, flags=re.MULTILINE))
    User = get_user_model()
    expected = {
        "reviewer": ("reviewer", insurer.pk, None),
        "supervisor": ("supervisor", insurer.pk, None),
        "staff": ("service_staff", None, None),
        "merchant": ("merchant", None, Shop.objects.get(shop_id="demo-shop").pk),
    }
    for username, (role, insurer_id, shop_id) in expected.items():
        user = User.objects.get(username=username)
        assert (user.membership.role, user.membership.insurer_id, user.membership.shop_id) == (
            role,
            insurer_id,
            shop_id,
        )
        assert user.check_password(logins[username]), username
    roles = set(User.objects.filter(membership__isnull=False).values_list("membership__role", flat=True))
    assert roles == {"reviewer", "supervisor", "service_staff", "merchant"}


def test_seed_demo_covers_back_dated_orders(seeded):
    started, _finished, _output = seeded
    platform = Actor(role=Role.PLATFORM, channel=Channel.API, label="platform")
    item = {
        "sub_order_id": "back-dated",
        "order_id": "back-dated",
        "shop_id": "demo-shop-2",
        "buyer_id": "someone",
        "product_id": "kettle",
        "warranty_plan": "appliance_30d",
        "paid_amount": Decimal("100.00"),
        "placed_at": started - dt.timedelta(days=399),
    }
    [(sub_order, _created)] = policies.record_orders([item], platform)
    assert (sub_order.covered, sub_order.rate) == (True, Decimal("0.0150"))


def test_a_seeded_world_takes_new_evidence(seeded):
    """The seed leaves a working world: the buyer of the evidence_requested claim can resubmit."""
    claim = Claim.objects.get(status="evidence_requested")
    platform = Actor(role=Role.PLATFORM, channel=Channel.API, label="platform")
    claims.add_evidence(claim, "buyer", image_upload(pattern=5), platform)
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


# -- Deadlines refused when the step is tried, whether or not the sweep has run (issue 13) ------


def late(claim, column):
    return getattr(claim, column) + dt.timedelta(hours=5)


def refused_as_late(step, rule):
    with pytest.raises(RuleViolation) as refused:
        step()
    assert (refused.value.status, refused.value.code, refused.value.rule) == (422, "deadline_passed", rule)


def test_r_ret_2_a_tracking_number_past_168_hours_is_refused_then_the_sweep_closes_the_claim(world):
    claim = world.in_state(ClaimStatus.AWAITING_RETURN)
    when = late(claim, "return_due_at")
    assert when == world.now + dt.timedelta(hours=168 + 5)

    refused_as_late(
        lambda: claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF1", now=when),
        "R-RET-2",
    )

    assert Claim.objects.get(pk=claim.pk).status == "awaiting_return"
    claims.process_deadlines(when)
    assert Claim.objects.get(pk=claim.pk).status == "closed_no_return"


def test_r_rev_2_evidence_past_72_hours_is_refused_and_not_stored_then_the_sweep_rejects(world):
    claim = world.in_state(ClaimStatus.EVIDENCE_REQUESTED)
    when = late(claim, "evidence_due_at")
    assert when == world.now + dt.timedelta(hours=72 + 5)

    refused_as_late(
        lambda: claims.add_evidence(claim, "buyer", image_upload(pattern=3), world.platform, now=when), "R-REV-2"
    )

    assert claim.evidence.count() == 1
    assert Claim.objects.get(pk=claim.pk).status == "evidence_requested"
    claims.process_deadlines(when)
    assert Claim.objects.get(pk=claim.pk).status == "rejected"


def test_r_ret_5_a_parcel_rejection_past_240_hours_is_refused_then_the_sweep_confirms_receipt(world):
    claim = world.in_state(ClaimStatus.AWAITING_RECEIPT)
    when = late(claim, "receipt_due_at")
    assert when == world.now + dt.timedelta(hours=240 + 5)
    claims.add_evidence(claim, "merchant", image_upload(pattern=5), world.merchant, now=world.now)

    refused_as_late(
        lambda: claims.reject_receipt(claim, world.merchant, reason_code="empty_parcel", note="空包裹", now=when),
        "R-RET-5",
    )

    assert Claim.objects.get(pk=claim.pk).status == "awaiting_receipt"
    claims.process_deadlines(when)
    assert Claim.objects.get(pk=claim.pk).status == "refund_due"


def test_a_step_just_before_its_deadline_is_still_taken(world):
    claim = world.in_state(ClaimStatus.AWAITING_RETURN)
    just_in_time = claim.return_due_at - dt.timedelta(seconds=1)

    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF2", now=just_in_time)

    assert Claim.objects.get(pk=claim.pk).status == "return_in_transit"
