"""Keeping the service figures' daily rollups (R-KPI-1, R-KPI-2; claims.models.figures).

A day's rows are rebuilt whole from the claims opened on it (and the money from the ledger's
entries of that day), so a rebuild is idempotent and costs what one day holds, never the history.
The sweeper (process_deadlines, every minute) rebuilds the days something happened to since its
last run: a claim saved (its `updated_at`), a flag raised, a rating given, a ledger entry written.
Rows written by a transaction that commits after the refresh that should have seen them are caught
by reading the last OVERLAP again."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kernel.timeutil import SHANGHAI, shanghai_date, shanghai_midnight
from ledger.models import Entry, EntryKind

from . import histogram
from .choices import DisputeOutcome, Flag, Outcome
from .feedback import Rating, RatingSource
from .figures import FLAGGED, hours_between
from .models import Claim, ClaimFlag, Decision, Dimension, FiguresDay, FiguresWatermark, MoneyDay, ReceiptDispute

OVERLAP = dt.timedelta(minutes=10)
COUNTERS = (
    "opened",
    "decided",
    "approved",
    "within_sla",
    "at_risk",
    "disputes",
    "disputes_upheld",
    "disputes_overturned",
    "buyer_ratings",
    "buyer_rating_sum",
    "merchant_ratings",
    "merchant_rating_sum",
)


def _cells(claim):
    """The three rows a claim counts in: its insurer and plan, and with its shop, and with its reason."""
    base = (claim["insurer_id"], claim["plan_id"])
    return [
        (Dimension.PLAN, *base, None, ""),
        (Dimension.SHOP, *base, claim["shop_id"], ""),
        (Dimension.REASON, *base, None, claim["reason"]),
    ]


def rebuild_day(day):
    """R-KPI-1: the rows of one Shanghai day, from the claims opened on it."""
    claims = Claim.objects.filter(
        opened_at__gte=shanghai_midnight(day), opened_at__lt=shanghai_midnight(day + dt.timedelta(days=1))
    )
    columns = (
        "id",
        "insurer_id",
        "plan_id",
        "shop_id",
        "reason",
        "buyer_id",
        "opened_at",
        "decided_at",
        "review_due_at",
        "paid_at",
    )
    facts = {c["id"]: c for c in claims.values(*columns)}
    rows = {}
    buyers = defaultdict(set)

    def count(claim_id, field, n=1):
        for cell in _cells(facts[claim_id]):
            row = rows.setdefault(cell, {"decision_hours": {}, "payout_hours": {}, **dict.fromkeys(COUNTERS, 0)})
            if field in ("decision_hours", "payout_hours"):
                histogram.add(row[field], n)
            else:
                row[field] += n

    for claim_id, c in facts.items():
        count(claim_id, "opened")
        if c["decided_at"]:
            count(claim_id, "decided")
            count(claim_id, "decision_hours", hours_between(c["opened_at"], c["decided_at"]))
            if c["review_due_at"] and c["decided_at"] <= c["review_due_at"]:
                count(claim_id, "within_sla")
        if c["paid_at"]:
            count(claim_id, "payout_hours", hours_between(c["opened_at"], c["paid_at"]))
    approvals = Decision.objects.filter(claim__in=claims, on_appeal=False).filter(
        outcome__in=(Outcome.APPROVE, Outcome.PARTIALLY_APPROVE)
    )
    for claim_id in approvals.values_list("claim_id", flat=True):
        count(claim_id, "approved")
    for claim_id, outcome in ReceiptDispute.objects.filter(claim__in=claims).values_list("claim_id", "outcome"):
        count(claim_id, "disputes")
        if outcome == DisputeOutcome.UPHOLD:
            count(claim_id, "disputes_upheld")
        elif outcome == DisputeOutcome.OVERTURN:
            count(claim_id, "disputes_overturned")
    flags = ClaimFlag.objects.filter(claim__in=claims, code__in=(*FLAGGED, Flag.SLA_WARNING))
    for claim_id, code in flags.values_list("claim_id", "code"):
        if code == Flag.SLA_WARNING:
            count(claim_id, "at_risk")  # R-REV-1: reached 80 % of its SLA undecided
        else:
            for cell in _cells(facts[claim_id]):
                buyers[cell].add(facts[claim_id]["buyer_id"])
    for claim_id, source, rating in Rating.objects.filter(claim__in=claims).values_list("claim_id", "source", "rating"):
        prefix = "buyer" if source == RatingSource.BUYER else "merchant"
        count(claim_id, f"{prefix}_ratings")
        count(claim_id, f"{prefix}_rating_sum", rating)
    with transaction.atomic():
        FiguresDay.objects.filter(day=day).delete()
        FiguresDay.objects.bulk_create(
            FiguresDay(
                day=day,
                dimension=dimension,
                insurer_id=insurer_id,
                plan_id=plan_id,
                shop_id=shop_id,
                reason=reason,
                flagged_buyers=len(buyers[(dimension, insurer_id, plan_id, shop_id, reason)]),
                **row,
            )
            for (dimension, insurer_id, plan_id, shop_id, reason), row in rows.items()
        )


def rebuild_money_day(day):
    """R-KPI-1: premiums (charged less refunded) and claims paid of one Shanghai day, from the ledger."""
    entries = Entry.objects.filter(
        created_at__gte=shanghai_midnight(day), created_at__lt=shanghai_midnight(day + dt.timedelta(days=1))
    )
    sums = entries.values("insurer_id", "plan_id", "shop_id").annotate(
        charged=Sum("amount", filter=Q(kind=EntryKind.PREMIUM_CHARGED)),
        refunded=Sum("amount", filter=Q(kind=EntryKind.PREMIUM_REFUNDED)),
        paid=Sum("amount", filter=Q(kind__in=(EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID))),
    )
    zero = Decimal("0.00")
    with transaction.atomic():
        MoneyDay.objects.filter(day=day).delete()
        MoneyDay.objects.bulk_create(
            MoneyDay(
                day=day,
                insurer_id=s["insurer_id"],
                plan_id=s["plan_id"],
                shop_id=s["shop_id"],
                premiums=(s["charged"] or zero) - (s["refunded"] or zero),
                claims_paid=s["paid"] or zero,
            )
            for s in sums
        )


def _days(moments):
    return {shanghai_date(moment) for moment in moments}


def _dirty(mark, since):
    """The days whose claims' rows and whose money changed since the watermark."""
    if mark.refreshed_at is None:
        claim_days = set(
            Claim.objects.annotate(day=TruncDate("opened_at", tzinfo=SHANGHAI)).values_list("day", flat=True).distinct()
        )
        money_days = set(
            Entry.objects.annotate(day=TruncDate("created_at", tzinfo=SHANGHAI))
            .values_list("day", flat=True)
            .distinct()
        )
        return claim_days, money_days
    changed = Claim.objects.filter(updated_at__gte=(mark.claims_updated or since) - OVERLAP).values_list(
        "opened_at", flat=True
    )
    flags = ClaimFlag.objects.filter(Q(pk__gt=mark.flag_id) | Q(code__in=Flag.values, raised_at__gte=since))
    ratings = Rating.objects.filter(Q(pk__gt=mark.rating_id) | Q(at__gte=since))
    claim_days = (
        _days(changed)
        | _days(flags.values_list("claim__opened_at", flat=True))
        | _days(ratings.values_list("claim__opened_at", flat=True))
    )
    entries = Entry.objects.filter(Q(pk__gt=mark.entry_id) | Q(created_at__gte=since))
    return claim_days, _days(entries.values_list("created_at", flat=True))


