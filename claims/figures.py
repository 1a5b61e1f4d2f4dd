"""Service figures (R-KPI-1): per plan, insurer or shop over a period."""

import datetime as dt
import statistics
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kernel.money import to_fen
from kernel.timeutil import SHANGHAI, shanghai_midnight
from ledger.models import Entry, EntryKind

from . import histogram
from .choices import ClaimStatus as S
from .choices import DisputeOutcome, Outcome
from .feedback import Rating, RatingSource
from .models import Claim, ClaimFlag, Decision, ReceiptDispute

GROUPS = {"plan": "plan_id", "insurer": "insurer_id", "shop": "shop_id", "reason": "reason"}
# Money moves per policy, not per refund reason: grouped by reason, the figures carry no money.
MONEY_GROUPS = ("plan", "insurer", "shop")
# The flags that make a buyer "flagged" in the figures.
FLAGGED = ("abnormal_buyer", "duplicate_evidence", "tracking_reused", "merchant_reported")


def _percentile(values, share):
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(share * 100) - 1]


def hours_between(start, end):
    return round((end - start).total_seconds() / 3600, 2)


def _ratings(found):
    """`buyer_ratings`, `buyer_rating_avg`, `merchant_ratings`, `merchant_rating_avg` (R-KPI-2)."""
    figures = {}
    for source in RatingSource:
        count, mean = found.get(source, (0, None))
        figures[f"{source}_ratings"], figures[f"{source}_rating_avg"] = count, mean
    return figures


def lowest_rated(claims, *, limit=10):
    """R-KPI-2: the claims rated lowest (by the buyer or the merchant), for staff to look into."""
    return list(
        Rating.objects.filter(claim__in=claims)
        .select_related("claim", "claim__shop")
        .order_by("rating", "-at", "-id")[:limit]
    )


def _past_sla_undecided(claim, now):
    """R-KPI-1 (issue 13): an undecided claim whose review SLA has run out counts against
    compliance, so leaving late claims undecided never scores better than deciding them late.
    Waiting for evidence the clock is suspended: it ran out if none of it remained (R-REV-1)."""
    if claim["decided_at"]:
        return False
    if claim["status"] == S.EVIDENCE_REQUESTED:
        return claim["review_remaining"] is not None and claim["review_remaining"] <= dt.timedelta(0)
    return claim["review_due_at"] is not None and claim["review_due_at"] <= now


