"""The supervisor's at-risk board (R-ASSIGN-1): what may breach the review SLA and who carries
what. Each part is one query, however many claims there are; the lists show their first rows."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from kernel.actors import Actor
from kernel.timeutil import shanghai_date, shanghai_midnight

from ..choices import ClaimStatus as S
from ..choices import Flag
from ..models import Claim, ClaimFlag, ReviewerProfile
from .actions import now_or
from .assignment import with_load

SHOWN = 100


@dataclass(frozen=True)
class Board:
    within: dt.timedelta
    due_soon: list[Claim]
    due_soon_count: int
    unassigned: list[Claim]
    unassigned_count: int
    reviewers: list[ReviewerProfile]
    breaches_today: list[Claim]
    breaches_today_count: int


def _rows(claims: "QuerySet[Claim]") -> list[Claim]:
    return list(claims.select_related("shop", "assignee").order_by("review_due_at", "opened_at", "pk")[:SHOWN])


def at_risk_board(actor: Actor, hours: int, now: dt.datetime | None = None) -> Board:
    """R-ASSIGN-1: claims due for a decision within `hours` (or already late), the claims waiting
    in the pool, each reviewer's load against capacity, and the claims that breached today."""
    now = now_or(now)
    within = dt.timedelta(hours=hours)
    claims = Claim.objects.for_actor(actor)
    due = claims.filter(status=S.SUBMITTED, review_due_at__lte=now + within)
    pool = claims.filter(status=S.SUBMITTED, assignee__isnull=True)
    since = shanghai_midnight(shanghai_date(now))
    breached = claims.filter(
        pk__in=ClaimFlag.objects.filter(code=Flag.SLA_BREACHED, raised_at__gte=since).values("claim_id")
    )
    reviewers = with_load(ReviewerProfile.objects.for_actor(actor).select_related("user")).order_by(
        "-on_duty", "user__username"
    )
    return Board(
        within=within,
        due_soon=_rows(due),
        due_soon_count=due.count(),
        unassigned=_rows(pool),
        unassigned_count=pool.count(),
        reviewers=list(reviewers),
        breaches_today=_rows(breached),
        breaches_today_count=breached.count(),
    )