def refresh_figures() -> int:
    """Rebuild the days something happened to since the last refresh; returns how many. A refresh
    already running elsewhere is left to finish (SKIP LOCKED): this one returns 0. Watermarks are
    the clock's, not a sweep's `now`, as `updated_at` is."""
    now = timezone.now()
    try:
        FiguresWatermark.objects.get_or_create(pk=1)
    except IntegrityError:
        pass  # another process made it first
    with transaction.atomic():
        mark = FiguresWatermark.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if mark is None:
            return 0
        since = (mark.refreshed_at or now) - OVERLAP
        highest = {
            "claims_updated": Claim.objects.aggregate(m=Max("updated_at"))["m"],
            "flag_id": ClaimFlag.objects.aggregate(m=Max("pk"))["m"] or 0,
            "rating_id": Rating.objects.aggregate(m=Max("pk"))["m"] or 0,
            "entry_id": Entry.objects.aggregate(m=Max("pk"))["m"] or 0,
        }
        claim_days, money_days = _dirty(mark, since)
        for day in sorted(claim_days):
            rebuild_day(day)
        for day in sorted(money_days):
            rebuild_money_day(day)
        FiguresWatermark.objects.filter(pk=1).update(refreshed_at=now, **highest)
    return len(claim_days | money_days)


def refresh_if_stale() -> None:
    """The figures page refreshes the rollups itself when the sweeper has not for a while (a
    deployment without beat, a test): figures are never older than FIGURES_FRESH_SECONDS."""
    mark = FiguresWatermark.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    if mark is None or timezone.now() - mark > dt.timedelta(seconds=settings.FIGURES_FRESH_SECONDS):
        refresh_figures()
