"""Supervisors' day: enrolment approvals, rates with overrides, the invoice queue, escalations."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from claims import services as claims
from kernel.actors import Actor, Channel, Role
from kernel.timeutil import shanghai_date
from merchants import services as merchants
from merchants.models import Enrolment, Rate
from policies import services as policies
from policies.models import Invoice

from ..factories import ShopFactory, member
from .helpers import act_url, result_rows, seen_of


def post_action(client, obj, action, **data):
    page = client.get(act_url(obj, action))
    assert page.status_code == 200, page.status_code
    return client.post(act_url(obj, action), {"seen": seen_of(page, action), **data})


def applied_enrolment(world, **shop_details):
    shop = ShopFactory(shop_id="shop-applicant", **shop_details)
    enrolment = merchants.invite(shop, world.plan, world.staff)
    merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=shop.pk, label="applicant")
    return merchants.apply(enrolment, world.insurer, merchant)


def test_r_enr_2_the_supervisor_approves_an_application_and_cover_starts(world, login):
    enrolment = applied_enrolment(world)
    client = login(world.supervisor_user)
    rows = result_rows(client.get(reverse("admin:merchants_enrolment_changelist") + "?status__exact=applied"))
    assert len(rows) == 1 and "shop-applicant" in rows[0]
    assert post_action(client, enrolment, "approve", reason="").status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    page = client.get(reverse("admin:merchants_enrolment_change", args=[enrolment.pk])).content.decode()
    assert 'id="rates-group"' in page and "0.0150" in page


def test_r_enr_3_approval_is_refused_without_a_payout_account(world, login):
    enrolment = applied_enrolment(world, payout_account="")
    response = post_action(login(world.supervisor_user), enrolment, "approve", reason="")
    html = response.content.decode()
    assert response.status_code == 422 and "needs a default return address and a payout account" in html
    assert "R-ENR-3" not in html  # the rule id is the API's, not the page's
    assert Enrolment.objects.get(pk=enrolment.pk).status == "applied"


def test_r_enr_2_a_rejection_needs_a_reason(world, login):
    enrolment = applied_enrolment(world)
    client = login(world.supervisor_user)
    assert post_action(client, enrolment, "reject", reason="").status_code == 400
    assert post_action(client, enrolment, "reject", reason="退货地址不完整").status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.rejection_reason) == ("rejected", "退货地址不完整")


def test_domain_1_a_supervisor_of_another_insurer_sees_none_of_these_enrolments(world, login):
    outsider = member("supervisor-x", "supervisor", insurer=world.other_insurer)
    client = login(outsider)
    assert result_rows(client.get(reverse("admin:merchants_enrolment_changelist"))) == []
    assert client.get(reverse("admin:merchants_enrolment_change", args=[world.enrolment.pk])).status_code == 302
    assert client.post(act_url(world.enrolment, "override_rate"), {}).status_code == 404


def test_r_rate_1_an_override_needs_a_reason_stays_within_bounds_and_joins_the_history(world, login):
    client = login(world.supervisor_user)
    enrolment = world.enrolment
    assert post_action(client, enrolment, "override_rate", rate="0.0200", reason="").status_code == 400
    response = post_action(client, enrolment, "override_rate", rate="0.0900", reason="高风险")
    html = response.content.decode()
    assert response.status_code == 422 and "The rate must lie between" in html and "R-RATE-1" not in html
    assert post_action(client, enrolment, "override_rate", rate="0.0200", reason="理赔率偏高").status_code == 302
    enrolment.refresh_from_db()
    row = Rate.objects.filter(enrolment=enrolment).order_by("-effective_from", "-id").first()
    assert enrolment.rate_overridden
    assert (row.rate, row.source, row.reason) == (Decimal("0.0200"), "override", "理赔率偏高")
    page = client.get(reverse("admin:merchants_enrolment_change", args=[enrolment.pk])).content.decode()
    assert "理赔率偏高" in page and 'data-action="lift_override"' in page
    assert post_action(client, enrolment, "lift_override", reason="恢复自动定价").status_code == 302
    assert not Enrolment.objects.get(pk=enrolment.pk).rate_overridden


def requested_invoice(world, now=None):
    world.claim()
    today = shanghai_date(timezone.now())
    return policies.request_invoice(
        world.shop,
        world.insurer,
        world.merchant,
        period_start=today - dt.timedelta(days=30),
        period_end=today,
        title="某某电器有限公司",
        now=now,
    )


def test_r_inv_2_the_invoice_queue_counts_working_days_and_ships_with_a_tracking_number(world, login):
    invoice = requested_invoice(world)
    client = login(world.supervisor_user)
    [row] = result_rows(client.get(reverse("admin:policies_invoice_changelist")))
    assert invoice.invoice_no in row and "field-working_days" in row and "zb-countdown" in row
    response = post_action(client, invoice, "ship", carrier="顺丰", tracking_number="")
    assert response.status_code == 400
    response = post_action(client, invoice, "ship", carrier="顺丰", tracking_number="SF1234567890")
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.tracking_number) == ("shipped", "SF1234567890")


def test_r_inv_2_a_late_invoice_is_shown_overdue(world, login):
    invoice = requested_invoice(world, now=timezone.now() - dt.timedelta(days=20))
    policies.flag_late_invoices(timezone.now())
    [row] = result_rows(login(world.supervisor_user).get(reverse("admin:policies_invoice_changelist")))
    assert "zb-breached" in row
    assert Invoice.objects.get(pk=invoice.pk).is_late


def test_r_inv_2_a_refusal_needs_a_reason(world, login):
    invoice = requested_invoice(world)
    client = login(world.supervisor_user)
    assert post_action(client, invoice, "refuse", reason="").status_code == 400
    assert post_action(client, invoice, "refuse", reason="抬头与营业执照不符").status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "refused"


def test_r_rev_1_breached_claims_are_escalated_to_the_supervisor(world, login):
    claim = world.claim(now=world.now - dt.timedelta(hours=30))
    claims.process_deadlines(world.now)
    client = login(world.supervisor_user)
    index = client.get("/admin/").content.decode()
    assert 'data-card="breached"' in index
    rows = result_rows(client.get(reverse("admin:backoffice_queuedclaim_changelist") + "?flag=sla_breached"))
    assert len(rows) == 1 and claim.claim_id in rows[0] and "zb-flag-sla_breached" in rows[0]


def test_domain_1_a_supervisor_of_another_insurer_sees_none_of_these_invoices(world, login):
    invoice = requested_invoice(world)
    outsider = login(member("supervisor-x", "supervisor", insurer=world.other_insurer))
    assert result_rows(outsider.get(reverse("admin:policies_invoice_changelist"))) == []
    assert outsider.post(act_url(invoice, "ship"), {"seen": "requested:0"}).status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == "requested"
