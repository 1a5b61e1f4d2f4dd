"""Staff lists of claims, refund requests and buyers; a claim's page is its review page.
Thin: every button calls claims.services through backoffice's action forms."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ObjectAction, ObjectActionsMixin, ReasonForm, confirmed_bulk_action, each
from backoffice.disclosure import reveal
from backoffice.display import claim_link, day, flag_badges, reason_label, request_summary, state_badge, time_left
from backoffice.exports import export_action
from backoffice.filters import AssigneeFilter, AuditFilter, FlagFilter, InsurerScopedFilter, PlanFilter, ReasonFilter
from backoffice.scoping import ReadOnlyAdmin
from claims import services
from claims.choices import REPORTABLE_LEVELS, BuyerLevel, Outcome
from claims.columns import CLAIM_COLUMNS, REFUND_REQUEST_COLUMNS
from claims.models import Buyer, Claim, MerchantReport, RefundRequest
from claims.workflow import TRANSITIONS

from . import review
from .actions import CLAIM_ACTIONS, MissingEvidenceFields, assign_to_me, bulk_check, decide_as


@admin.register(Claim)
class ClaimAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Every claim the viewer may see; its page is the review page (evidence, facts, decisions)."""

    object_actions = CLAIM_ACTIONS
    # One short line a claim, so that a screen holds a dozen or more: the plan, the buyer's level
    # and the rest of the facts are on the claim's page, a click away.
    list_display = (
        "claim_id",
        "status_badge",
        "time_left",
        "flag_list",
        "shop",
        "requested_amount",
        "request_column",
        "assignee",
        "opened_on",
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
    # The first characters of an identifier, each through its own index (backoffice.scoping); the
    # buyer id, masked on every list, only in full, so that a search cannot spell it out.
    search_fields = (
        "^claim_id",
        "^refund_request__refund_id",
        "^sub_order__sub_order_id",
        "=buyer__buyer_id",
        # Normalised, as R-ABUSE-1 compares it, through the claim_tracking_key index.
        "tracking_number__tracking_prefix",
        "^shop__name",
    )
    search_help_text = gettext_lazy(
        "The start of a claim id, refund id, sub-order id, return tracking number or shop name; a buyer id in full."
    )
    ordering = ("-opened_at",)
    review_template = review.TEMPLATE

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("flags")

    actions = [
        confirmed_bulk_action(
            "assign_to_me",
            description=gettext_lazy("Assign to me"),
            permission="review_claims",
            perform=each(assign_to_me),
            check=bulk_check("assign"),
        ),
        confirmed_bulk_action(
            "request_evidence",
            description=gettext_lazy("Request evidence for many"),
            permission="review_claims",
            perform=each(decide_as(Outcome.REQUEST_EVIDENCE)),
            form_class=MissingEvidenceFields,
            check=bulk_check(Outcome.REQUEST_EVIDENCE),
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

    @admin.display(description=gettext_lazy("opened"), ordering="opened_at")
    def opened_on(self, claim):
        return day(claim.opened_at)

    @admin.display(description=gettext_lazy("request"), ordering="reason")
    def request_column(self, claim):
        return request_summary(claim)

    @admin.display(description=gettext_lazy("buyer level"), ordering="buyer__level")
    def buyer_level(self, claim):
        return claim.buyer.get_level_display()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, claim):
            raise PermissionDenied
        return TemplateResponse(request, self.review_template, review.review_context(self, request, claim))

    def object_queryset(self, request):
        return self.get_queryset(request)

    def get_object(self, request, object_id, from_field=None):
        queryset = self.object_queryset(request).select_related("policy", "sub_order").prefetch_related("findings")
        return queryset.filter(pk=object_id).first() if str(object_id).isdigit() else None

    def render_action(self, request, obj, action, form, status=200):
        """A refused decision re-renders the review page with the form and its errors in place; a
        form the page no longer shows (the claim moved on in another tab) has its refusal said above."""
        context = review.review_context(self, request, obj, bound={action.name: form})
        if form.non_field_errors() and action.name not in review.shown_forms(context):
            messages.error(request, review.refusal_note(obj, action, " ".join(form.non_field_errors())))
        return TemplateResponse(request, self.review_template, context, status=status)

    def after_action_url(self, obj, request=None, action=None):
        """After a decision, the next claim of the reviewer's queue, so that a day's work is one
        claim after another; the claim's own page when the queue is empty, or after any other button."""
        if action is not None and action.name in Outcome.values:
            following = review.next_in_queue(request, obj)
            if following is not None:
                messages.info(request, _("Next in your queue: claim %s.") % following.claim_id)
                return reverse("admin:backoffice_queuedclaim_change", args=[following.pk])
            if request.user.has_perm("backoffice.view_queuedclaim"):
                messages.info(request, _("Your queue is empty."))
        return reverse("admin:claims_claim_change", args=[obj.pk])


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
                "After a finding of deliberate abuse: the buyer's later requests stay with the merchant."
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
            help=gettext_lazy("The buyer's level returns to the one the platform last reported."),
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
        "reason_label",
        "amount",
        "requested_at",
        "claim_column",
    )
    list_select_related = ("sub_order", "shop", "claim")
    list_filter = (
        "business_type",
        "kind",
        ReasonFilter,
        "not_routed_because",
        ("shop", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=refund_id", "=sub_order__sub_order_id", "=buyer__buyer_id")
    ordering = ("-created_at",)
    actions = [
        export_action("refund-requests", REFUND_REQUEST_COLUMNS),
    ]

    @admin.display(description=gettext_lazy("reason"), ordering="reason")
    def reason_label(self, request_):
        return reason_label(request_.reason)

    @admin.display(description=gettext_lazy("claim"))
    def claim_column(self, request_):
        return claim_link(getattr(request_, "claim", None))
