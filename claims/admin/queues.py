"""Staff queues: the review desk (claims waiting for the insurer), and what service staff
resolve (receipt disputes, appeals, non-performance findings, merchants' reports of buyers)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import F
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction, ObjectActionsMixin
from backoffice.display import admin_link, claim_link, state_badge
from backoffice.filters import OpenFilter, ReviewedFilter
from backoffice.models import QueuedClaim
from backoffice.scoping import ReadOnlyAdmin
from claims import services
from claims.models import Appeal, MerchantReport, NonPerformanceFinding, ReceiptDispute
from claims.workflow import TRANSITIONS

from .lists import ClaimAdmin


@admin.register(QueuedClaim)
class QueuedClaimAdmin(ClaimAdmin):
    """The review desk: open claims, the least time left to the SLA first (R-REV-1)."""

    list_display = (
        "time_left",
        "claim_id",
        "status_badge",
        "flag_list",
        "requested_amount",
        "request_column",
        "buyer_level",
        "shop",
        "assignee",
    )
    list_display_links = ("claim_id",)
    ordering = (F("review_due_at").asc(nulls_last=True), "opened_at")
    change_list_template = "admin/claims/queue.html"

    def get_queryset(self, request):
        return super().get_queryset(request).review_queue()

    def object_queryset(self, request):
        # A claim decided since the page was opened is still found, so the page can say so.
        return super().get_queryset(request)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": gettext_lazy("Review queue")})


class ClaimQueueAdmin(ReadOnlyAdmin):
    """A queue whose rows are about one claim each: the row leads to the claim's review page."""

    scope_through = "claim"
    list_display_links = None
    list_select_related = ("claim", "claim__shop", "claim__insurer")

    @admin.display(description=gettext_lazy("claim"), ordering="claim__claim_id")
    def claim_column(self, obj):
        return claim_link(obj.claim)

    @admin.display(description=gettext_lazy("shop"), ordering="claim__shop__shop_id")
    def shop_column(self, obj):
        return obj.claim.shop.name

    @admin.display(description=gettext_lazy("claim status"))
    def claim_status(self, obj):
        return state_badge(obj.claim)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[obj.claim_id]))


# Waiting rows first: PostgreSQL sorts a NULL last in ascending order, SQLite first.
WAITING_FIRST = F("resolved_at").asc(nulls_first=True)


class ResolutionQueueAdmin(ClaimQueueAdmin):
    """What a buyer or a merchant filed against a claim's outcome, for staff to resolve: found by
    the claim's ids, the waiting rows first and the oldest of them first."""

    search_fields = ("=claim__claim_id", "=claim__refund_request__refund_id")
    ordering = (WAITING_FIRST, "filed_at")


@admin.register(ReceiptDispute)
class ReceiptDisputeAdmin(ResolutionQueueAdmin):
    """Merchants' rejections of returned parcels, waiting for staff (R-RET-3, R-RET-4)."""

    list_display = ("claim_column", "shop_column", "reason_code", "note", "filed_at", "claim_status", "outcome")
    list_filter = (OpenFilter, "reason_code", "outcome")


@admin.register(Appeal)
class AppealAdmin(ResolutionQueueAdmin):
    """Buyers' appeals, waiting for staff to uphold or change the decision (R-DIS-1)."""

    list_display = ("claim_column", "shop_column", "from_status", "reason", "filed_at", "claim_status", "outcome")
    list_filter = (OpenFilter, "from_status", "outcome")


@admin.register(NonPerformanceFinding)
class NonPerformanceFindingAdmin(ClaimQueueAdmin):
    """Findings against merchants and the points owed to buyers (R-PEN-1)."""

    list_display = ("claim_column", "shop_column", "kind", "points", "reason", "created_at", "created_by")
    list_select_related = ClaimQueueAdmin.list_select_related + ("created_by",)
    list_filter = ("kind", ("shop", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=claim__claim_id", "=sub_order__sub_order_id")
    ordering = ("-created_at",)


class ReportReviewForm(ActionForm):
    note = forms.CharField(label=gettext_lazy("What you found"), widget=forms.Textarea(attrs={"rows": 3}))
    revoke = forms.BooleanField(label=gettext_lazy("Deliberate abuse: revoke the buyer's eligibility"), required=False)


def _review_report(report, actor, request, data):
    services.review_report(report, actor, note=data["note"], revoke=data["revoke"])
    return _("Report on buyer %s reviewed.") % report.buyer


@admin.register(MerchantReport)
class MerchantReportAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Merchants' reports of abnormal buyers (反馈买家问题, R-ABUSE-1), waiting for staff."""

    list_display = ("created_at", "shop", "buyer_column", "claim_column", "note", "reviewed_at", "review_note")
    list_select_related = ("shop", "buyer", "claim")
    list_filter = (ReviewedFilter, ("shop", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=buyer__buyer_id", "=claim__claim_id")
    ordering = (F("reviewed_at").asc(nulls_first=True), "-created_at")  # waiting reports first, as above
    fields = ("shop", "buyer_column", "claim_column", "policy", "note", "created_at", "reviewed_at", "review_note")
    readonly_fields = fields
    object_actions = (
        ObjectAction(
            "review",
            gettext_lazy("Review"),
            ReportReviewForm,
            _review_report,
            "backoffice.manage_buyers",
            (TRANSITIONS, "review_report"),
            states=("open",),
        ),
    )

    def state_of(self, report):
        return "done" if report.reviewed_at else "open"

    def version_of(self, report):
        return self.state_of(report)

    @admin.display(description=gettext_lazy("buyer"), ordering="buyer__buyer_id")
    def buyer_column(self, report):
        return admin_link(report.buyer)

    @admin.display(description=gettext_lazy("claim"))
    def claim_column(self, report):
        return claim_link(report.claim)
