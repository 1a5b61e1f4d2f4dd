from django.db import models
from django.utils.translation import gettext_lazy as _

from kernel.querysets import ScopedQuerySet

from .texts import render


class Audience(models.TextChoices):
    MERCHANT = "merchant", _("Merchant")
    INSURER = "insurer", _("Insurer")
    STAFF = "staff", _("Service staff")


class NoticeQuerySet(ScopedQuerySet):
    def for_merchant(self, shop_id):
        return self.filter(audience=Audience.MERCHANT, shop_id=shop_id)

    def for_insurer(self, insurer_id):
        return self.filter(audience=Audience.INSURER, insurer_id=insurer_id)

    def for_staff(self):
        return self.filter(audience=Audience.STAFF)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """What one party is told about an event (R-NOTE-1). A row per audience, so that what a
    merchant reads never carries another shop's or insurer's data."""

    event_type = models.CharField(_("event"), max_length=40)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices)
    shop = models.ForeignKey("merchants.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    insurer = models.ForeignKey(
        "catalogue.Insurer", null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    claim = models.ForeignKey("claims.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    # What was said when the row was written: shown only for an event no app renders (notices.texts).
    message = models.CharField(_("message"), max_length=300, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Not db_index on the field: on PostgreSQL that adds an unused pattern-matching index too.
            models.Index(fields=["event_type"], name="notice_event_type"),
            models.Index(fields=["audience", "shop", "-created_at"]),
            models.Index(fields=["audience", "insurer", "-created_at"]),
        ]

    def __str__(self):
        return self.text

    @property
    def text(self):
        """R-NOTE-1: rendered for this row's audience in the reader's language."""
        return render(self)
