"""Policies, the ledger statement and premium invoices (§4, §8, §10)."""

from django.contrib import messages
from django.db.models import Count, Prefetch, Sum
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from catalogue.models import Insurer, Plan
from claims.models import Claim
from kernel.errors import DomainError
from ledger.columns import ENTRY_COLUMNS
from ledger.filters import EntryFilterSet
from ledger.models import Entry
from ledger.services import balances
from merchants.models import Shop
from policies import services
from policies.columns import INVOICE_COLUMNS, POLICY_COLUMNS
from policies.filters import InvoiceFilterSet, PolicyFilterSet
from policies.models import Invoice, Policy

from ..access import get_scoped_or_404, merchant_required, scoped
from ..forms import InvoiceRequestForm
from ..lists import Filters, filtered_list, paginate
from ..shortcuts import form_error, page
from .claims import report_buyer

# Each list's sortable columns (portal/lists.Sorting), newest first by default along its index.
POLICY_SORTS = (
    {"policy": "policy_no", "premium": "premium", "cover": "cover_starts_at", "issued": "issued_at"},
    "-issued",
)
ENTRY_SORTS = ({"at": "created_at", "amount": "amount"}, "-at")
INVOICE_SORTS = (
    {"invoice": "invoice_no", "period": "period_start", "total": "total", "due": "due_at", "requested": "requested_at"},
    "-requested",
)


def _policies(request):
    claims = scoped(request, Claim).only("id", "claim_id", "status", "policy_id").order_by("opened_at")
    return (
        scoped(request, Policy)
        .select_related("sub_order", "plan", "insurer")
        .prefetch_related(Prefetch("claims", queryset=claims))
    )


@merchant_required
def policy_list(request):
    filters = Filters(request, PolicyFilterSet, _policies(request))
    return filtered_list(
        request,
        "portal/policy_list.html",
        filters,
        filters.qs,
        csv=(
            "policies",
            POLICY_COLUMNS,
        ),
        sorts=POLICY_SORTS,
    )


@merchant_required
def policy_detail(request, policy_no):
    policy = get_scoped_or_404(request, Policy, related=("sub_order", "plan", "insurer"), policy_no=policy_no)
    return page(
        request,
        "portal/policy_detail.html",
        {
            "policy": policy,
            "claims": scoped(request, Claim).filter(policy=policy).select_related("refund_request"),
            "entries": scoped(request, Entry).filter(policy=policy),
        },
    )


@merchant_required
def report_policy_buyer(request, policy_no):
    """R-ABUSE-1 (反馈买家问题) from a policy."""
    policy = get_scoped_or_404(request, Policy, related=("sub_order",), policy_no=policy_no)
    return report_buyer(request, {"policy": policy}, reverse("portal:policy", args=[policy.policy_no]))


@merchant_required
def ledger(request):
    """R-PAY-4: every movement of the shop's money and points, and the totals they add up to."""
    filters = Filters(request, EntryFilterSet, scoped(request, Entry))
    return filtered_list(
        request,
        "portal/ledger.html",
        filters,
        filters.qs.select_related("plan", "policy", "claim"),
        csv=(
            "ledger",
            ENTRY_COLUMNS,
        ),
        sorts=ENTRY_SORTS,
        context=_totals,
    )


def _totals(entries):
    """The selected entries' sums per plan, beside the page of them."""
    totals = balances(entries.select_related(None), by=("plan",))
    plans = Plan.objects.in_bulk([plan_id for (plan_id,) in totals])
    return {"totals": [(plans[plan_id], group) for (plan_id,), group in totals.items()]}


@merchant_required
def invoice_list(request):
    filters = Filters(request, InvoiceFilterSet, scoped(request, Invoice).select_related("insurer"))
    return filtered_list(
        request,
        "portal/invoice_list.html",
        filters,
        filters.qs,
        csv=(
            "invoices",
            INVOICE_COLUMNS,
        ),
        sorts=INVOICE_SORTS,
    )


@merchant_required
def invoice_detail(request, invoice_no):
    invoice = get_scoped_or_404(request, Invoice, related=("insurer",), invoice_no=invoice_no)
    policies = scoped(request, Policy).filter(invoice=invoice).select_related("sub_order")
    return page(request, "portal/invoice_detail.html", {"invoice": invoice, "page_obj": paginate(request, policies)})


@merchant_required
def invoice_request(request):
    """R-INV-1: choose an insurer and a period, see the policies and the total, then request.

    The preview is a GET (it changes nothing and pages like any list); the request is a POST."""
    shop = scoped(request, Shop).get()
    insurers = Insurer.objects.filter(pk__in=scoped(request, Policy).values("insurer_id"))
    data = request.POST if request.method == "POST" else request.GET if "period_start" in request.GET else None
    form = InvoiceRequestForm(data, insurers=insurers)
    preview = None
    if form.is_valid():
        values = form.cleaned_data
        if request.method == "POST":
            try:
                invoice = services.request_invoice(shop, values["insurer"], request.actor, **_invoice_terms(values))
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Invoice requested."))
                return redirect("portal:invoice", invoice_no=invoice.invoice_no)
        policies = services.invoiceable_policies(shop, values["insurer"], values["period_start"], values["period_end"])
        preview = {
            "page_obj": paginate(request, policies.order_by("issued_at", "id")),
            "summary": policies.aggregate(count=Count("id"), total=Sum("premium")),
        }
    return page(request, "portal/invoice_request.html", {"form": form, "preview": preview})


def _invoice_terms(values):
    return {k: values[k] for k in ("period_start", "period_end", "title", "tax_id")}
