"""What a claim tells the parties concerned (R-NOTE-1): one notice per party, sent after commit
by notices.publish. Every use case of the package speaks through these."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from audit.models import TransitionLog
from audit.services import apply_transition
from kernel.actors import Actor
from notices.models import Audience
from notices.services import publish

from ..choices import Outcome
from ..models import Claim

STAFF_AUDIENCES = (Audience.MERCHANT, Audience.INSURER, Audience.STAFF)


def notify(
    claim: Claim,
    event_type: str,
    message: str,
    *,
    data: dict[str, Any] | None = None,
    audiences: Sequence[str] | None = None,
    at: dt.datetime | None = None,
    stored: bool = True,
) -> None:
    """R-NOTE-1: a notice for each party the event concerns; data never carries thresholds.
    What it says is rendered when read (claims.notice_texts); `message` is kept only as the
    row's fallback."""
    payload: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "refund_id": claim.refund_request.refund_id,
        "status": claim.status,
    }
    payload.update(data or {})
    publish(
        event_type,
        message,
        shop_id=claim.shop_id,
        insurer_id=claim.insurer_id,
        claim_id=claim.pk,
        policy_id=claim.policy_id,
        data=payload,
        audiences=audiences or (Audience.MERCHANT, Audience.INSURER),
        at=at,
        stored=stored,
    )


def move(
    claim: Claim,
    name: str,
    actor: Actor,
    *,
    at: dt.datetime,
    reason: str = "",
    told: bool = False,
    **kwargs: Any,
) -> TransitionLog:
    """Run a claim transition, audit it, and tell everyone concerned (R-NOTE-1). `told`: the
    caller announces this change in a notice of its own (a decision, a closure), so people get
    one notice for it; integration clients still get `claim.status_changed` (api.md Webhooks)."""
    log: TransitionLog = apply_transition(claim, name, actor, at=at, reason=reason, **kwargs)
    notify(
        claim,
        "claim.status_changed",
        _("Claim %(id)s: %(source)s → %(target)s") % {"id": claim.claim_id, "source": log.source, "target": log.target},
        data={"from": log.source, "to": log.target},
        at=at,
        stored=not told,
    )
    return log


def announce_decision(
    claim: Claim, outcome: str, now: dt.datetime, *, problem_code: str = "", reason: str = ""
) -> None:
    notify(
        claim,
        "claim.decided",
        _("Claim %(id)s decided: %(outcome)s") % {"id": claim.claim_id, "outcome": Outcome(outcome).label},
        data={
            "outcome": outcome,
            "problem_code": problem_code,
            "reason": reason,
            "approved_amount": str(claim.approved_amount) if claim.approved_amount is not None else None,
        },
        at=now,
    )


def refund_due_notice(claim: Claim, now: dt.datetime, *, stored: bool = True) -> None:
    notify(
        claim,
        "claim.refund_due",
        _("Refund due on claim %s.") % claim.claim_id,
        data={"amount": str(claim.approved_amount), "refund_due_by": isoformat(claim.refund_due_by)},
        at=now,
        stored=stored,
    )


def isoformat(at: dt.datetime | None) -> str | None:
    """A deadline as notices carry it (ISO 8601, with its offset)."""
    return at.isoformat() if at else None


def return_address(claim: Claim) -> dict[str, str]:
    shop = claim.shop
    return {"address": shop.return_address, "contact": shop.return_contact, "phone": shop.return_phone}


def send_return_address(claim: Claim, now: dt.datetime) -> None:
    """R-REV-4: the merchant's default return address goes to the buyer at once (FAQ 13)."""
    notify(
        claim,
        "claim.return_address",
        _("Return address sent to the buyer for claim %s.") % claim.claim_id,
        data={"return_address": return_address(claim)},
        at=now,
    )
