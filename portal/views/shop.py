"""The shop's home, its enrolments and details, and its notices (§3, §12)."""

import datetime as dt

from django.contrib import messages
from django.db.models import Count, F, Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from claims.choices import OPEN_STATES
from claims.choices import ClaimStatus as S
from claims.models import Claim
from claims.services import MERCHANT_EVIDENCE_STATES
from kernel.errors import DomainError
from kernel.timeutil import shanghai_date, shanghai_midnight
from ledger.models import Entry
from ledger.services import balances
from merchants import services as merchants
from merchants.models import Enrolment, Shop
from notices.models import Notice
from notices.services import mark_read
from policies.choices import InvoiceStatus
from policies.models import Invoice
from pricing.services import main_reasons

from ..access import get_scoped_or_404, merchant_required, scoped
from ..forms import ApplyForm, ShopDetailsForm
from ..lists import paginate
from ..shortcuts import form_error, page, perform

HOME_ROWS = 10
READY_INVOICE_DAYS = 30


@merchant_required
def home(request):
    """What needs the merchant now, and the month's headline figures."""
    now = timezone.now()
    claims = scoped(request, Claim).select_related("refund_request", "sub_order")
    counts = claims.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATES)),
        parcels=Count("id", filter=Q(status__in=MERCHANT_EVIDENCE_STATES)),
        evidence=Count("id", filter=Q(status=S.EVIDENCE_REQUESTED)),
        returns=Count("id", filter=Q(status=S.AWAITING_RETURN)),
        refunds=Count("id", filter=Q(status=S.REFUND_DUE)),
    )
    month_start = shanghai_midnight(shanghai_date(now).replace(day=1))
    month = balances(scoped(request, Entry).filter(created_at__gte=month_start), by=()).get(())
    return page(
        request,
        "portal/home.html",
        {
            "counts": counts,
            "month": month,
            "month_start": month_start,
            # R-RET-5: the receipt check is confirmed automatically at receipt_due_at.
            "parcels": claims.filter(status__in=MERCHANT_EVIDENCE_STATES).order_by(
                F("receipt_due_at").asc(nulls_last=True), "opened_at"
            )[:HOME_ROWS],
            "evidence_requested": claims.filter(status=S.EVIDENCE_REQUESTED).order_by("evidence_due_at")[:HOME_ROWS],
            "awaiting_return": claims.filter(status=S.AWAITING_RETURN).order_by("return_due_at")[:HOME_ROWS],
            "refunds_due": claims.filter(status=S.REFUND_DUE).order_by("refund_due_by")[:HOME_ROWS],
            "invoices_ready": scoped(request, Invoice)
            .filter(
                status__in=(InvoiceStatus.ISSUED, InvoiceStatus.SHIPPED),
                issued_at__gte=now - dt.timedelta(days=READY_INVOICE_DAYS),
            )
            .select_related("insurer")
            .order_by("-issued_at")[:HOME_ROWS],
            "new_notices": scoped(request, Notice).unread().select_related("claim")[:5],
        },
    )


@merchant_required
def enrolment_list(request):
    """R-ENR-2, R-EXIT-3, R-RATE-1: each plan's enrolment, its rate and why, and what may come next."""
    enrolments = list(
        scoped(request, Enrolment).select_related("plan", "insurer").prefetch_related("plan__insurers").order_by("plan")
    )
    rates = merchants.current_rates(enrolments)
    rows = []
    for enrolment in enrolments:
        rate = rates.get(enrolment.pk)
        rows.append(
            {
                "enrolment": enrolment,
                "rate": rate,
                "reasons": main_reasons(rate) if rate else [],
                "apply_form": ApplyForm(enrolment=enrolment) if can_proceed(enrolment.apply) else None,
            }
        )
    return page(request, "portal/enrolment_list.html", {"rows": rows})


@require_POST
@merchant_required
def apply(request, pk):
    enrolment = get_scoped_or_404(request, Enrolment, related=("plan",), pk=pk)
    form = ApplyForm(request.POST, enrolment=enrolment)
    if not form.is_valid():
        messages.error(request, _("Choose one of the plan's insurers."))
        return redirect("portal:enrolment")
    done = _("Application sent. The insurer will approve or reject it.")
    perform(request, done, merchants.apply, enrolment, form.cleaned_data["insurer"], request.actor)
    return redirect("portal:enrolment")


@merchant_required
def shop_details(request):
    """The default return address and payout account (R-ENR-3); every change is logged and shown."""
    shop = scoped(request, Shop).get()
    form = ShopDetailsForm(request.POST or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        try:
            changed = merchants.update_shop_details(
                shop, request.actor, **{name: form.cleaned_data[name] for name in merchants.SHOP_DETAIL_FIELDS}
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            if changed:
                messages.success(request, _("Saved. The change is logged below."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("portal:shop")
    changes = paginate(request, shop.changes.all())
    return page(request, "portal/shop_details.html", {"form": form, "page_obj": changes})


@merchant_required
def notice_list(request):
    """R-NOTE-1: the shop's inbox. Notices shown are marked read; the page still marks them new."""
    notices = scoped(request, Notice).select_related("claim", "policy")
    if request.GET.get("unread"):
        notices = notices.unread()
    page_obj = paginate(request, notices)
    page_obj.object_list = list(page_obj.object_list)
    mark_read(scoped(request, Notice).filter(pk__in=[n.pk for n in page_obj.object_list if n.read_at is None]))
    return page(request, "portal/notice_list.html", {"page_obj": page_obj})


@require_POST
@merchant_required
def notices_read(request):
    mark_read(scoped(request, Notice))
    messages.success(request, _("All notices marked read."))
    return redirect("portal:notices")
