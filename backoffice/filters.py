from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from catalogue.taxonomy import Reason
from claims.choices import Flag
from claims.models import ClaimFlag

from .scoping import actor_for


class FlagFilter(admin.SimpleListFilter):
    title = _("flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [*Flag.choices, ("none", _("No flag"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.exclude(Exists(ClaimFlag.objects.filter(claim=OuterRef("pk"))))
        if self.value():
            return queryset.filter(Exists(ClaimFlag.objects.filter(claim=OuterRef("pk"), code=self.value())))
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    """The refund reasons in words (the field stores the platform's codes)."""

    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return Reason.choices

    def queryset(self, request, queryset):
        return queryset.filter(reason=self.value()) if self.value() else queryset


class InsurerScopedFilter(admin.RelatedFieldListFilter):
    """The plans or insurers the viewer works with, read from the catalogue: an insurer's staff see
    their insurer and the plans it sells. (RelatedOnlyFieldListFilter would read them from the
    listed claims: a DISTINCT over every claim in scope, on every page of a million-claim list.)
    `insurer_lookup` leads from the related model to the insurer."""

    insurer_lookup = "pk"

    def field_choices(self, field, request, model_admin):
        related = field.related_model.objects.all()
        insurer_id = actor_for(request).insurer_id
        if insurer_id is not None:
            related = related.filter(**{self.insurer_lookup: insurer_id})
        return [(obj.pk, str(obj)) for obj in related]


class PlanFilter(InsurerScopedFilter):
    insurer_lookup = "insurers"


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Unassigned")), ("others", _("Assigned to others"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "nobody":
            return queryset.filter(assignee__isnull=True)
        if value == "others":
            return queryset.exclude(assignee__isnull=True).exclude(assignee=request.user)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    """Open or resolved, for queues whose rows carry a `resolved_at` (disputes, appeals, reports)."""

    title = _("state")
    parameter_name = "open"
    field = "resolved_at"

    def lookups(self, request, model_admin):
        return [("yes", _("Waiting")), ("no", _("Done"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "yes"})
        return queryset


class ReviewedFilter(OpenFilter):
    field = "reviewed_at"


class AuditFilter(OpenFilter):
    """Automatic decisions drawn for a human audit (R-REV-6): the audit queue, waiting or done."""

    title = _("fast-lane audit")
    parameter_name = "audit"
    field = "audited_at"

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            queryset = queryset.filter(audit_requested=True)
        return super().queryset(request, queryset)
