"""The supervisor's at-risk board (R-ASSIGN-1): what may breach the review SLA and who carries
what. Each part is one query, however many claims there are; the lists show their first rows
and the counts stop at COUNTED (a count of every row would grow with the claims)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from kernel.actors import Actor
from kernel.timeutil import shanghai_date, shanghai_midnight

from ..choices import UNDECIDED_STATES, Flag
from ..choices import ClaimStatus as S
from ..models import Claim, ClaimFlag, ReviewerProfile
from .actions import now_or
from .assignment import with_load

SHOWN = 100
COUNTED = 1000


@dataclass(frozen=True)
class Board:
    within: dt.timedelta
    counted: int
    due_soon: list[Claim]
    due_soon_count: int
    unassigned: list[Claim]
    unassigned_count: int
    reviewers: list[ReviewerProfile]
    breaches_today: list[Claim]
    breaches_today_count: int


def _rows(claims: "QuerySet[Claim]") -> list[Claim]:
    # In the order of the review queue's index (claim_review_queue), so the first rows are read
    # from it instead of sorting every match.
    return list(claims.select_related("shop", "assignee").order_by("review_due_at", "opened_at", "-pk")[:SHOWN])


def _count(claims: "QuerySet[Claim]") -> int:
    """How many, up to COUNTED (the page says "COUNTED or more")."""
    return len(claims.order_by().values_list("pk", flat=True)[:COUNTED])


def at_risk_board(actor: Actor, hours: int, now: dt.datetime | None = None) -> Board:
    """R-ASSIGN-1: claims due for a decision within `hours` (or already late), the claims waiting
    in the pool, each reviewer's load against capacity, and the claims that breached today."""
    now = now_or(now)
    within = dt.timedelta(hours=hours)
    claims = Claim.objects.for_actor(actor)
    # Both review states, as the queue's partial index has them: a claim waiting for the buyer's
    # evidence has no review_due_at (its clock is paused), so only submitted claims match.
    due = claims.filter(status__in=UNDECIDED_STATES, review_due_at__lte=now + within)
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
        counted=COUNTED,
        due_soon=_rows(due),
        due_soon_count=_count(due),
        unassigned=_rows(pool),
        unassigned_count=_count(pool),
        reviewers=list(reviewers),
        breaches_today=_rows(breached),
        breaches_today_count=_count(breached),
    )
