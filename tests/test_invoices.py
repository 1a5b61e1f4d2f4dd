"""Premium invoices (domain.md §10): R-INV-1 a premium is invoiced once, R-INV-2 working-day deadline."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.services import history
from catalogue.models import Holiday
from claims import services as claims
from kernel.actors import Actor, Channel, Role
from kernel.errors import NotFound, RoleRefused, RuleViolation, TransitionRefused
from kernel.timeutil import SHANGHAI
from notices.models import Notice
from policies import services as policies
from policies.models import Invoice, Policy

from .world import World

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2026, 5, 8, 10, 0, tzinfo=SHANGHAI)


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def world(db):
    return World(now=FRIDAY)


def issue(world, shop=None, *, paid="200.00", shipped_at=None):
    shipped_at = shipped_at or shanghai(2026, 4, 15, 12, 0)
    sub_order = world.order(shop, paid=paid, placed_at=shipped_at - dt.timedelta(days=1))
    world.event(sub_order, "shipped", shipped_at)
    return Policy.objects.get(sub_order=sub_order)


def request(world, *, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30), now=None, merchant=None, shop=None):
    return policies.request_invoice(
        shop or world.shop,
        world.insurer,
        merchant or world.merchant,
        period_start=start,
        period_end=end,
        title="杭州某某电器有限公司",
        tax_id="91330100MA2XXXXX1",
        now=now or world.now,
    )


# -- R-INV-1 ---------------------------------------------------------------------------------


def test_r_inv_1_the_request_lists_the_periods_premiums_and_their_total(world):
    first, second = issue(world, paid="200.00"), issue(world, paid="333.00")
    outside = issue(world, shipped_at=shanghai(2026, 5, 1, 0, 0))  # the first of May in Shanghai
    other_shop = issue(world, world.other_shop)
    invoice = request(world)
    assert (invoice.status, invoice.policy_count, invoice.total) == ("requested", 2, Decimal("8.00"))
    assert set(invoice.policies.all()) == {first, second}
    assert Policy.objects.get(pk=outside.pk).invoice is None
    assert Policy.objects.get(pk=other_shop.pk).invoice is None
    assert [(row.transition, row.target, row.role) for row in history(invoice)] == [
        ("request", "requested", "merchant")
    ]


def test_r_inv_1_the_period_is_counted_in_shanghai_days(world):
    last_minute = issue(world, shipped_at=shanghai(2026, 4, 30, 23, 59))
    first_minute = issue(world, shipped_at=shanghai(2026, 4, 1, 0, 0))
    before = issue(world, shipped_at=shanghai(2026, 3, 31, 23, 59))
    invoice = request(world)
    assert set(invoice.policies.all()) == {last_minute, first_minute}
    assert Policy.objects.get(pk=before.pk).invoice is None


def test_r_inv_1_a_premium_is_invoiced_at_most_once(world):
    policy = issue(world)
    first = request(world)
    with pytest.raises(RuleViolation) as refused:
        request(world, start=dt.date(2026, 4, 10), end=dt.date(2026, 4, 20))
    assert refused.value.code == "nothing_to_invoice"
    later = issue(world, shipped_at=shanghai(2026, 4, 20, 9, 0))
    second = request(world, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
    assert set(second.policies.all()) == {later}
    assert Policy.objects.get(pk=policy.pk).invoice == first
    assert Invoice.objects.count() == 2


def test_r_inv_1_cancelled_policies_are_not_invoiced(world):
    kept = issue(world)
    cancelled = issue(world)
    world.event(cancelled.sub_order, "cancelled", shanghai(2026, 4, 16, 9, 0))
    invoice = request(world)
    assert set(invoice.policies.all()) == {kept}
    assert invoice.total == kept.premium


def test_r_inv_1_a_policy_cancelled_after_the_request_leaves_the_requested_invoice(world):
    """Its premium was refunded (R-POL-2): a request still `requested` no longer lists it."""
    kept, cancelled = issue(world, paid="200.00"), issue(world, paid="333.00")
    invoice = request(world)
    assert invoice.policy_count == 2

    world.event(cancelled.sub_order, "cancelled", world.now + dt.timedelta(hours=1))

    invoice.refresh_from_db()
    assert set(invoice.policies.all()) == {kept}
    assert (invoice.total, invoice.policy_count) == (kept.premium, 1)


def test_r_inv_1_an_issued_invoice_keeps_a_policy_cancelled_afterwards(world):
    cancelled = issue(world)
    invoice = policies.issue_invoice(request(world), world.supervisor, now=world.now)

    world.event(cancelled.sub_order, "cancelled", world.now + dt.timedelta(hours=1))

    invoice.refresh_from_db()
    assert (invoice.policy_count, list(invoice.policies.all())) == (1, [cancelled])


def test_r_inv_1_a_refused_invoice_frees_its_premiums(world):
    policy = issue(world)
    refused = request(world)
    policies.refuse_invoice(refused, world.supervisor, reason="抬头与营业执照不符", now=world.now)
    refused.refresh_from_db()
    assert (refused.status, refused.refused_reason) == ("refused", "抬头与营业执照不符")
    assert Policy.objects.get(pk=policy.pk).invoice is None
    again = request(world, now=world.now + dt.timedelta(hours=1))
    assert set(again.policies.all()) == {policy}


def test_r_inv_1_nothing_to_invoice_and_an_inverted_period_are_refused(world):
    with pytest.raises(RuleViolation) as empty:
        request(world)
    assert empty.value.code == "nothing_to_invoice"
    issue(world)
    with pytest.raises(RuleViolation) as inverted:
        request(world, start=dt.date(2026, 4, 30), end=dt.date(2026, 4, 1))
    assert inverted.value.code == "invalid_period"
    assert not Invoice.objects.exists()


def test_r_inv_1_a_merchant_requests_only_for_its_own_shop(world):
    issue(world)
    with pytest.raises(NotFound):
        request(world, merchant=world.other_merchant)
    with pytest.raises(RoleRefused):
        request(world, merchant=world.supervisor)
    assert not Invoice.objects.exists()


# -- R-INV-2 ---------------------------------------------------------------------------------


def test_r_inv_2_due_within_six_working_days_skipping_the_weekend(world):
    issue(world)
    invoice = request(world)  # Friday 8 May: Mon 11 … Fri 15 and Mon 18 are the six working days
    assert invoice.due_at == shanghai(2026, 5, 19)


def test_r_inv_2_a_configured_holiday_is_not_a_working_day(world):
    Holiday.objects.create(date=dt.date(2026, 5, 13), name="调休")
    Holiday.objects.create(date=dt.date(2026, 5, 16), name="on a Saturday: changes nothing")
    issue(world)
    assert request(world).due_at == shanghai(2026, 5, 20)


def test_r_inv_2_the_days_are_shanghai_days(world):
    """Sunday 16:30 UTC is already Monday in Shanghai: the count starts from Monday."""
    issue(world)
    sunday_utc = dt.datetime(2026, 5, 10, 16, 30, tzinfo=dt.UTC)
    assert request(world, now=sunday_utc).due_at == shanghai(2026, 5, 20)


def test_r_inv_2_a_late_invoice_is_flagged_once_by_process_deadlines(world):
    issue(world)
    invoice = request(world)
    assert claims.process_deadlines(invoice.due_at - dt.timedelta(seconds=1))["invoices_late"] == 0
    assert Invoice.objects.get(pk=invoice.pk).is_late is False

    assert claims.process_deadlines(invoice.due_at)["invoices_late"] == 1
    assert Invoice.objects.get(pk=invoice.pk).is_late is True
    late = Notice.objects.filter(event_type="invoice.late")
    assert sorted(late.values_list("audience", flat=True)) == ["insurer", "merchant"]

    assert claims.process_deadlines(invoice.due_at + dt.timedelta(days=1))["invoices_late"] == 0
    assert late.count() == 2


def test_r_inv_2_an_invoice_issued_in_time_is_never_late(world):
    issue(world)
    invoice = request(world)
    policies.issue_invoice(invoice, world.supervisor, now=world.now + dt.timedelta(days=2))
    assert claims.process_deadlines(invoice.due_at + dt.timedelta(days=30))["invoices_late"] == 0
    invoice.refresh_from_db()
    assert (invoice.status, invoice.is_late) == ("issued", False)


def test_r_inv_2_the_merchant_sees_the_status_and_the_courier_tracking_number(world):
    issue(world)
    invoice = request(world)
    policies.issue_invoice(invoice, world.supervisor, now=world.now + dt.timedelta(days=1))
    policies.ship_invoice(
        invoice,
        world.supervisor,
        carrier=" 顺丰 ",
        tracking_number=" SF1234567890 ",
        now=world.now + dt.timedelta(days=2),
    )
    seen = Invoice.objects.for_actor(world.merchant).get(pk=invoice.pk)
    assert (seen.status, seen.carrier, seen.tracking_number) == ("shipped", "顺丰", "SF1234567890")
    assert not Invoice.objects.for_actor(world.other_merchant).exists()
    shipped = Notice.objects.for_actor(world.merchant).get(event_type="invoice.shipped")
    assert shipped.data["tracking_number"] == "SF1234567890"
    assert [row.target for row in history(invoice)] == ["requested", "issued", "shipped"]


def test_r_inv_2_shipping_needs_the_tracking_number(world):
    issue(world)
    invoice = request(world)
    with pytest.raises(RuleViolation) as refused:
        policies.ship_invoice(invoice, world.supervisor, carrier="顺丰", tracking_number="  ", now=world.now)
    assert refused.value.code == "tracking_number_required"
    assert Invoice.objects.get(pk=invoice.pk).status == "requested"


def test_r_inv_2_a_refusal_needs_a_reason_and_a_refused_invoice_is_never_shipped(world):
    issue(world)
    invoice = request(world)
    with pytest.raises(RuleViolation):
        policies.refuse_invoice(invoice, world.supervisor, reason="", now=world.now)
    policies.refuse_invoice(invoice, world.supervisor, reason="信息不全", now=world.now)
    with pytest.raises(TransitionRefused):
        policies.ship_invoice(invoice, world.supervisor, carrier="顺丰", tracking_number="SF1", now=world.now)
    assert Invoice.objects.get(pk=invoice.pk).status == "refused"


def test_r_inv_2_only_the_invoices_insurer_handles_it(world):
    issue(world)
    invoice = request(world)
    outsider = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk, label="x")
    with pytest.raises(NotFound):
        policies.issue_invoice(invoice, outsider, now=world.now)
    with pytest.raises(RoleRefused):
        policies.issue_invoice(invoice, world.merchant, now=world.now)
    assert Invoice.objects.get(pk=invoice.pk).status == "requested"
