"""Staff screens for claims, buyers and the service-staff queues (disputes, appeals, reports).
Thin: every button calls claims.services through backoffice's action forms."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction, ObjectActionsMixin, confirmed_bulk_action, each
from backoffice.disclosure import reveal
from backoffice.display import admin_link, claim_link, flag_badges, state_badge, time_left
from backoffice.exports import export_action
from backoffice.filters import (
    AssigneeFilter,
    AuditFilter,
    FlagFilter,
    InsurerScopedFilter,
    OpenFilter,
    PlanFilter,
    ReviewedFilter,
)
from backoffice.review import (
    CLAIM_ACTIONS,
    MissingEvidenceFields,
    ReasonForm,
    assign_to_me,
    decide_as,
    reason_label,
    review_context,
)
from backoffice.scoping import ReadOnlyAdmin

from . import services
from .choices import REPORTABLE_LEVELS, BuyerLevel, Outcome
from .columns import CLAIM_COLUMNS, REFUND_REQUEST_COLUMNS
from .models import Appeal, Buyer, Claim, MerchantReport, NonPerformanceFinding, ReceiptDispute, RefundRequest
from .workflow import TRANSITIONS


@admin.register(Claim)
class ClaimAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Every claim the viewer may see; its page is the review page (evidence, facts, decisions)."""

    object_actions = CLAIM_ACTIONS
    list_display = (
        "claim_id",
        "status_badge",
        "time_left",
        "flag_list",
        "shop",
        "plan",
        "requested_amount",
        "kind",
        "reason_label",
        "buyer_level",
        "assignee",
        "opened_at",
    )
    list_select_related = ("shop", "plan", "insurer", "buyer", "assignee", "refund_request")
    list_filter = (
        "status",
        ("plan", PlanFilter),
        ("insurer", InsurerScopedFilter),
        FlagFilter,
        AuditFilter,
        "refund_request__business_type",
        "kind",
        "buyer__level",
        AssigneeFilter,
        ("opened_at", admin.DateFieldListFilter),
        ("decided_at", admin.DateFieldListFilter),
    )
    search_fields = (
        "=claim_id",
        "=refund_request__refund_id",
        "=sub_order__sub_order_id",
        "=buyer__buyer_id",
        # Case-blind, as R-RET-2 compares it, through the UPPER() index.
        "tracking_number__iexact",
    )
    search_help_text = gettext_lazy("Claim id, refund id, sub-order id, buyer id or return tracking number (exact).")
    ordering = ("-opened_at",)
    review_template = "backoffice/review.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("flags")

    actions = [
        confirmed_bulk_action(
            "assign_to_me",
            description=gettext_lazy("Assign to me"),
            permission="review_claims",
            perform=each(assign_to_me),
        ),
        confirmed_bulk_action(
            "request_evidence",
            description=gettext_lazy("Request evidence for many"),
            permission="review_claims",
            perform=each(decide_as(Outcome.REQUEST_EVIDENCE)),
            form_class=MissingEvidenceFields,
        ),
        export_action("claims", CLAIM_COLUMNS),
    ]

    def has_review_claims_permission(self, request):
        return request.user.has_perm("backoffice.review_claims")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, claim):
        return state_badge(claim)

    @admin.display(description=gettext_lazy("time left"), ordering="review_due_at")
    def time_left(self, claim):
        return time_left(claim)

    @admin.display(description=gettext_lazy("flags"))
    def flag_list(self, claim):
        return flag_badges(claim)

    @admin.display(description=gettext_lazy("reason"), ordering="reason")
    def reason_label(self, claim):
        return reason_label(claim.reason)

    @admin.display(description=gettext_lazy("buyer level"), ordering="buyer__level")
    def buyer_level(self, claim):
        return claim.buyer.get_level_display()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, claim):
            raise PermissionDenied
        return TemplateResponse(request, self.review_template, review_context(self, request, claim))

    def object_queryset(self, request):
        return self.get_queryset(request)

    def get_object(self, request, object_id, from_field=None):
        queryset = self.object_queryset(request).select_related("policy", "sub_order").prefetch_related("findings")
        return queryset.filter(pk=object_id).first() if str(object_id).isdigit() else None

    def render_action(self, request, obj, action, form, status=200):
        """A refused decision re-renders the review page with the form and its errors in place."""
        context = review_context(self, request, obj, bound={action.name: form})
        return TemplateResponse(request, self.review_template, context, status=status)


