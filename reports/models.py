from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AppendOnlyModel, AppendOnlyQuerySet
from kernel.money import MoneyField
from kernel.querysets import ScopedQuerySet


class BordereauKind(models.TextChoices):
    PREMIUM = "premium", _("Premium bordereau")
    CLAIMS = "claims", _("Claims bordereau")


class BordereauQuerySet(AppendOnlyQuerySet, ScopedQuerySet["Bordereau"]):  # type: ignore[override]
    def for_merchant(self, shop_id: int | None) -> "BordereauQuerySet":
        # An insurer's book: no shop sees it.
        return self.none()

    def latest_of(self, insurer_id: int, period: object, kind: str) -> "Bordereau | None":
        latest = self.filter(insurer_id=insurer_id, period=str(period), kind=kind).order_by("-version").first()
        return latest  # type: ignore[return-value]  # the stubs lose the model through the mixed-in querysets


# The two files of a bordereau, by the name the admin and the API ask for them.
FORMATS = {
    "csv": ("csv_file", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx_file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def bordereau_path(instance, filename):
    return f"bordereaux/{instance.insurer.code}/{instance.period}/{filename}"


class Bordereau(AppendOnlyModel):
    """One version of an insurer's premium or claims bordereau for a month (R-BDX-1).

    Never edited: a correction is a new version naming the one it replaces. `digest` is the
    SHA-256 of its lines, so a run over an unchanged month writes nothing new."""

    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="bordereaux")
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM, Asia/Shanghai"))
    kind = models.CharField(_("kind"), max_length=10, choices=BordereauKind.choices)
    version = models.PositiveIntegerField(_("version"))
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("replaces")
    )
    created_at = models.DateTimeField(_("created at"))
    lines = models.PositiveIntegerField(_("lines"))
    total_premium = MoneyField(_("total premium"), null=True, blank=True)
    total_paid = MoneyField(_("total paid"), null=True, blank=True)
    digest = models.CharField(max_length=64, editable=False)
    csv_file = models.FileField(_("CSV file"), upload_to=bordereau_path, max_length=200)
    xlsx_file = models.FileField(_("XLSX file"), upload_to=bordereau_path, max_length=200)

    objects = BordereauQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("bordereau")
        verbose_name_plural = _("bordereaux")
        ordering = ["-period", "kind", "-version"]
        constraints = [
            # Two runs racing for the same month make one version, not two.
            models.UniqueConstraint(fields=["insurer", "period", "kind", "version"], name="one_bordereau_per_version"),
        ]
        indexes = [models.Index(fields=["insurer", "period", "kind"])]

    def __str__(self):
        return f"{self.insurer.code} {self.period} {self.kind} v{self.version}"

    @property
    def file_name(self):
        return f"bordereau-{self.insurer.code}-{self.period}-{self.kind}-v{self.version}"

    def download(self, format):
        """(opened file, content type, download name) of the file in `format` (csv or xlsx)."""
        field, content_type = FORMATS[format]
        return getattr(self, field).open("rb"), content_type, f"{self.file_name}.{format}"
