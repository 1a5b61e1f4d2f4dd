"""What people say about a claim beside its life cycle: the insurer's internal notes (R-NOTE-2)
and the ratings of how it was handled (R-KPI-2). Both are written once and never changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AppendOnlyModel, Chained
from kernel.actors import Channel, Role

NOTE_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 1000
RATINGS = range(1, 6)


class Written(AppendOnlyModel):
    """Who wrote the row and through which channel, as the audit trail records an actor."""

    at = models.DateTimeField(_("at"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(_("written by"), max_length=150, blank=True)

    class Meta:
        abstract = True


class ClaimNote(Chained, Written):
    """R-NOTE-2: an internal note by insurer or service staff; never shown to merchants or buyers."""

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="notes")
    text = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["claim", "at"])]

    def __str__(self):
        return f"{self.claim_id} · {self.actor_label} · {self.at:%Y-%m-%d %H:%M}"


class RatingSource(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    MERCHANT = "merchant", _("Merchant")


class Rating(Written):
    """R-KPI-2: the buyer's rating (reported by the platform) or the merchant's, once per claim each."""

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="ratings")
    source = models.CharField(_("rated by"), max_length=10, choices=RatingSource.choices)
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "source"], name="one_rating_per_claim_and_source"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="rating_from_1_to_5"),
        ]
        indexes = [models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.claim_id} · {self.get_source_display()} · {self.rating}"
