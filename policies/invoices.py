"""Premium invoices (R-INV-1): which policies a request covers, and the invoice's life cycle
from request to issue, shipment or refusal, with the late ones flagged."""

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import apply_transition, record_transition
from catalogue.models import Holiday
from kernel.actors import require
from kernel.errors import Conflict, RuleViolation
from kernel.timeutil import SHANGHAI, add_working_days, shanghai_midnight
from notices.services import publish

from .choices import InvoiceStatus, PolicyStatus
from .models import Invoice, Policy
from .workflow import TRANSITIONS


def invoiceable_policies(shop, insurer, period_start, period_end):
    """R-INV-1: premiums of the period not yet invoiced (cancelled policies' premiums were refunded)."""
    return (
        Policy.objects.filter(
            shop=shop,
            insurer=insurer,
            invoice__isnull=True,
            issued_at__gte=shanghai_midnight(period_start),
            issued_at__lt=shanghai_midnight(period_end + dt.timedelta(days=1)),
        )
        .exclude(status=PolicyStatus.CANCELLED)
        .select_related("sub_order")
    )


def new_invoice_no(now):
    return f"INV{now.astimezone(SHANGHAI):%Y%m%d}{secrets.token_hex(3).upper()}"


@transaction.atomic
def request_invoice(shop, insurer, actor, *, period_start, period_end, title="", tax_id="", now=None):
    """R-INV-1 (a premium invoiced at most once) and R-INV-2 (due within N working days)."""
    require(actor, "request_invoice", TRANSITIONS, shop_id=shop.pk)
    now = now or timezone.now()
    if period_end < period_start:
        raise RuleViolation(
            _("The period ends before it starts."),
            code="invalid_period",
            rule="R-INV-1",
            fields={"period_end": [_("The end comes before the start.")]},
        )
    policies = invoiceable_policies(shop, insurer, period_start, period_end)
    summary = policies.aggregate(total=Sum("premium"), days=Min("plan__invoice_working_days"))
    count = policies.count()
    if not count:
        raise RuleViolation(_("No premiums to invoice in this period."), code="nothing_to_invoice", rule="R-INV-1")
    holidays = set(Holiday.objects.filter(date__gte=now.date()).values_list("date", flat=True))
    due_at = add_working_days(now, summary["days"], holidays)
    invoice = Invoice.objects.create(
        invoice_no=new_invoice_no(now),
        shop=shop,
        insurer=insurer,
        period_start=period_start,
        period_end=period_end,
        total=summary["total"],
        policy_count=count,
        title=title,
        tax_id=tax_id,
        requested_at=now,
        due_at=due_at,
        late_flag_at=due_at,
    )
    claimed = Policy.objects.filter(pk__in=policies.values("pk"), invoice__isnull=True).update(invoice=invoice)
    if claimed != count:
        # Another request took some of these premiums between our read and our write.
        raise Conflict(_("Some of these premiums were just invoiced; please try again."), code="already_invoiced")
    record_transition(invoice, transition="request", source="", target=InvoiceStatus.REQUESTED, actor=actor, at=now)
    _invoice_notice(invoice, "invoice.requested", now)
    return invoice


def _invoice_notice(invoice, event_type, at):
    publish(
        event_type,
        _("Invoice request %(no)s: %(status)s.") % {"no": invoice.invoice_no, "status": invoice.get_status_display()},
        shop_id=invoice.shop_id,
        insurer_id=invoice.insurer_id,
        data={"invoice_no": invoice.invoice_no, "status": invoice.status, "tracking_number": invoice.tracking_number},
        at=at,
    )


def _locked_invoice(invoice):
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


@transaction.atomic
def issue_invoice(invoice, actor, *, now=None):
    require(actor, "issue_invoice", TRANSITIONS, insurer_id=invoice.insurer_id)
    now = now or timezone.now()
    invoice = _locked_invoice(invoice)
    apply_transition(invoice, "issue", actor, at=now)
    _invoice_notice(invoice, "invoice.issued", now)
    return invoice


@transaction.atomic
def ship_invoice(invoice, actor, *, carrier, tracking_number, now=None):
    """R-INV-2: the merchant sees the courier tracking number of the paper invoice."""
    require(actor, "ship_invoice", TRANSITIONS, insurer_id=invoice.insurer_id)
    if not tracking_number.strip():
        raise RuleViolation(
            _("A shipped invoice needs the courier tracking number."),
            code="tracking_number_required",
            rule="R-INV-2",
            fields={"tracking_number": [_("Required.")]},
        )
    now = now or timezone.now()
    invoice = _locked_invoice(invoice)
    apply_transition(invoice, "ship", actor, at=now, carrier=carrier.strip(), tracking_number=tracking_number.strip())
    _invoice_notice(invoice, "invoice.shipped", now)
    return invoice


@transaction.atomic
def refuse_invoice(invoice, actor, *, reason, now=None):
    require(actor, "refuse_invoice", TRANSITIONS, insurer_id=invoice.insurer_id)
    if not reason.strip():
        raise RuleViolation(_("A refusal needs a reason."), code="reason_required", rule="R-INV-2")
    now = now or timezone.now()
    invoice = _locked_invoice(invoice)
    apply_transition(invoice, "refuse", actor, at=now, reason=reason)
    # The refused request invoiced nothing: its premiums may be requested again.
    Policy.objects.filter(invoice=invoice).update(invoice=None)
    _invoice_notice(invoice, "invoice.refused", now)
    return invoice


def flag_late_invoices(now: dt.datetime, limit: int = 500) -> int:
    """R-INV-2: an invoice not issued by its working-day deadline is flagged late, once."""
    done = 0
    with transaction.atomic():
        for invoice in Invoice.objects.due_late_flag(now).select_for_update(skip_locked=True)[:limit]:
            Invoice.objects.filter(pk=invoice.pk).update(is_late=True, late_flag_at=None)
            _invoice_notice(invoice, "invoice.late", now)
            done += 1
    return done
