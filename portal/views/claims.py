"""Refund requests and claims: lists, the claim page, the return and the receipt check (§5–§7)."""

from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.services import history
from claims import packs, services
from claims.choices import ReceiptRejection, Side
from claims.columns import CLAIM_COLUMNS, REFUND_REQUEST_COLUMNS
from claims.feedback import RatingSource
from claims.feedback_services import may_rate
from claims.filters import ClaimFilterSet, RefundRequestFilterSet
from claims.models import Appeal, Claim, ReceiptDispute, RefundRequest
from claims.workflow import DEADLINES, is_open, open_actions
from kernel.errors import DomainError
from kernel.ranges import file_response
from ledger.models import Entry
from notices.models import Notice
from payments.models import PayoutAttempt

from ..access import get_scoped_or_404, merchant_required, scoped
from ..forms import RatingForm, RejectReceiptForm, ReportBuyerForm
from ..lists import Filters, filtered_list
from ..shortcuts import form_error, page, perform

CLAIM_RELATED = ("refund_request", "sub_order", "policy", "plan")
LIST_COLUMNS = (
    "claim_id",
    "status",
    "kind",
    "requested_amount",
    "approved_amount",
    "opened_at",
    "sub_order__sub_order_id",
    *(column for column, _label in DEADLINES.values()),
)


# Each list's sortable columns (portal/lists.Sorting), newest first by default along its index.
REFUND_SORTS = (
    {"refund": "refund_id", "amount": "amount", "requested": "requested_at", "received": "created_at"},
    "-received",
)
CLAIM_SORTS = (
    {
        "claim": "claim_id",
        "status": "status",
        "requested": "requested_amount",
        "approved": "approved_amount",
        "opened": "opened_at",
    },
    "-opened",
)


def _claim(request, claim_id):
    return get_scoped_or_404(request, Claim, related=CLAIM_RELATED, claim_id=claim_id)


def _to_claim(claim):
    return redirect("portal:claim", claim_id=claim.claim_id)


@merchant_required
def refund_list(request):
    """R-ROUTE-3: every request with its business type, filterable by it."""
    filters = Filters(
        request,
        RefundRequestFilterSet,
        scoped(request, RefundRequest)
        .select_related("sub_order")
        .prefetch_related(
            Prefetch("claim", queryset=scoped(request, Claim).only("id", "claim_id", "status", "refund_request_id"))
        ),
    )
    requests = filters.qs
    return filtered_list(
        request,
        "portal/refund_list.html",
        filters,
        requests,
        csv=(
            "refund-requests",
            REFUND_REQUEST_COLUMNS,
        ),
        sorts=REFUND_SORTS,
    )


@merchant_required
def claim_list(request):
    filters = Filters(request, ClaimFilterSet, scoped(request, Claim).select_related("sub_order"))
    claims = filters.qs
    return filtered_list(
        request,
        "portal/claim_list.html",
        filters,
        # A page loads what its rows show (portal/claim_list.html): a claim has fifty columns.
        claims.only(*LIST_COLUMNS),
        csv=(
            "claims",
            CLAIM_COLUMNS,
        ),
        # The refund id is a column of the export only.
        csv_rows=claims.select_related("refund_request"),
        sorts=CLAIM_SORTS,
    )


@merchant_required
def claim_detail(request, claim_id):
    claim = _claim(request, claim_id)
    prefetch_related_objects([claim.plan], "taxonomy")  # the decisions' labels, in one query (R-PLAN-1)
    evidence = list(claim.evidence.all())
    actions = open_actions(claim, request.actor.role)
    return page(
        request,
        "portal/claim_detail.html",
        {
            "claim": claim,
            "buyer_evidence": [e for e in evidence if e.side == Side.BUYER],
            "merchant_evidence": [e for e in evidence if e.side == Side.MERCHANT],
            "decisions": claim.decisions.all(),
            "timeline": history(claim),
            "flags": claim.flags.seen_by(request.actor.role),
            "dispute": ReceiptDispute.objects.filter(claim=claim).first(),
            "appeal": Appeal.objects.filter(claim=claim).first(),
            "reports": claim.reports.all(),
            "payments": scoped(request, Entry).filter(claim=claim),
            # R-PAY-6: what to fix when the provider refused the payout.
            "payout_refused": scoped(request, PayoutAttempt).awaiting_fix().filter(claim=claim).first(),
            # R-REV-4: the address as it was sent to the buyer, even if the shop changed it since.
            "sent_address": scoped(request, Notice)
            .filter(claim=claim, event_type="claim.return_address")
            .values_list("data__return_address", flat=True)
            .first(),
            "can_remind": "remind_buyer" in actions,
            "can_check_receipt": "confirm_receipt" in actions,
            # R-KPI-2: once closed, the merchant may rate the handling, once.
            "my_rating": claim.ratings.filter(source=RatingSource.MERCHANT).first(),
            "rating_form": RatingForm() if may_rate(claim) else None,
        },
    )


