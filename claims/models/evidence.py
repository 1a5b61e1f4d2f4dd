"""Evidence files, their perceptual fingerprints (R-ABUSE-1) and the decisions taken on them (R-REV-3)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AppendOnlyModel, Chained
from kernel.money import MoneyField

from ..choices import (
    EvidenceKind,
    Outcome,
    Side,
)
from .claim import Claim


def evidence_path(instance, filename):
    # Random names: an upload's own name never reaches storage, and nothing is overwritten.
    return f"evidence/{instance.claim.claim_id}/{secrets.token_hex(16)}{instance.extension}"


class Evidence(Chained, models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="evidence")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    content_type = models.CharField(_("content type"), max_length=40)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    phash = models.CharField(_("perceptual hash"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    # R-EVI-1: measured and read on arrival; marks for the reviewer, never a decision.
    sharpness = models.FloatField(_("sharpness"), null=True, blank=True)
    brightness = models.FloatField(_("brightness"), null=True, blank=True)
    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    camera = models.CharField(_("camera"), max_length=100, blank=True)
    software = models.CharField(_("software"), max_length=100, blank=True)
    marks = models.JSONField(_("marks"), default=list, blank=True)

    extension = ""

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["claim", "side"])]

    def __str__(self):
        return f"{self.get_side_display()} {self.get_kind_display()} #{self.pk}"

    @property
    def clear(self) -> bool:
        """R-EVI-1: clear enough to judge (a video is not measured)."""
        return not {"blurry", "too_dark"} & set(self.marks)


class AnyOf(models.Lookup):
    """`key__any_of=[...]`: one array parameter on PostgreSQL, where an IN list of the 2,214 probe
    keys costs more to send and plan than the look-ups. Written as IN (SELECT unnest(...)): with
    `= ANY(array)` the planner reads thousands of keys as thousands of rows and scans the table."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT unnest(%s::bigint[]))", [*lhs_params, list(self.rhs)]


class PhotoKeyField(models.BigIntegerField):
    pass


PhotoKeyField.register_lookup(AnyOf)


class ImageFingerprint(models.Model):
    """One of the six keys of an image's 64-bit perceptual hash (claims.evidence.photo_keys): 32 of
    its bits, tagged with which. Any two hashes within Hamming distance 6 are found by a probe key
    of one under a key of the other (claims.evidence.probe_keys)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="fingerprints")
    key = PhotoKeyField(db_index=True)

    def __str__(self):
        return f"{self.evidence_id}:{self.key:x}"


class Decision(Chained, AppendOnlyModel):
    """Every decision on a claim, automatic, by a reviewer, or changed on appeal (R-REV-3)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    problem_code = models.CharField(_("problem code"), max_length=40, blank=True)
    approved_amount = MoneyField(_("approved amount"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    automatic = models.BooleanField(_("automatic"), default=False)
    on_appeal = models.BooleanField(_("on appeal"), default=False)
    role = models.CharField(_("role"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at", "id"]

    @property
    def problem_label(self) -> str:
        """R-PLAN-1: the problem code in words, from the claim's plan's rows."""
        from catalogue.services import problem_label

        return problem_label(self.claim.plan, self.problem_code)
