import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel import bulk
from kernel.actors import Channel, Role

from . import canonical


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update() and delete() skip the model's save() and delete(): refuse them too."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows that record what happened are written once and never changed or removed."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} rows are append-only")


class Chained(models.Model):
    """A history row of a chain (R-AUD-1): saving a new one links it to its chain's head in the
    same transaction (ChainLink.objects.append). Bulk writers call append themselves."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            return super().save(*args, **kwargs)
        # The row and its link commit together; inside the caller's transaction, no savepoint.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            ChainLink.objects.append([self])


class TransitionLog(Chained, AppendOnlyModel):
    """One row per state change of any life cycle: who, when, through what, from, to, why."""

    # Indexed by the (content_type, object_id, at) index below.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)
    object_id = models.BigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(_("transition"), max_length=64)
    source = models.CharField(_("from"), max_length=32, blank=True)
    target = models.CharField(_("to"), max_length=32)
    at = models.DateTimeField(_("at"), db_index=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("transition log entry")
        verbose_name_plural = _("transition log")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.content_type.model}#{self.object_id}: {self.source or '∅'} → {self.target}"


class Disclosure(AppendOnlyModel):
    """A masked value shown in full (audit.masking): what, to whom, through which channel, why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    field = models.CharField(_("field"), max_length=40)
    at = models.DateTimeField(_("at"), db_index=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.content_type.model}#{self.object_id}.{self.field} → {self.actor_label}"


class ChainLinkQuerySet(AppendOnlyQuerySet):
    def append(self, rows: Iterable[models.Model], at: dt.datetime | None = None) -> list["ChainLink"]:
        """Link new history rows to the heads of their chains (R-AUD-1), inside the writing
        transaction. Each chain's head row is locked first, so two writers of one claim take turns
        and never both link to the same head (which the unique (chain, seq) would refuse anyway);
        the heads are locked in chain order, so two writers of several chains cannot deadlock."""
        at = at or timezone.now()
        claim_type = ContentType.objects.get_by_natural_key("claims", "claim").pk
        chains: dict[str, list[tuple[str, models.Model]]] = {}
        for row in rows:
            label = row._meta.label_lower
            chain = canonical.chain_of(label, row, claim_type)
            if chain:
                chains.setdefault(chain, []).append((label, row))
        links = []
        for chain in sorted(chains):
            head = ChainHead.objects.select_for_update().filter(chain=chain).first()
            if head is None:
                ChainHead.objects.bulk_create([ChainHead(chain=chain, at=at)], ignore_conflicts=True)
                head = ChainHead.objects.select_for_update().get(chain=chain)
            for label, row in chains[chain]:
                content = canonical.content_digest(label, row)
                digest = canonical.link_digest(head.digest, content)
                head.seq += 1
                links.append(
                    ChainLink(
                        chain=chain,
                        seq=head.seq,
                        table=label,
                        row_id=row.pk,
                        content_digest=content,
                        prev_digest=head.digest,
                        digest=digest,
                        at=at,
                    )
                )
                head.digest = digest
            head.at = at
            head.save(update_fields=["seq", "digest", "at"])
        return bulk.insert(ChainLink, links)


class ChainLink(AppendOnlyModel):
    """A history row's place in its chain (R-AUD-1, audit.canonical): the digest of its content
    and of the row before it. Append-only, as the rows it covers."""

    chain = models.CharField(_("chain"), max_length=40)
    seq = models.PositiveIntegerField(_("position"))
    table = models.CharField(_("table"), max_length=40)
    row_id = models.BigIntegerField(_("row"))
    content_digest = models.CharField(_("content digest"), max_length=64)
    prev_digest = models.CharField(_("previous digest"), max_length=64)
    digest = models.CharField(_("digest"), max_length=64)
    at = models.DateTimeField(_("linked at"))

    objects = ChainLinkQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("chain link")
        verbose_name_plural = _("chain links")
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="one_link_per_chain_position"),
            models.UniqueConstraint(fields=["table", "row_id"], name="one_link_per_row"),
        ]
        indexes = [models.Index(fields=["at"], name="chain_link_at")]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.table}#{self.row_id}"


class ChainHead(models.Model):
    """The last link of a chain, the row writers lock, and when the verifier last checked it."""

    chain = models.CharField(_("chain"), max_length=40, unique=True)
    seq = models.PositiveIntegerField(_("length"), default=0)
    digest = models.CharField(_("head digest"), max_length=64, default=canonical.GENESIS)
    at = models.DateTimeField(_("last linked at"))
    verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    verified_ok = models.BooleanField(_("matched when verified"), null=True)

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")
        ordering = ["chain"]

    def __str__(self):
        return f"{self.chain} #{self.seq}"


class DailyRoot(AppendOnlyModel):
    """The Merkle root of every chain's head at the end of a day in Asia/Shanghai (R-AUD-1),
    published to insurer and platform clients as `audit.root`."""

    day = models.DateField(_("day"), unique=True)
    root = models.CharField(_("root"), max_length=64)
    chains = models.PositiveIntegerField(_("chains"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("daily root")
        verbose_name_plural = _("daily roots")
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day} {self.root[:16]}…"


class PackDownload(AppendOnlyModel):
    """Every evidence pack handed out (R-AUD-2): which claim, which variant, to whom, through what."""

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="pack_downloads")
    variant = models.CharField(_("variant"), max_length=10)
    manifest_sha256 = models.CharField(_("manifest digest"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    at = models.DateTimeField(_("at"), db_index=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("evidence pack download")
        verbose_name_plural = _("evidence pack downloads")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.claim_id} {self.variant} → {self.actor_label}"
