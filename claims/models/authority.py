"""Authority limits and decisions awaiting a second person (R-AUTH-1, domain.md §15)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from audit.models import Chained
from kernel.actors import Role
from kernel.money import MoneyField
from kernel.querysets import ScopedQuerySet

from ..choices import Outcome
from ..feedback import Written
from .claim import Claim

# The people and clients who approve amounts: the insurer's reviewers, supervisors and API
# clients decide (R-REV-3), service staff change decisions on appeal and overturn parcel rejections.
AUTHORITY_ROLES = [
    (role.value, role.label) for role in (Role.REVIEWER, Role.SUPERVISOR, Role.INSURER, Role.SERVICE_STAFF)
]


class AuthorityLimitQuerySet(ScopedQuerySet):
    def for_merchant(self, shop_id):
        return self.none()  # a merchant never sees the insurer's limits


class AuthorityLimit(models.Model):
    """R-AUTH-1: per insurer and role, the largest amount the role approves alone, and whether an
    appeal's change of decision or a receipt-dispute overturn needs a second person. A role without
    a row has no limit set: it decides alone."""

    insurer = models.ForeignKey(
        "catalogue.Insurer", on_delete=models.PROTECT, related_name="authority_limits", verbose_name=_("insurer")
    )
    role = models.CharField(_("role"), max_length=20, choices=AUTHORITY_ROLES)
    approve_alone_up_to = MoneyField(
        _("largest amount approved alone (CNY)"),
        help_text=_("An approval, in full or in part, above this waits for a second person (R-AUTH-1)."),
    )
    appeal_change_needs_second = models.BooleanField(_("appeal changes need a second person"), default=True)
    overturn_needs_second = models.BooleanField(_("overturns need a second person"), default=True)

    objects = AuthorityLimitQuerySet.as_manager()

    class Meta:
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")
        ordering = ["insurer", "role"]
        constraints = [models.UniqueConstraint(fields=["insurer", "role"], name="one_authority_limit_per_role")]

    def __str__(self):
        return f"{self.insurer} · {self.get_role_display()} · ≤ {self.approve_alone_up_to}"


class ApprovalKind(models.TextChoices):
    DECISION = "decision", _("Review decision")
    APPEAL_CHANGE = "appeal_change", _("Change of decision on appeal")
    OVERTURN = "overturn", _("Overturn of a parcel rejection")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting second approval")
    CONFIRMED = "confirmed", _("Confirmed")
    SENT_BACK = "sent_back", _("Sent back")


class PendingDecisionQuerySet(ScopedQuerySet):
    insurer_field = "claim__insurer_id"
    shop_field = "claim__shop_id"

    def waiting(self) -> "PendingDecisionQuerySet":
        return self.filter(status=ApprovalStatus.PENDING)


class PendingDecision(models.Model):
    """R-AUTH-1: a decision above its author's authority, recorded but not in effect until a
    second person confirms it; the claim's history keeps each step (ApprovalStep)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="pending_decisions")
    kind = models.CharField(_("kind"), max_length=20, choices=ApprovalKind.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    problem_code = models.CharField(_("problem code"), max_length=40, blank=True)
    approved_amount = MoneyField(_("amount"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    status = FSMField(_("status"), default=ApprovalStatus.PENDING, choices=ApprovalStatus.choices)
    proposed_at = models.DateTimeField(_("proposed at"))
    proposed_role = models.CharField(_("proposed by role"), max_length=20, choices=Role.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_client_id = models.BigIntegerField(null=True, blank=True)
    proposed_label = models.CharField(_("proposed by"), max_length=150, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = PendingDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision awaiting second approval")
        verbose_name_plural = _("awaiting second approval")
        ordering = ["proposed_at", "id"]
        constraints = [
            # One decision waits per claim: a second one would race the first to take effect.
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(status=ApprovalStatus.PENDING),
                name="one_pending_decision_per_claim",
            )
        ]
        indexes = [models.Index(fields=["status", "proposed_at"])]

    def __str__(self):
        return f"{self.claim} · {self.get_kind_display()} · {self.approved_amount or ''}"

    @transition(field=status, source=ApprovalStatus.PENDING, target=ApprovalStatus.CONFIRMED)
    def confirm(self, *, at, reason=""):
        self.resolved_at = at

    @transition(field=status, source=ApprovalStatus.PENDING, target=ApprovalStatus.SENT_BACK)
    def send_back(self, *, at, reason=""):
        self.resolved_at = at


class ApprovalStep(Chained, Written):
    """R-AUTH-1: the claim's history of a pending decision: proposed, confirmed or sent back, by
    whom and why (chained with the claim's other history rows, R-AUD-1)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="approval_steps")
    pending = models.ForeignKey(PendingDecision, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(_("step"), max_length=20, choices=ApprovalStatus.choices)
    approved_amount = MoneyField(_("amount"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("second-approval step")
        verbose_name_plural = _("second-approval steps")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["claim", "at"])]

    def __str__(self):
        return f"{self.claim_id} · {self.get_step_display()} · {self.actor_label}"