def _eligibility(revoke):
    def run(buyer, actor, request, data):
        services.set_buyer_eligibility(buyer, actor, revoke=revoke, reason=data["reason"])
        return _("Buyer %s is no longer eligible.") % buyer if revoke else _("Buyer %s is eligible again.") % buyer

    return run


@admin.register(Buyer)
class BuyerAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Buyers with their integrity level; revocation and restoration with a reason (R-ABUSE-2)."""

    state_field = "level"
    list_display = ("buyer_id", "level_badge", "reported_level", "claim_count", "report_count", "revoked_at")
    list_filter = ("level", "reported_level")
    search_fields = ("=buyer_id",)
    fields = ("buyer_id", "level", "reported_level", "revoked_reason", "revoked_at", "claim_list")
    readonly_fields = fields

    object_actions = (
        ObjectAction(
            "revoke",
            gettext_lazy("Revoke eligibility"),
            ReasonForm,
            _eligibility(True),
            "backoffice.manage_buyers",
            (TRANSITIONS, "set_buyer_eligibility"),
            states=REPORTABLE_LEVELS,
            help=gettext_lazy(
                "After a finding of deliberate abuse: the buyer's later requests stay with the merchant (R-ABUSE-2)."
            ),
            tone="danger",
        ),
        ObjectAction(
            "restore",
            gettext_lazy("Restore eligibility"),
            ReasonForm,
            _eligibility(False),
            "backoffice.manage_buyers",
            (TRANSITIONS, "set_buyer_eligibility"),
            states=(BuyerLevel.REVOKED,),
            help=gettext_lazy("The buyer's level returns to the one the platform last reported (R-ABUSE-2)."),
        ),
        reveal(
            "buyer_id",
            "backoffice.manage_buyers",
            label=gettext_lazy("Show the buyer id in full"),
            help=gettext_lazy("Lists show it masked; each showing in full is recorded with its reason."),
        ),
    )

    def scope(self, queryset, actor):
        requests = RefundRequest.objects.for_actor(actor).values("buyer_id")
        reports = MerchantReport.objects.for_actor(actor).values("buyer_id")
        return queryset.filter(pk__in=requests) | queryset.filter(pk__in=reports)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(claim_count=Count("claims", distinct=True), report_count=Count("reports", distinct=True))
        )

    @admin.display(description=gettext_lazy("level"), ordering="level")
    def level_badge(self, buyer):
        return state_badge(buyer, "level")

    @admin.display(description=gettext_lazy("claims"), ordering="claim_count")
    def claim_count(self, buyer):
        return buyer.claim_count

    @admin.display(description=gettext_lazy("reports"), ordering="report_count")
    def report_count(self, buyer):
        return buyer.report_count

    @admin.display(description=gettext_lazy("claims"))
    def claim_list(self, buyer):
        rows = buyer.claims.select_related("shop").order_by("-opened_at")[:30]
        return format_html_join(
            "",
            "<div>{} · {} · {} · ¥{}</div>",
            ((claim_link(c), c.get_status_display(), c.shop.name, c.requested_amount) for c in rows),
        )


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    """Every request the platform relayed, and where it was routed (R-ROUTE-1, R-ROUTE-3)."""

    list_display = (
        "refund_id",
        "sub_order",
        "shop",
        "business_type",
        "not_routed_because",
        "kind",
        "reason",
        "amount",
        "requested_at",
        "claim_column",
    )
    list_select_related = ("sub_order", "shop", "claim")
    list_filter = ("business_type", "kind", "reason", "not_routed_because", ("shop", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=refund_id", "=sub_order__sub_order_id", "=buyer__buyer_id")
    ordering = ("-created_at",)
    actions = [
        export_action("refund-requests", REFUND_REQUEST_COLUMNS),
    ]

    @admin.display(description=gettext_lazy("claim"))
    def claim_column(self, request_):
        return claim_link(getattr(request_, "claim", None))


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
    revoke = forms.BooleanField(
        label=gettext_lazy("Deliberate abuse: revoke the buyer's eligibility (R-ABUSE-2)"), required=False
    )


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
