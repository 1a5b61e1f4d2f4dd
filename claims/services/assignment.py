"""Who works on which claim (R-ASSIGN-1): automatic assignment by load, taking a claim by hand,
supervisors' reassignments, and reviewers going on and off duty.

Every change of assignee for one insurer runs under that insurer's row lock (`_lock_desk`), taken
before any claim row, so two claims opening at once read each other's assignment before counting
a reviewer's load, and a reviewer going off duty waits for an assignment to them in flight (and
then returns it). Decisions hold a claim's lock and never wait for the desk: the capacity they
free is given out after commit (`claims.tasks.fill_review_pool`)."""

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import TypedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import WithAnnotations

from catalogue.models import Insurer
from kernel.actors import ActionTable, Actor, Role, require
from kernel.errors import Conflict, RuleViolation
from kernel.tasks import enqueue

from ..choices import UNDECIDED_STATES, AssignmentReason
from ..choices import ClaimStatus as S
from ..models import Assignment, Claim, ReviewerProfile
from .actions import authorize, now_or

ACTIONS: ActionTable = {
    "reassign": (gettext_lazy("Reassign claims"), {Role.SUPERVISOR}),
    "set_profile": (gettext_lazy("Edit reviewer profiles"), {Role.SUPERVISOR}),
}


def _lock_desk(insurer_id: int) -> None:
    """One insurer's assignments run one at a time: they queue on the insurer's row. What each
    reads next is a new statement, so it sees what the one before it committed. NO KEY: rows that
    merely point at the insurer (a claim being inserted) take a key-share lock, which this leaves be."""
    list(Insurer.objects.select_for_update(no_key=True).filter(pk=insurer_id).values_list("pk", flat=True))


class Load(TypedDict):
    load: int


