"""Writing and reading the ledger (R-PAY-4, R-PAY-5)."""

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from audit.models import ChainLink
from kernel import bulk
from kernel.errors import Conflict

from .models import Entry, EntryKind


def entry(
    kind: str,
    *,
    shop_id: int,
    insurer_id: int,
    plan_id: int,
    amount: Decimal = Decimal("0.00"),
    points: int = 0,
    policy_id: int | None = None,
    claim_id: int | None = None,
    finding_id: int | None = None,
    payee: str = "",
    memo: str = "",
    at: dt.datetime | None = None,
) -> Entry:
    """An unsaved entry, for post() or post_many()."""
    return Entry(
        kind=kind,
        amount=amount,
        points=points,
        shop_id=shop_id,
        insurer_id=insurer_id,
        plan_id=plan_id,
        policy_id=policy_id,
        claim_id=claim_id,
        finding_id=finding_id,
        payee=payee,
        memo=memo,
        created_at=at or timezone.now(),
    )


def post(kind: str, **fields: Any) -> Entry:
    """Write one entry. A second entry the constraints forbid raises Conflict and writes nothing."""
    return post_many([entry(kind, **fields)])[0]


def post_many(entries: Iterable[Entry]) -> list[Entry]:
    """Write entries in one statement, all or none: one the constraints forbid raises Conflict."""
    try:
        with transaction.atomic():
            created = bulk.insert(Entry, entries)
            # R-AUD-1: bulk_create skips save(), so the entries join their chains here.
            ChainLink.objects.append(created)
            return created
    except IntegrityError as exc:
        raise Conflict("This movement is already in the ledger.", code="already_recorded") from exc


def balances(
    entries: QuerySet[Entry] | None = None, by: Sequence[str] = ("shop", "plan")
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Totals per group and kind, with each side's net: what the insurer took in premiums less
    what it paid out. `entries` is an already scoped queryset."""
    entries = Entry.objects.all() if entries is None else entries
    fields = [f"{name}_id" for name in by]
    rows = entries.values(*fields, "kind").annotate(amount=Sum("amount"), points=Sum("points")).order_by(*fields)
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[f] for f in fields)
        group = groups.setdefault(key, {kind.value: Decimal("0.00") for kind in EntryKind} | {"points": 0})
        group[row["kind"]] = row["amount"]
        if row["kind"] == EntryKind.POINTS_GRANTED:
            group["points"] = row["points"]
    for group in groups.values():
        premiums = group[EntryKind.PREMIUM_CHARGED] - group[EntryKind.PREMIUM_REFUNDED]
        paid = group[EntryKind.CLAIM_PAID] + group[EntryKind.SHIPPING_ALLOWANCE_PAID]
        group["net_premiums"] = premiums
        group["claims_paid"] = paid
        group["insurer_net"] = premiums - paid
    return groups