def service_figures(start, end, *, group="plan", claims=None, entries=None, now=None):
    """Figures for claims opened in [start, end) and money moved in it, one row per group.
    SLA compliance is judged as of `now` (default: the present).

    `claims` and `entries` are querysets already scoped to the viewer (an insurer's staff see
    their insurer only)."""
    key = GROUPS[group]
    claims = (Claim.objects.all() if claims is None else claims).filter(opened_at__gte=start, opened_at__lt=end)
    entries = (Entry.objects.all() if entries is None else entries).filter(created_at__gte=start, created_at__lt=end)
    rows = {}

    def row(group_id):
        return rows.setdefault(
            group_id,
            {
                "group": group,
                "id": group_id,
                "opened": 0,
                "decided": 0,
                "approved": 0,
                "within_sla": 0,
                "late_undecided": 0,
                "decision_hours": [],
                "payout_hours": [],
                "premiums": Decimal("0.00"),
                "claims_paid": Decimal("0.00"),
                "disputes": 0,
                "disputes_upheld": 0,
                "disputes_overturned": 0,
                "flagged_buyers": set(),
                "ratings": {},
            },
        )

    now = now or timezone.now()
    columns = (key, "id", "status", "opened_at", "decided_at", "review_due_at", "review_remaining", "paid_at")
    for c in claims.values(*columns):
        r = row(c[key])
        r["opened"] += 1
        if _past_sla_undecided(c, now):
            r["late_undecided"] += 1
        if c["decided_at"]:
            r["decided"] += 1
            r["decision_hours"].append(hours_between(c["opened_at"], c["decided_at"]))
            if c["review_due_at"] and c["decided_at"] <= c["review_due_at"]:
                r["within_sla"] += 1
        if c["paid_at"]:
            r["payout_hours"].append(hours_between(c["opened_at"], c["paid_at"]))
    first_decisions = (
        Decision.objects.filter(claim__in=claims, on_appeal=False)
        .exclude(outcome=Outcome.REQUEST_EVIDENCE)
        .values(f"claim__{key}", "outcome")
        .annotate(n=Count("id"))
    )
    for d in first_decisions:
        if d["outcome"] in (Outcome.APPROVE, Outcome.PARTIALLY_APPROVE):
            row(d[f"claim__{key}"])["approved"] += d["n"]
    for d in ReceiptDispute.objects.filter(claim__in=claims).values(f"claim__{key}", "outcome").annotate(n=Count("id")):
        r = row(d[f"claim__{key}"])
        r["disputes"] += d["n"]
        if d["outcome"] == DisputeOutcome.UPHOLD:
            r["disputes_upheld"] += d["n"]
        elif d["outcome"] == DisputeOutcome.OVERTURN:
            r["disputes_overturned"] += d["n"]
    flagged = ClaimFlag.objects.filter(claim__in=claims, code__in=FLAGGED)
    for f in flagged.values(f"claim__{key}", "claim__buyer_id"):
        row(f[f"claim__{key}"])["flagged_buyers"].add(f["claim__buyer_id"])
    # R-KPI-2: the ratings of the period's claims, the buyer's and the merchant's apart.
    ratings = Rating.objects.filter(claim__in=claims).values(f"claim__{key}", "source")
    for g in ratings.annotate(n=Count("id"), mean=Avg("rating")):
        row(g[f"claim__{key}"])["ratings"][g["source"]] = (g["n"], round(Decimal(g["mean"]), 2))
    money = (
        entries.values(key).annotate(
            charged=Sum("amount", filter=Q(kind=EntryKind.PREMIUM_CHARGED)),
            refunded=Sum("amount", filter=Q(kind=EntryKind.PREMIUM_REFUNDED)),
            paid=Sum("amount", filter=Q(kind__in=(EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID))),
        )
        if group in MONEY_GROUPS
        else ()
    )
    for m in money:
        r = row(m[key])
        r["premiums"] = (m["charged"] or Decimal("0.00")) - (m["refunded"] or Decimal("0.00"))
        r["claims_paid"] = m["paid"] or Decimal("0.00")

    result = []
    for r in rows.values():
        decided = r["decided"]
        judged = decided + r["late_undecided"]  # R-KPI-1: late claims count, decided or not
        result.append(
            {
                "group": r["group"],
                "id": r["id"],
                "claims_opened": r["opened"],
                "claims_decided": decided,
                "approval_rate": round(r["approved"] / decided, 4) if decided else None,
                "sla_compliance": round(r["within_sla"] / judged, 4) if judged else None,
                "decision_hours_p50": _percentile(r["decision_hours"], 0.5),
                "decision_hours_p90": _percentile(r["decision_hours"], 0.9),
                "payout_hours_p50": _percentile(r["payout_hours"], 0.5),
                "payout_hours_p90": _percentile(r["payout_hours"], 0.9),
                "premiums": r["premiums"],
                "claims_paid": r["claims_paid"],
                "loss_ratio": to_fen(r["claims_paid"] / r["premiums"]) if r["premiums"] else None,
                "disputes": r["disputes"],
                "disputes_upheld": r["disputes_upheld"],
                "disputes_overturned": r["disputes_overturned"],
                "flagged_buyers": len(r["flagged_buyers"]),
                **_ratings(r["ratings"]),
            }
        )
    return sorted(result, key=lambda item: str(item["id"]))


ROLLED_GROUPS = {
    "plan": ("plan", "plan_id"),
    "insurer": ("plan", "insurer_id"),
    "shop": ("shop", "shop_id"),
    "reason": ("reason", "reason"),
}
SUMMED = (
    "opened",
    "decided",
    "approved",
    "within_sla",
    "at_risk",
    "disputes",
    "disputes_upheld",
    "disputes_overturned",
    "flagged_buyers",
    "buyer_ratings",
    "buyer_rating_sum",
    "merchant_ratings",
    "merchant_rating_sum",
)


def _late_undecided(undecided, start, end, column, now):
    """R-KPI-1 (issue 13): undecided claims past their SLA, counted live: they are the work in
    progress (an index on the undecided claims' opening), not the history."""
    late = defaultdict(int)
    columns = (column, "opened_at", "status", "decided_at", "review_due_at", "review_remaining")
    for c in undecided.filter(decided_at__isnull=True, opened_at__gte=start, opened_at__lt=end).values(*columns):
        if _past_sla_undecided(c, now):
            late[c[column]] += 1
    return late


