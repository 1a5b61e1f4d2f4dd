"""R-AUTH-1 in the admin: the insurer's table of authority limits, which supervisors edit, and
the queue of decisions awaiting a second approval, where another person confirms or sends back."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction, ObjectActionsMixin
from backoffice.display import claim_link, time_left
from backoffice.scoping import ReadOnlyAdmin, ScopedAdmin, actor_for
from catalogue.models import Insurer
from claims import services
from claims.models import AuthorityLimit, PendingDecision
from claims.models.authority import ApprovalStatus
from claims.services.approvals import ACTIONS
from claims.workflow import TRANSITIONS


@admin.register(AuthorityLimit)
class AuthorityLimitAdmin(ScopedAdmin):
    """Per role, the largest amount approved alone and what needs a second person (R-AUTH-1)."""

    list_display = (
        "insurer",
        "role",
        "approve_alone_up_to",
        "appeal_change_needs_second",
        "overturn_needs_second",
    )
    list_editable = ("approve_alone_up_to", "appeal_change_needs_second", "overturn_needs_second")
    list_filter = ("role",)
    list_select_related = ("insurer",)
    ordering = ("insurer__code", "role")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A supervisor sets their own insurer's limits only.
        if db_field.name == "insurer":
            kwargs["queryset"] = Insurer.objects.filter(pk__in=self._insurers(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"insurer": actor_for(request).insurer_id, **super().get_changeform_initial_data(request)}

    def _insurers(self, request):
        insurer_id = actor_for(request).insurer_id
        return [insurer_id] if insurer_id else Insurer.objects.values("pk")


class ConfirmForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SendBackForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Why it goes back"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The person who proposed it reads this in the claim's history."),
    )


class WaitingFilter(admin.SimpleListFilter):
    """The queue opens on what waits; the filter shows the confirmed and the sent back too."""

    title = gettext_lazy("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        others = [(s.value, s.label) for s in ApprovalStatus if s != ApprovalStatus.PENDING]
        return [*others, ("all", _("All"))]

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(status=self.value() or ApprovalStatus.PENDING)

    def choices(self, changelist):
        first, *rest = super().choices(changelist)
        yield {**first, "display": ApprovalStatus.PENDING.label}
        yield from rest


def _confirm(pending, actor, request, data):
    services.confirm(pending, actor, reason=data["reason"])
    return _("Confirmed: the decision on claim %s has taken effect.") % pending.claim.claim_id


def _send_back(pending, actor, request, data):
    services.send_back(pending, actor, reason=data["reason"])
    return _("Sent back: the decision on claim %s did not take effect.") % pending.claim.claim_id


def _may_confirm(pending, actor):
    """Offered to the roles that take the decision's own action; the service refuses the proposer
    and anyone whose limit is below the amount, with the reason."""
    return actor.role in TRANSITIONS[ACTIONS[pending.kind]][1]


def _facts(pending):
    return [
        (_("Claim"), pending.claim.claim_id),
        (_("Decision"), pending.get_outcome_display() or pending.get_kind_display()),
        (_("Amount"), pending.approved_amount if pending.approved_amount is not None else "—"),
        (_("Reason"), pending.reason or "—"),
        (_("Proposed by"), pending.proposed_label or pending.get_proposed_role_display()),
    ]


@admin.register(PendingDecision)
class PendingDecisionAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """Decisions above their author's authority, awaiting a second person (R-AUTH-1): the claim
    closest to its review SLA first."""

    list_display = (
        "time_left_column",
        "claim_column",
        "kind",
        "outcome",
        "approved_amount",
        "proposed_label",
        "proposed_at",
    )
    list_select_related = ("claim",)
    list_filter = (WaitingFilter, "kind")
    search_fields = ("=claim__claim_id",)
    ordering = ("claim__review_due_at", "proposed_at")
    scope_through = "claim"
    fields = (
        "claim_column",
        "kind",
        "outcome",
        "problem_code",
        "approved_amount",
        "reason",
        "proposed_label",
        "proposed_role",
        "proposed_at",
        "status",
        "resolved_at",
    )
    readonly_fields = fields
    object_actions = (
        ObjectAction(
            "confirm",
            gettext_lazy("Confirm: let it take effect"),
            ConfirmForm,
            _confirm,
            "claims.view_pendingdecision",
            states=(ApprovalStatus.PENDING,),
            open=_may_confirm,
            facts=_facts,
            help=gettext_lazy("You become the second person; it needs your own authority (R-AUTH-1)."),
        ),
        ObjectAction(
            "send_back",
            gettext_lazy("Send back"),
            SendBackForm,
            _send_back,
            "claims.view_pendingdecision",
            states=(ApprovalStatus.PENDING,),
            open=_may_confirm,
            facts=_facts,
            tone="danger",
            help=gettext_lazy("Nothing takes effect; the claim waits for a new decision."),
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim")

    def perform(self, request, obj, action, data, actor):
        # The service locks the claim, then this row: the order every decision takes them in.
        return action.run(obj, actor, request, data)

    def after_action_url(self, obj, request=None, action=None):
        return reverse("admin:claims_pendingdecision_changelist")

    @admin.display(description=gettext_lazy("claim"), ordering="claim__claim_id")
    def claim_column(self, obj):
        return claim_link(obj.claim)

    @admin.display(description=gettext_lazy("time left"), ordering="claim__review_due_at")
    def time_left_column(self, obj):
        return time_left(obj.claim)
