"""Repricing enrolments from their shops' records (R-RATE-1)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.choices import DisputeOutcome, Flag
from claims.models import Claim, ClaimFlag, ReceiptDispute
from ledger.models import Entry, EntryKind
from merchants.choices import COVERING_STATUSES, RateSource
from merchants.models import Enrolment, Rate
from merchants.services import record_rate
from policies.models import Policy

from .engine import WINDOW_DAYS, ShopRecord, price

ABUSE_FLAGS = (Flag.ABNORMAL_BUYER, Flag.DUPLICATE_EVIDENCE, Flag.TRACKING_REUSED, Flag.MERCHANT_REPORTED)
REASONS = {
    "claim_frequency": (_("Fewer claims than the industry"), _("More claims than the industry")),
    "loss_ratio": (_("Lower payouts than the industry"), _("Higher payouts than the industry")),
    "disputes_lost": (None, _("Parcel rejections overturned on review")),
    "flagged_buyers": (None, _("Buyers flagged for abuse on the shop's claims")),
}


def records(enrolments: Sequence[Enrolment], start: dt.datetime, end: dt.datetime) -> dict[int, ShopRecord]:
    """Each enrolment's ShopRecord over [start, end), in a fixed number of grouped queries."""
    keys = {(e.shop_id, e.plan_id): e.pk for e in enrolments}
    shops = {shop for shop, _plan in keys}
    values: defaultdict[int, dict[str, Any]] = defaultdict(dict)

    def collect(rows: Iterable[Mapping[str, Any]], name: str, value: str = "n") -> None:
        for row in rows:
            pk = keys.get((row["shop_id"], row["plan_id"]))
            if pk is not None:
                values[pk][name] = row[value] or 0

    window = {"shop_id__in": shops}
    collect(
        Policy.objects.filter(issued_at__gte=start, issued_at__lt=end, **window)
        .values("shop_id", "plan_id")
        .annotate(n=Count("id")),
        "policies",
    )
    collect(
        Claim.objects.filter(opened_at__gte=start, opened_at__lt=end, **window)
        .values("shop_id", "plan_id")
        .annotate(n=Count("id")),
        "claims",
    )
    money = (
        Entry.objects.filter(created_at__gte=start, created_at__lt=end, **window)
        .values("shop_id", "plan_id")
        .annotate(
            charged=Sum("amount", filter=Q(kind=EntryKind.PREMIUM_CHARGED)),
            refunded=Sum("amount", filter=Q(kind=EntryKind.PREMIUM_REFUNDED)),
            paid=Sum("amount", filter=Q(kind__in=(EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID))),
        )
    )
    for row in money:
        pk = keys.get((row["shop_id"], row["plan_id"]))
        if pk is not None:
            values[pk]["premiums"] = (row["charged"] or Decimal("0")) - (row["refunded"] or Decimal("0"))
            values[pk]["claims_paid"] = row["paid"] or Decimal("0")
    collect(
        ReceiptDispute.objects.filter(
            outcome=DisputeOutcome.OVERTURN, resolved_at__gte=start, resolved_at__lt=end, claim__shop_id__in=shops
        )
        .values(shop_id=F("claim__shop_id"), plan_id=F("claim__plan_id"))
        .annotate(n=Count("id")),
        "disputes_lost",
    )
    collect(
        ClaimFlag.objects.filter(
            code__in=ABUSE_FLAGS, raised_at__gte=start, raised_at__lt=end, claim__shop_id__in=shops
        )
        .values(shop_id=F("claim__shop_id"), plan_id=F("claim__plan_id"))
        .annotate(n=Count("claim__buyer_id", distinct=True)),
        "flagged_buyers",
    )
    return {pk: ShopRecord(**values.get(pk, {})) for pk in keys.values()}


def repriceable() -> QuerySet[Enrolment]:
    """R-RATE-1: enrolments in cover whose rate is not held by a supervisor's override."""
    enrolments: QuerySet[Enrolment] = Enrolment.objects.filter(status__in=COVERING_STATUSES, rate_overridden=False)
    return enrolments.select_related("plan")


def recompute_rates(now: dt.datetime | None = None) -> list[tuple[Enrolment, Rate]]:
    """Give every repriceable enrolment a new effective-dated rate with its factor breakdown.
    New rates apply to orders placed from `now` on. Returns [(enrolment, old rate, new rate row)]."""
    now = now or timezone.now()
    enrolments = list(repriceable())
    shop_records = records(enrolments, now - dt.timedelta(days=WINDOW_DAYS), now)
    results = []
    with transaction.atomic():
        for enrolment in enrolments:
            rate, factors = price(enrolment.plan, shop_records[enrolment.pk])
            row = record_rate(
                enrolment,
                rate,
                source=RateSource.ENGINE,
                factors=factors,
                now=now,
                reason=str(_("Monthly risk pricing")),
            )
            results.append((enrolment, row))
    return results


def main_reasons(rate_row: Rate, limit: int = 2) -> list[str]:
    """What moved a rate, in words a merchant may read: no thresholds, no industry figures."""
    contributions = (rate_row.factors or {}).get("contributions", {})
    ranked = sorted(
        ((Decimal(v), k) for k, v in contributions.items() if Decimal(v) != 0),
        reverse=True,
        key=lambda item: abs(item[0]),
    )
    reasons = []
    for value, name in ranked[:limit]:
        better, worse = REASONS[name]
        text = worse if value > 0 else better
        if text:
            reasons.append(str(text))
    return reasons
