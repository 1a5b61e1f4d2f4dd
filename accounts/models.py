from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kernel.actors import Role

PERSON_ROLES = [(r.value, r.label) for r in (Role.REVIEWER, Role.SUPERVISOR, Role.SERVICE_STAFF, Role.MERCHANT)]


class Membership(models.Model):
    """Binds a person to their role and, for insurer staff and merchants, to one insurer or shop."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("role"), max_length=20, choices=PERSON_ROLES)
    insurer = models.ForeignKey(
        "catalogue.Insurer", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    shop = models.ForeignKey("merchants.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="members")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_binding_matches_role",
                condition=(
                    models.Q(role__in=["reviewer", "supervisor"], insurer__isnull=False, shop__isnull=True)
                    | models.Q(role="merchant", shop__isnull=False, insurer__isnull=True)
                    | models.Q(role="service_staff", shop__isnull=True, insurer__isnull=True)
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    def clean(self):
        if self.role in (Role.REVIEWER, Role.SUPERVISOR) and not self.insurer_id:
            raise ValidationError(_("Reviewers and supervisors are bound to one insurer."))
        if self.role == Role.MERCHANT and not self.shop_id:
            raise ValidationError(_("A merchant user belongs to one shop."))


class Invitation(models.Model):
    """A person asked by e-mail to join a shop's portal: who invited whom and when, and when
    they accepted (the sign-up link itself is a token, never stored: accounts.invitations)."""

    email = models.EmailField(_("e-mail"))
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="invitations")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    invited_at = models.DateTimeField(_("invited at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("user"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-invited_at", "-id"]

    def __str__(self):
        return f"{self.email} → {self.shop}"
