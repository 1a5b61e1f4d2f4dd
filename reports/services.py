"""Making the insurers' monthly bordereaux (R-BDX-1): one premium and one claims bordereau per
insurer and closed month, stored as CSV and XLSX, a new version only when the month changed."""

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalogue.models import Insurer
from kernel import replica
from kernel.actors import Actor, Role
from kernel.errors import NotFound, RoleRefused
from notices.models import Audience
from notices.services import publish

from . import lines as L
from .files import BordereauFiles
from .models import Bordereau, BordereauKind
from .periods import Period, last_closed, require_closed

log = logging.getLogger(__name__)

KINDS: dict[str, Any] = {
    BordereauKind.PREMIUM: (L.PREMIUM_HEADERS, L.PREMIUM_MONEY, L.premium_lines, L.premium_ledger_total),
    BordereauKind.CLAIMS: (L.CLAIMS_HEADERS, L.CLAIMS_MONEY, L.claims_lines, L.paid_ledger_total),
}
READERS = {Role.PLATFORM, Role.INSURER, Role.SUPERVISOR, Role.SERVICE_STAFF}


class TotalsDisagree(Exception):
    """The lines do not add up to the ledger: nothing is stored (it would be a wrong bordereau)."""


def make_bordereaux(period: Period | None = None, *, now: dt.datetime | None = None) -> list[Bordereau]:
    """R-BDX-1: every insurer's two bordereaux of `period` (default: the month just closed).
    A month still running is refused; a month whose lines are unchanged gets nothing new."""
    now = now or timezone.now()
    period = require_closed(period or last_closed(now), now)
    made = []
    for insurer in Insurer.objects.order_by("code"):
        for kind in KINDS:
            bordereau = make_one(insurer, period, kind, now=now)
            if bordereau is not None:
                made.append(bordereau)
    return made


def make_one(insurer: Insurer, period: Period, kind: str, *, now: dt.datetime) -> Bordereau | None:
    headers, money_columns, lines_of, ledger_total = KINDS[kind]
    # The files read the same whoever runs the job: in the site's language.
    with translation.override(settings.LANGUAGE_CODE), BordereauFiles(headers, money_columns) as files:
        total = Decimal("0.00")
        # From the replica, but only once it has everything the primary had: a bordereau is kept for good.
        with replica.reads(caught_up=True):
            for line in lines_of(insurer.pk, period):
                files.write(line.values)
                total += line.amount
            expected = ledger_total(insurer.pk, period)
        files.finish()
        if total != expected:
            raise TotalsDisagree(f"{insurer.code} {period} {kind}: lines add up to {total}, the ledger to {expected}")
        latest = Bordereau.objects.latest_of(insurer.pk, period, kind)
        if latest is not None and latest.digest == files.digest:
            return None
        return _store(insurer, period, kind, files, total, latest, now)


def _store(
    insurer: Insurer,
    period: Period,
    kind: str,
    files: BordereauFiles,
    total: Decimal,
    latest: Bordereau | None,
    now: dt.datetime,
) -> Bordereau | None:
    bordereau = Bordereau(
        insurer=insurer,
        period=str(period),
        kind=kind,
        version=latest.version + 1 if latest else 1,
        replaces=latest,
        created_at=now,
        lines=files.lines,
        total_premium=total if kind == BordereauKind.PREMIUM else None,
        total_paid=total if kind == BordereauKind.CLAIMS else None,
        digest=files.digest,
    )
    with open(files.csv_path, "rb") as csv_file, open(files.xlsx_path, "rb") as xlsx_file:
        bordereau.csv_file.save(f"{bordereau.file_name}.csv", File(csv_file), save=False)
        bordereau.xlsx_file.save(f"{bordereau.file_name}.xlsx", File(xlsx_file), save=False)
    try:
        with transaction.atomic():
            bordereau.save()
            _announce(bordereau)
    except IntegrityError:
        # Another run stored this version first: ours is a duplicate of the same month.
        bordereau.csv_file.delete(save=False)
        bordereau.xlsx_file.delete(save=False)
        log.info("bordereau %s v%s was made by another run", bordereau, bordereau.version)
        return None
    return bordereau


def _announce(bordereau: Bordereau) -> None:
    """`bordereau.ready` to the insurer's clients (and the platform's), sent once committed."""
    publish(
        "bordereau.ready",
        _("%(kind)s %(period)s version %(version)s is ready.")
        % {"kind": bordereau.get_kind_display(), "period": bordereau.period, "version": bordereau.version},
        shop_id=None,
        insurer_id=bordereau.insurer_id,
        data=representation(bordereau),
        audiences=(Audience.INSURER,),
        at=bordereau.created_at,
    )


def representation(bordereau: Bordereau) -> dict[str, Any]:
    """The bordereau as the API and the webhook show it (api.md)."""
    return {
        "id": bordereau.pk,
        "insurer": bordereau.insurer.code,
        "period": bordereau.period,
        "kind": bordereau.kind,
        "version": bordereau.version,
        "replaces": bordereau.replaces_id,
        "created_at": timezone.localtime(bordereau.created_at).isoformat(),
        "lines": bordereau.lines,
        "total_premium": _money(bordereau.total_premium),
        "total_paid": _money(bordereau.total_paid),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def bordereaux_for(actor: Actor, *, period: Period | None = None, kind: str | None = None) -> QuerySet[Bordereau]:
    """The bordereaux an actor may read: an insurer's own, or all for the platform and staff."""
    if actor.role not in READERS:
        raise RoleRefused(_("Your role may not read bordereaux."), rule="R-BDX-1")
    queryset = Bordereau.objects.for_actor(actor).select_related("insurer")
    if period is not None:
        queryset = queryset.filter(period=str(period))
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-created_at", "-id")


def get_bordereau_for(actor: Actor, pk: int | str) -> Bordereau:
    bordereau: Bordereau | None = bordereaux_for(actor).filter(pk=pk).first()
    if bordereau is None:
        raise NotFound(_("Bordereau not found."))
    return bordereau