def with_load(profiles: "QuerySet[ReviewerProfile]") -> "QuerySet[WithAnnotations[ReviewerProfile, Load]]":
    """Annotate `load`: the claims assigned to the reviewer and not yet decided (R-ASSIGN-1)."""
    undecided = (
        Claim.objects.filter(assignee_id=OuterRef("user_id"), status__in=UNDECIDED_STATES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    loaded: QuerySet[WithAnnotations[ReviewerProfile, Load]] = profiles.annotate(
        load=Coalesce(Subquery(undecided), Value(0))
    )
    return loaded


@dataclass(order=True)
class _Room:
    load: int
    user_id: int
    capacity: int


def _rooms(insurer_id: int, but: int | None = None) -> list[_Room]:
    """R-ASSIGN-1: the insurer's reviewers on duty and under capacity, the least loaded first."""
    on_duty = ReviewerProfile.objects.filter(insurer_id=insurer_id, on_duty=True)
    if but is not None:
        on_duty = on_duty.exclude(user_id=but)
    profiles = with_load(on_duty).filter(load__lt=F("capacity"))
    rooms = [_Room(p.load, p.user_id, p.capacity) for p in profiles]
    heapq.heapify(rooms)
    return rooms


def _record(
    claim_pk: int,
    assignee_id: int | None,
    reason: str,
    now: dt.datetime,
    *,
    by: int | None = None,
    load: int | None = None,
) -> None:
    Assignment.objects.create(claim_id=claim_pk, assignee_id=assignee_id, reason=reason, at=now, by_id=by, load=load)


def _give_out(insurer_id: int, claims: list[Claim], now: dt.datetime, *, but: int | None = None) -> int:
    """Each claim in turn to the reviewer with the fewest undecided claims who has room (`but`
    that one); the caller holds the desk and the claims are unassigned. Returns how many found
    a reviewer."""
    rooms = _rooms(insurer_id, but)
    given = 0
    for claim in claims:
        if not rooms:
            break
        room = heapq.heappop(rooms)
        Claim.objects.filter(pk=claim.pk).update(assignee_id=room.user_id)
        claim.assignee_id = room.user_id
        _record(claim.pk, room.user_id, AssignmentReason.LOAD, now, load=room.load)
        given += 1
        room.load += 1
        if room.load < room.capacity:
            heapq.heappush(rooms, room)
    return given


def assign_on_opening(claim: Claim, now: dt.datetime) -> None:
    """R-ASSIGN-1: a claim just opened goes to the least loaded reviewer on duty with room, or
    waits in the pool. Runs last in the opening's transaction (the claim is not yet seen by
    others, and the desk is held only to the commit). An insurer with nobody on duty skips the
    desk: whoever comes on duty fills the pool (set_profile)."""
    if not ReviewerProfile.objects.filter(insurer_id=claim.insurer_id, on_duty=True).exists():
        return
    _lock_desk(claim.insurer_id)
    _give_out(claim.insurer_id, [claim], now)


def fill_pool(insurer_id: int, now: dt.datetime | None = None) -> int:
    """R-ASSIGN-1: unassigned claims waiting for a decision, the earliest `review_due_at` first,
    to reviewers with room. Claims being acted on right now are skipped (the next fill has them)."""
    now = now_or(now)
    with transaction.atomic():
        _lock_desk(insurer_id)
        room = sum(r.capacity - r.load for r in _rooms(insurer_id))
        if not room:
            return 0
        pool = list(
            Claim.objects.filter(insurer_id=insurer_id, status=S.SUBMITTED, assignee__isnull=True)
            .order_by(F("review_due_at").asc(nulls_last=True), "opened_at", "pk")
            .select_for_update(skip_locked=True)
            .only("pk", "insurer_id")[:room]
        )
        return _give_out(insurer_id, pool, now)


def fill_pools(now: dt.datetime | None = None) -> int:
    """Every insurer's pool with someone on duty (beat, each minute): what an event's fill skipped
    or lost is given out within the minute."""
    insurers = ReviewerProfile.objects.filter(on_duty=True).order_by().values_list("insurer_id", flat=True)
    return sum(fill_pool(insurer_id, now) for insurer_id in set(insurers))


def capacity_freed(claim: Claim) -> None:
    """A claim assigned to a reviewer left review: their room goes to the pool, after commit
    (the decision holds the claim's lock and must not wait for the desk)."""
    if claim.assignee_id is not None and claim.status not in UNDECIDED_STATES:
        enqueue("claims.tasks.fill_review_pool", claim.insurer_id)


def back_in_review(claim: Claim) -> None:
    """A claim resubmitted without an assignee (R-REV-2) waits in the pool: fill it after commit."""
    if claim.assignee_id is None:
        enqueue("claims.tasks.fill_review_pool", claim.insurer_id)


def assign(claim: Claim, user: AbstractBaseUser, actor: Actor, now: dt.datetime | None = None) -> None:
    """'Assign to me' (R-ASSIGN-1): a claim already held by another reviewer is not taken over
    silently; taking it is recorded (manual, by whom)."""
    authorize(actor, "decide", claim)
    now = now_or(now)
    user_id: int = user.pk
    with transaction.atomic():
        _lock_desk(claim.insurer_id)
        free = Claim.objects.filter(pk=claim.pk).filter(Q(assignee__isnull=True) | Q(assignee_id=user_id))
        if free.filter(assignee_id=user_id).exists():
            return
        if not free.update(assignee_id=user_id):
            raise Conflict(_("Another reviewer is already working on this claim."), code="already_assigned")
        _record(claim.pk, user_id, AssignmentReason.TAKEN, now, by=user_id)
    claim.assignee_id = user_id


def reassign(claim: Claim, to_user_id: int | None, actor: Actor, now: dt.datetime | None = None) -> str:
    """R-ASSIGN-1: a supervisor gives an undecided claim to one of the insurer's reviewers on duty
    with room, or (`to_user_id` None) back to the pool, where it goes to the least loaded one.
    Recorded with who did it; returns what happened, in words, for the supervisor's report."""
    require(actor, "reassign", ACTIONS, insurer_id=claim.insurer_id)
    now = now_or(now)
    with transaction.atomic():
        _lock_desk(claim.insurer_id)
        current = Claim.objects.select_for_update(of=("self",)).get(pk=claim.pk)
        if current.status not in UNDECIDED_STATES:
            raise Conflict(_("It is already decided."), code="already_decided")
        if to_user_id is None:
            return _to_pool(current, actor, now)
        return _to_reviewer(current, to_user_id, actor, now)


def _to_reviewer(claim: Claim, user_id: int, actor: Actor, now: dt.datetime) -> str:
    profile = with_load(ReviewerProfile.objects.filter(insurer_id=claim.insurer_id, user_id=user_id)).first()
    if profile is None:
        raise RuleViolation(_("Not a reviewer of this insurer."), code="not_a_reviewer", rule="R-ASSIGN-1")
    name = profile.user.get_username()
    if claim.assignee_id == user_id:
        return _("Claim %(id)s: already with %(who)s.") % {"id": claim.claim_id, "who": name}
    if not profile.on_duty:
        raise RuleViolation(_("%s is off duty.") % name, code="reviewer_off_duty", rule="R-ASSIGN-1")
    load = profile.load
    if load >= profile.capacity:
        raise RuleViolation(
            _("%(who)s is at capacity (%(load)s of %(capacity)s).")
            % {"who": name, "load": load, "capacity": profile.capacity},
            code="reviewer_at_capacity",
            rule="R-ASSIGN-1",
        )
    Claim.objects.filter(pk=claim.pk).update(assignee_id=user_id)
    _record(claim.pk, user_id, AssignmentReason.REASSIGNED, now, by=actor.user_id, load=load)
    return _("Claim %(id)s: now with %(who)s.") % {"id": claim.claim_id, "who": name}


def _to_pool(claim: Claim, actor: Actor, now: dt.datetime) -> str:
    """Back to the pool and on by load, to anyone but the reviewer who had it: a supervisor moves
    a claim to take it off someone's desk."""
    had = claim.assignee_id
    if had is not None:
        Claim.objects.filter(pk=claim.pk).update(assignee_id=None)
        claim.assignee_id = None
        _record(claim.pk, None, AssignmentReason.RETURNED, now, by=actor.user_id)
    if claim.status == S.SUBMITTED and _give_out(claim.insurer_id, [claim], now, but=had):
        who = get_user_model().objects.get(pk=claim.assignee_id or 0).get_username()
        return _("Claim %(id)s: assigned by load to %(who)s.") % {"id": claim.claim_id, "who": who}
    return _("Claim %s: in the pool, no other reviewer on duty has room.") % claim.claim_id


def set_profile(
    profile: ReviewerProfile, actor: Actor, *, on_duty: bool, capacity: int, now: dt.datetime | None = None
) -> int:
    """R-ASSIGN-1: a supervisor sets a reviewer on or off duty and their capacity. Going off duty
    returns their undecided claims to the pool; the pool is then given out again (to them too if
    they came on duty or got more room). Returns how many claims were returned."""
    require(actor, "set_profile", ACTIONS, insurer_id=profile.insurer_id)
    now = now_or(now)
    with transaction.atomic():
        _lock_desk(profile.insurer_id)
        ReviewerProfile.objects.filter(pk=profile.pk).update(on_duty=on_duty, capacity=capacity)
        profile.on_duty, profile.capacity = on_duty, capacity
        returned = 0 if on_duty else _return_all(profile.user_id, actor, now)
    fill_pool(profile.insurer_id, now)
    return returned


def _return_all(user_id: int, actor: Actor, now: dt.datetime) -> int:
    """The off-duty reviewer's undecided claims back to the pool, each recorded. Locks them first:
    one being decided right now is returned once the decision commits, or not at all if decided."""
    held = list(
        Claim.objects.select_for_update()
        .filter(assignee_id=user_id, status__in=UNDECIDED_STATES)
        .values_list("pk", flat=True)
    )
    Claim.objects.filter(pk__in=held).update(assignee_id=None)
    Assignment.objects.bulk_create(
        Assignment(claim_id=pk, assignee_id=None, reason=AssignmentReason.OFF_DUTY, at=now, by_id=actor.user_id)
        for pk in held
    )
    return len(held)


def add_profile(user_id: int, actor: Actor, *, on_duty: bool, capacity: int) -> ReviewerProfile:
    """R-ASSIGN-1: a supervisor gives a reviewer of their insurer a profile; on duty, they are
    given claims from the pool at once."""
    insurer_id = actor.insurer_id or 0
    require(actor, "set_profile", ACTIONS, insurer_id=insurer_id)
    bound = get_user_model().objects.filter(
        pk=user_id, membership__insurer_id=insurer_id, membership__role__in=(Role.REVIEWER, Role.SUPERVISOR)
    )
    if not bound.exists():
        raise RuleViolation(_("Not a reviewer of this insurer."), code="not_a_reviewer", rule="R-ASSIGN-1")
    profile = ReviewerProfile.objects.create(user_id=user_id, insurer_id=insurer_id, capacity=capacity)
    set_profile(profile, actor, on_duty=on_duty, capacity=capacity)
    return profile
