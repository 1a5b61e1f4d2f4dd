"""The index page's cards: what is waiting for this person today, each linking to its queue."""

from django.urls import reverse
from django.utils.translation import gettext as _

from claims.choices import ClaimStatus, Flag
from claims.models import Appeal, Claim, MerchantReport, PendingDecision, ReceiptDispute
from integrations.models import WebhookDelivery
from merchants.choices import EnrolmentStatus
from merchants.models import Enrolment
from payments.models import PayoutAttempt
from payments.services.reconciliation import unreconciled_days
from policies.choices import InvoiceStatus
from policies.models import Invoice

from .scoping import actor_for


def _card(key, label, count, url, tone=""):
    return {"key": key, "label": label, "count": count, "url": url, "tone": tone if count else ""}


def cards(request):
    user, actor = request.user, actor_for(request)
    result = []
    if user.has_perm("backoffice.review_claims") and user.has_perm("backoffice.view_queuedclaim"):
        queue = reverse("admin:backoffice_queuedclaim_changelist")
        waiting = Claim.objects.for_actor(actor).filter(status=ClaimStatus.SUBMITTED)
        result += [
            _card("queue", _("Waiting for a decision"), waiting.count(), queue),
            _card(
                "breached",
                _("SLA breached (escalated)"),
                waiting.filter(flags__code=Flag.SLA_BREACHED).count(),
                f"{queue}?flag={Flag.SLA_BREACHED}",
                "danger",
            ),
            _card("mine", _("Assigned to me"), waiting.filter(assignee=user).count(), f"{queue}?assignee=me"),
        ]
    enrolments = reverse("admin:merchants_enrolment_changelist")
    if user.has_perm("backoffice.approve_enrolments"):
        applied = Enrolment.objects.for_actor(actor).filter(status=EnrolmentStatus.APPLIED).count()
        result.append(_card("applied", _("Enrolment applications"), applied, f"{enrolments}?status__exact=applied"))
    if user.has_perm("backoffice.handle_invoices"):
        invoices = reverse("admin:policies_invoice_changelist")
        requested = Invoice.objects.for_actor(actor).filter(status=InvoiceStatus.REQUESTED)
        result += [
            _card("invoices", _("Invoices to issue"), requested.count(), f"{invoices}?status__exact=requested"),
            _card(
                "late_invoices",
                _("Invoices late"),
                requested.filter(is_late=True).count(),
                f"{invoices}?status__exact=requested&is_late__exact=1",
                "danger",
            ),
        ]
    if user.has_perm("backoffice.resolve_disputes"):
        claims = reverse("admin:claims_claim_changelist")
        visible = Claim.objects.for_actor(actor).values("pk")
        result += [
            _card(
                "disputes",
                _("Receipt disputes"),
                ReceiptDispute.objects.filter(claim__in=visible, resolved_at__isnull=True).count(),
                reverse("admin:claims_receiptdispute_changelist") + "?open=yes",
                "warn",
            ),
            _card(
                "appeals",
                _("Appeals"),
                Appeal.objects.filter(claim__in=visible, resolved_at__isnull=True).count(),
                reverse("admin:claims_appeal_changelist") + "?open=yes",
                "warn",
            ),
            _card(
                "refund_overdue",
                _("Refunds overdue"),
                Claim.objects.for_actor(actor)
                .filter(status=ClaimStatus.REFUND_DUE, flags__code=Flag.REFUND_OVERDUE)
                .count(),
                f"{claims}?status__exact=refund_due&flag={Flag.REFUND_OVERDUE}",
                "danger",
            ),
        ]
    if user.has_perm("backoffice.manage_buyers"):
        result.append(
            _card(
                "reports",
                _("Buyer reports"),
                MerchantReport.objects.for_actor(actor).filter(reviewed_at__isnull=True).count(),
                reverse("admin:claims_merchantreport_changelist") + "?open=yes",
                "warn",
            )
        )
    if user.has_perm("backoffice.manage_merchants"):
        exits = Enrolment.objects.for_actor(actor).filter(status=EnrolmentStatus.EXIT_REQUESTED).count()
        result.append(_card("exits", _("Exits to complete"), exits, f"{enrolments}?status__exact=exit_requested"))
    if user.has_perm("integrations.view_webhookdelivery"):
        failed = WebhookDelivery.objects.filter(failed_at__isnull=False).count()
        deliveries = reverse("admin:integrations_webhookdelivery_changelist") + "?state=failed"
        result.append(_card("webhooks", _("Webhook deliveries given up"), failed, deliveries, "danger"))
    if user.has_perm("payments.retry_payouts"):
        refused = reverse("admin:payments_payoutattempt_changelist") + "?status__exact=refused"
        count = PayoutAttempt.objects.for_actor(actor).awaiting_fix().count()
        result.append(_card("payouts_refused", _("Payouts refused by Alipay"), count, refused, "danger"))
        owed = Claim.objects.for_actor(actor).filter(flags__code=Flag.ALLOWANCE_OWED)
        url = reverse("admin:claims_claim_changelist") + f"?flag={Flag.ALLOWANCE_OWED}"
        result.append(_card("allowances_owed", _("Shipping allowances owed"), owed.count(), url, "warn"))
    if user.has_perm("payments.view_reconciliationday"):
        days = reverse("admin:payments_reconciliationday_changelist") + "?reconciled_at__isempty=1"
        result.append(_card("unreconciled", _("Days not reconciled"), unreconciled_days().count(), days, "danger"))
    if user.has_perm("claims.view_pendingdecision"):
        # R-AUTH-1: decisions above their author's limit, not in effect until a second person confirms.
        waiting = PendingDecision.objects.for_actor(actor).waiting().count()
        url = reverse("admin:claims_pendingdecision_changelist")
        result.append(_card("second_approval", _("Awaiting second approval"), waiting, url, "warn"))
    if user.has_perm("backoffice.view_figures"):
        result.append(_card("figures", _("Service figures"), "→", reverse("admin:figures")))
    if user.has_perm("ledger.view_entry"):
        result.append(_card("balances", _("Ledger balances"), "→", reverse("admin:ledger_entry_balances")))
    return result
