"""Supervisors' screens for R-ASSIGN-1: reviewers' duty and capacity, and the at-risk board with
bulk reassignment (checked per claim before the confirmation, reported per claim after it)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.scoping import ScopedAdmin, actor_for
from claims import services
from claims.choices import UNDECIDED_STATES
from claims.models import Claim, ReviewerProfile
from claims.services.assignment import add_profile, with_load
from claims.services.board import at_risk_board
from kernel.actors import Role
from kernel.errors import DomainError

SUPERVISE = "claims.supervise_assignments"
HOURS = (1, 2, 4, 8, 12, 24)


class BoardForm(forms.Form):
    hours = forms.TypedChoiceField(
        label=gettext_lazy("Due within (hours)"), choices=[(h, h) for h in HOURS], coerce=int, initial=4
    )


def reassign_form(reviewers):
    class ReassignForm(forms.Form):
        claim = forms.ModelMultipleChoiceField(queryset=Claim.objects.none(), widget=forms.MultipleHiddenInput)
        to = forms.ChoiceField(
            label=gettext_lazy("Reassign to"),
            choices=[("", _("the pool: by load (fewest open claims)"))]
            + [(str(p.user_id), p.user.get_username()) for p in reviewers if p.on_duty],
            required=False,
        )

    return ReassignForm


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ScopedAdmin):
    """R-ASSIGN-1: each reviewer's duty and capacity, edited in the list; saved through the
    service, so going off duty returns their undecided claims to the pool."""

    list_display = ("user", "on_duty", "capacity", "load_column")
    list_editable = ("on_duty", "capacity")
    list_select_related = ("user",)
    fields = ("user", "on_duty", "capacity")
    change_list_template = "admin/claims/reviewer_profiles.html"

    def get_queryset(self, request):
        return with_load(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            insurer_id = actor_for(request).insurer_id
            kwargs["queryset"] = get_user_model().objects.filter(
                membership__insurer_id=insurer_id,
                membership__role__in=(Role.REVIEWER, Role.SUPERVISOR),
                reviewer_profile__isnull=True,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        if change:
            services.set_profile(obj, actor, on_duty=obj.on_duty, capacity=obj.capacity)
        else:
            obj.pk = add_profile(obj.user_id, actor, on_duty=obj.on_duty, capacity=obj.capacity).pk

    @admin.display(description=gettext_lazy("open claims"))
    def load_column(self, profile):
        return f"{profile.load} / {profile.capacity}"

    def get_urls(self):
        board = self.admin_site.admin_view(self.board_view)
        reassign = self.admin_site.admin_view(self.reassign_view)
        return [
            path("board/", board, name="claims_reviewerprofile_board"),
            path("board/reassign/", reassign, name="claims_reviewerprofile_reassign"),
        ] + super().get_urls()

    def _context(self, request, title, **extra):
        if not request.user.has_perm(SUPERVISE):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def board_view(self, request):
        """The at-risk board: its lists and the reviewers' load, one query each."""
        context = self._context(request, _("Claims at risk"))
        form = BoardForm(request.GET or None)
        hours = form.cleaned_data["hours"] if form.is_valid() else BoardForm.base_fields["hours"].initial
        board = at_risk_board(actor_for(request), hours)
        context.update(board=board, form=form, hours=hours, reassign=reassign_form(board.reviewers)())
        return TemplateResponse(request, "admin/claims/at_risk.html", context)

    def reassign_view(self, request):
        """Bulk reassignment: the selected claims and what would stop each, then, once confirmed,
        what happened to each, in words."""
        actor = actor_for(request)
        reviewers = list(with_load(ReviewerProfile.objects.for_actor(actor).select_related("user")))
        form_class = reassign_form(reviewers)
        form = form_class(request.POST or None)
        form.fields["claim"].queryset = Claim.objects.for_actor(actor).select_related("assignee")
        if request.method != "POST" or not form.is_valid():
            context = self._context(request, _("Reassign claims"), form=form, rows=[])
            return TemplateResponse(request, "admin/claims/reassign.html", context, status=400)
        claims = list(form.cleaned_data["claim"].order_by("review_due_at", "pk"))
        to = int(form.cleaned_data["to"]) if form.cleaned_data["to"] else None
        if "confirm" not in request.POST:
            rows = [(claim, _precheck(claim, to, reviewers)) for claim in claims]
            context = self._context(request, _("Reassign claims"), form=form, rows=rows, to=to, confirming=True)
            return TemplateResponse(request, "admin/claims/reassign.html", context)
        report = []
        for claim in claims:
            try:
                report.append((claim, services.reassign(claim, to, actor), True))
            except DomainError as error:
                report.append((claim, str(error.text), False))
        context = self._context(request, _("Reassignment report"), report=report)
        return TemplateResponse(request, "admin/claims/reassign.html", context)


def _precheck(claim, to, reviewers):
    """What would stop this claim's move, read before the supervisor confirms (the service checks
    again under its locks, and the report says what it found)."""
    if claim.status not in UNDECIDED_STATES:
        return _("Already decided: it will stay as it is.")
    target = next((p for p in reviewers if p.user_id == to), None)
    if to is not None and claim.assignee_id == to:
        return _("Already with %s.") % target.user.get_username()
    if target is not None and target.load >= target.capacity:
        return _("%(who)s is at capacity (%(load)s of %(capacity)s).") % {
            "who": target.user.get_username(),
            "load": target.load,
            "capacity": target.capacity,
        }
    return ""
