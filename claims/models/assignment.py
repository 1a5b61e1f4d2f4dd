"""Who works on which claim (R-ASSIGN-1): each reviewer's profile (on duty, capacity) and every
assignment of a claim with the reason it was made."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AppendOnlyModel

from ..choices import AssignmentReason
from ..querysets import ReviewerProfileQuerySet
from .claim import Claim


class ReviewerProfile(models.Model):
    """R-ASSIGN-1: a reviewer of one insurer, whether they are on duty and how many undecided
    claims they may hold at once. Supervisors edit it (claims.services.assignment.set_profile)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile", verbose_name=_("reviewer")
    )
    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="reviewer_profiles")
    on_duty = models.BooleanField(_("on duty"), default=False)
    capacity = models.PositiveIntegerField(_("capacity"), default=20, help_text=_("Undecided claims held at most."))

    objects = ReviewerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")
        ordering = ["user__username"]
        permissions = [("supervise_assignments", _("See the at-risk board and reassign claims"))]
        indexes = [models.Index(fields=["insurer", "on_duty"])]

    def __str__(self):
        return self.user.get_username()


class Assignment(AppendOnlyModel):
    """R-ASSIGN-1: one change of a claim's assignee and why: automatic (load), taken by hand,
    reassigned by a supervisor (by whom), or returned to the pool. Written once, never changed."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="assignments")
    at = models.DateTimeField(_("at"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    reason = models.CharField(_("why"), max_length=20, choices=AssignmentReason.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    # The assignee's undecided claims when an automatic assignment chose them (the "load" it read).
    load = models.PositiveIntegerField(_("load"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["claim", "at"])]

    def __str__(self):
        return f"{self.claim_id} → {self.assignee_id or '∅'} ({self.reason})"