def _row(group, group_id, sums, late, decision, payout, money):
    decided = sums["decided"]
    judged = decided + late
    premiums, paid = money
    return {
        "group": group,
        "id": group_id,
        "claims_opened": sums["opened"],
        "claims_decided": decided,
        "approval_rate": round(sums["approved"] / decided, 4) if decided else None,
        "sla_compliance": round(sums["within_sla"] / judged, 4) if judged else None,
        "decision_hours_p50": histogram.percentile(decision, 0.5),
        "decision_hours_p90": histogram.percentile(decision, 0.9),
        "payout_hours_p50": histogram.percentile(payout, 0.5),
        "payout_hours_p90": histogram.percentile(payout, 0.9),
        "premiums": premiums,
        "claims_paid": paid,
        "loss_ratio": to_fen(paid / premiums) if premiums else None,
        "disputes": sums["disputes"],
        "disputes_upheld": sums["disputes_upheld"],
        "disputes_overturned": sums["disputes_overturned"],
        "flagged_buyers": sums["flagged_buyers"],
        "at_risk": sums["at_risk"],
        **_ratings(
            {
                source: (
                    sums[f"{source}_ratings"],
                    round(Decimal(sums[f"{source}_rating_sum"]) / sums[f"{source}_ratings"], 2),
                )
                for source in RatingSource
                if sums[f"{source}_ratings"]
            }
        ),
    }


def rolled_figures(first_day, last_day, *, group, rollups, money, undecided, now=None, percentiles=True):
    """service_figures for the Shanghai days first_day..last_day, read from the daily rollups
    (claims.rollups): a few rows per day, whatever the number of claims. Percentiles come from
    histograms (claims.histogram, within 0.78 % of the exact figure); `percentiles=False` skips
    them. `rollups` (FiguresDay), `money` (MoneyDay) and `undecided` (Claim) are scoped to the viewer."""
    dimension, column = ROLLED_GROUPS[group]
    cells = rollups.filter(dimension=dimension, day__gte=first_day, day__lte=last_day)
    sums = {s[column]: s for s in cells.values(column).annotate(**{name: Sum(name) for name in SUMMED})}
    decision, payout = defaultdict(Counter), defaultdict(Counter)
    if percentiles:
        for c in cells.values(column, "decision_hours", "payout_hours"):
            decision[c[column]].update(histogram.merge([c["decision_hours"]]))
            payout[c[column]].update(histogram.merge([c["payout_hours"]]))
    start, end = shanghai_midnight(first_day), shanghai_midnight(last_day + dt.timedelta(days=1))
    late = _late_undecided(undecided, start, end, GROUPS[group], now or timezone.now())
    zero = Decimal("0.00")
    moved = {}
    if group in MONEY_GROUPS:
        for m in (
            money.filter(day__gte=first_day, day__lte=last_day)
            .values(column)
            .annotate(premiums=Sum("premiums"), paid=Sum("claims_paid"))
        ):
            moved[m[column]] = (m["premiums"] or zero, m["paid"] or zero)
    empty = dict.fromkeys(SUMMED, 0)
    ids = set(sums) | set(moved) | set(late)
    rows = [
        _row(group, i, sums.get(i, empty), late.get(i, 0), decision[i], payout[i], moved.get(i, (zero, zero)))
        for i in ids
    ]
    return sorted(rows, key=lambda item: str(item["id"]))


def daily_series(first_day, last_day, *, rollups, undecided, now=None):
    """issue 15: one row per day of the period, for the trend charts: opened, decided, SLA
    compliance, p50 / p90 time to decision and at risk of the claims opened that day."""
    cells = rollups.filter(dimension="plan", day__gte=first_day, day__lte=last_day)
    sums = {s["day"]: s for s in cells.values("day").annotate(**{name: Sum(name) for name in SUMMED})}
    decision = defaultdict(Counter)
    for c in cells.values("day", "decision_hours"):
        decision[c["day"]].update(histogram.merge([c["decision_hours"]]))
    start, end = shanghai_midnight(first_day), shanghai_midnight(last_day + dt.timedelta(days=1))
    undecided = undecided.annotate(opened_day=TruncDate("opened_at", tzinfo=SHANGHAI))
    late = _late_undecided(undecided, start, end, "opened_day", now or timezone.now())
    series, day = [], first_day
    while day <= last_day:
        row = _row("day", day, sums.get(day, dict.fromkeys(SUMMED, 0)), late.get(day, 0), decision[day], {}, (0, 0))
        series.append({key: row[key] for key in DAILY})
        day += dt.timedelta(days=1)
    return series


DAILY = (
    "id",
    "claims_opened",
    "claims_decided",
    "sla_compliance",
    "decision_hours_p50",
    "decision_hours_p90",
    "at_risk",
)
