"""Internal notes (R-NOTE-2) and ratings (R-KPI-2): written once, by whom the workflow table allows."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.actors import Actor, Role, require
from kernel.errors import Conflict, RuleViolation, TransitionRefused

from .choices import CLOSED_STATES
from .feedback import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, RATINGS, ClaimNote, Rating, RatingSource
from .models import Claim
from .workflow import TRANSITIONS


def _written_by(actor: Actor, at: dt.datetime) -> dict[str, object]:
    return {
        "at": at,
        "role": actor.role,
        "channel": actor.channel,
        "user_id": actor.user_id,
        "client_id": actor.client_id,
        "actor_label": actor.label,
    }


def add_note(claim: Claim, actor: Actor, text: str, *, now: dt.datetime | None = None) -> ClaimNote:
    """R-NOTE-2: insurer staff, insurer clients and service staff note what the claim's history
    should keep; merchants, buyers and merchant clients never see it."""
    require(actor, "add_note", TRANSITIONS, insurer_id=claim.insurer_id, shop_id=claim.shop_id)
    text = (text or "").strip()
    if not text:
        raise RuleViolation(_("Write the note's text."), code="note_empty", fields={"text": [_("Required.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise RuleViolation(
            _("A note has at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH},
            code="note_too_long",
            fields={"text": [_("Too long.")]},
        )
    return ClaimNote.objects.create(claim=claim, text=text, **_written_by(actor, now or timezone.now()))


def notes_for(claim: Claim, actor: Actor) -> list[ClaimNote]:
    """The notes an actor may read: the insurer's side and service staff only (R-NOTE-2)."""
    _label, roles = TRANSITIONS["add_note"]
    if actor.role not in roles:
        return []
    return list(claim.notes.all())


def may_rate(claim: Claim) -> bool:
    """R-KPI-2: a claim is rated after it closes."""
    return claim.status in CLOSED_STATES


def rate(claim: Claim, actor: Actor, rating: int, comment: str = "", *, now: dt.datetime | None = None) -> Rating:
    """R-KPI-2: after the claim closes, the platform reports the buyer's rating and the merchant
    rates the handling, each once, from 1 to 5."""
    require(actor, "rate_claim", TRANSITIONS, insurer_id=claim.insurer_id, shop_id=claim.shop_id)
    source = RatingSource.MERCHANT if actor.role == Role.MERCHANT else RatingSource.BUYER
    if not may_rate(claim):
        raise TransitionRefused(
            _("A claim can be rated only once it is closed; it is %(state)s.") % {"state": claim.get_status_display()},
            code="claim_not_closed",
            rule="R-KPI-2",
        )
    if rating not in RATINGS:
        raise RuleViolation(
            _("A rating is a whole number from 1 to 5."),
            code="rating_out_of_range",
            fields={"rating": [_("From 1 to 5.")]},
            rule="R-KPI-2",
        )
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise RuleViolation(
            _("A comment has at most %(n)s characters.") % {"n": COMMENT_MAX_LENGTH},
            code="comment_too_long",
            fields={"comment": [_("Too long.")]},
        )
    try:
        with transaction.atomic():
            return Rating.objects.create(
                claim=claim, source=source, rating=rating, comment=comment, **_written_by(actor, now or timezone.now())
            )
    except IntegrityError:
        raise Conflict(
            _("This claim has already been rated by the %(source)s.") % {"source": source.label.lower()},
            code="already_rated",
            rule="R-KPI-2",
        ) from None