@merchant_required
def evidence_file(request, claim_id, pk):
    """Evidence is served only through the claim it belongs to, so only to its own shop."""
    claim = _claim(request, claim_id)
    item = claim.evidence.filter(pk=pk).first()
    if item is None:
        raise Http404
    # R-EVI-1: a merchant's copy carries no EXIF; a video seeks by byte ranges.
    served, size = services.open_served(item, request.actor)
    response = file_response(request, served, size, item.content_type, f"{claim.claim_id}-{item.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@merchant_required
def evidence_pack(request, claim_id):
    """R-AUD-2: the merchant's pack of its own claim (no buyer, no screening, no EXIF)."""
    claim = _claim(request, claim_id)
    pack = packs.download_pack(claim, request.actor)
    return FileResponse(pack.file, content_type="application/zip", as_attachment=True, filename=pack.filename)


@require_POST
@merchant_required
def remind_buyer(request, claim_id):
    """R-RET-2 (FAQ 12): while the buyer has not entered a tracking number."""
    claim = _claim(request, claim_id)
    done = _("The buyer was reminded to enter the return tracking number.")
    perform(request, done, services.remind_buyer, claim, request.actor)
    return _to_claim(claim)


@merchant_required
def confirm_receipt(request, claim_id):
    """R-RET-3: the parcel came back as it should; the refund becomes due. A page asks first."""
    claim = _claim(request, claim_id)
    if request.method == "POST":
        done = _("Receipt confirmed. Please refund the buyer through the platform.")
        perform(request, done, services.confirm_receipt, claim, request.actor)
        return _to_claim(claim)
    return page(request, "portal/receipt_confirm.html", {"claim": claim})


def _draft_key(claim):
    return f"portal:reject-receipt:{claim.pk}"


@merchant_required
def reject_receipt(request, claim_id):
    """R-RET-3, step 1: the reason, a note and the parcel's photos. The files are stored as the
    shop's evidence on the claim; the rejection itself waits for step 2's confirmation."""
    claim = _claim(request, claim_id)
    if not is_open(claim, request.actor.role, "reject_receipt"):
        messages.info(request, _("This claim has no parcel waiting for your check."))
        return _to_claim(claim)
    on_file = claim.evidence.filter(side=Side.MERCHANT).count()
    form = RejectReceiptForm(request.POST or None, request.FILES or None, on_file=on_file)
    if request.method == "POST" and form.is_valid():
        try:
            for upload in form.cleaned_data["uploads"]:
                services.add_evidence(
                    claim,
                    Side.MERCHANT,
                    upload,
                    request.actor,
                    note=form.cleaned_data["note"],
                    declared_type=upload.content_type,
                )
        except DomainError as exc:
            form_error(form, exc)
        else:
            request.session[_draft_key(claim)] = {
                "reason_code": form.cleaned_data["reason_code"],
                "note": form.cleaned_data["note"],
            }
            return redirect("portal:reject_receipt_confirm", claim_id=claim.claim_id)
    return page(request, "portal/receipt_reject.html", {"claim": claim, "form": form, "on_file": on_file})


@merchant_required
def reject_receipt_confirm(request, claim_id):
    """R-RET-3, step 2: the merchant sees what will be sent to service staff, then confirms."""
    claim = _claim(request, claim_id)
    draft = request.session.get(_draft_key(claim))
    if not draft:
        return redirect("portal:reject_receipt", claim_id=claim.claim_id)
    if request.method == "POST":
        done = _("The parcel was rejected. Service staff will review the dispute.")
        if perform(
            request,
            done,
            services.reject_receipt,
            claim,
            request.actor,
            reason_code=draft["reason_code"],
            note=draft["note"],
        ):
            del request.session[_draft_key(claim)]
            return _to_claim(claim)
    return page(
        request,
        "portal/receipt_reject_confirm.html",
        {
            "claim": claim,
            "reason": ReceiptRejection(draft["reason_code"]).label,
            "note": draft["note"],
            "merchant_evidence": claim.evidence.filter(side=Side.MERCHANT),
        },
    )


@merchant_required
def report_claim_buyer(request, claim_id):
    """R-ABUSE-1 (反馈买家问题) from a claim; the claim gets the merchant_reported flag."""
    claim = _claim(request, claim_id)
    return report_buyer(request, {"claim": claim}, reverse("portal:claim", args=[claim.claim_id]))


def report_buyer(request, subject, back):
    """The form behind both report links (a claim's and a policy's)."""
    form = ReportBuyerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_buyer(request.actor, note=form.cleaned_data["note"], **subject)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Thank you: the buyer was reported to the platform's service staff."))
            return redirect(back)
    return page(request, "portal/report_buyer.html", {"form": form, "back": back, **subject})
