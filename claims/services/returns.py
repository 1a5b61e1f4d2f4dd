"""Returns and the receipt check (domain.md §7): the parcel back to the merchant, then the refund."""

import datetime as dt

from django.utils.translation import gettext as _

from kernel.actors import Actor, Role
from kernel.errors import RuleViolation, transition_refused

from ..choices import ClaimStatus as S
from ..choices import DisputeOutcome, FindingKind, Flag, ReceiptRejection, Side
from ..models import Claim, ReceiptDispute
from ..models.authority import ApprovalKind
from .abuse import raise_flag
from .actions import acting, refuse_past_deadline, require_text
from .authority import hold, needs_second, refuse_if_waiting
from .evidence import MERCHANT_EVIDENCE_STATES
from .money import record_non_performance
from .notices import STAFF_AUDIENCES, isoformat, move, notify, refund_due_notice


def record_return_shipment(
    claim: Claim,
    actor: Actor,
    *,
    carrier: str,
    tracking_number: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Claim:
    """R-RET-2: the tracking number's entry is what lets the claim go on to payment."""
    tracking_number = (tracking_number or "").strip()
    require_text(tracking_number, "tracking_number", _("A return needs its tracking number."), "R-RET-2")
    with acting(claim, actor, "record_return_shipment", now) as (claim, now):
        if claim.status == S.AWAITING_RETURN:
            refuse_past_deadline(claim, now, "R-RET-2")  # return_tracking_hours after approval
        move(
            claim,
            "record_return_shipment",
            actor,
            at=now,
            carrier=(carrier or "").strip(),
            tracking_number=tracking_number,
            shipped_at=at or now,
        )
        reused = (
            Claim.objects.filter(tracking_number__same_tracking=tracking_number)
            .exclude(pk=claim.pk)
            .order_by("opened_at")
            .first()
        )
        if reused:
            raise_flag(
                claim,
                Flag.TRACKING_REUSED,
                at=now,
                related_claim=reused,
                detail=_("Tracking number already used on claim %s") % reused.claim_id,
            )
        return claim


def time_out_return(claim: Claim, actor: Actor, *, now: dt.datetime | None = None) -> Claim:
    """R-RET-2: no tracking number in time → closed, nothing paid."""
    with acting(claim, actor, "timeout", now) as (claim, now):
        move(claim, "return_timeout", actor, at=now, reason=_("No return tracking number in time"), told=True)
        notify(claim, "claim.closed", _("Claim %s closed: no return tracking number in time.") % claim.claim_id, at=now)
        return claim


def mark_delivered(
    claim: Claim, actor: Actor, *, at: dt.datetime | None = None, now: dt.datetime | None = None
) -> Claim:
    """R-RET-5 starts: the merchant has merchant_receipt_hours to confirm or reject."""
    with acting(claim, actor, "mark_delivered", now) as (claim, now):
        move(claim, "mark_delivered", actor, at=now, delivered_at=at or now)
        return claim


def confirm_receipt(claim: Claim, actor: Actor, *, now: dt.datetime | None = None) -> Claim:
    """R-RET-3 (or R-RET-5 when the timer confirms): the refund is now due."""
    with acting(claim, actor, "confirm_receipt", now) as (claim, now):
        reason = (
            _("Confirmed automatically: the time for the receipt check ran out") if actor.role == Role.TIMER else ""
        )
        move(claim, "confirm_receipt", actor, at=now, reason=reason, told=True)
        refund_due_notice(claim, now)
        return claim


def reject_receipt(claim: Claim, actor: Actor, *, reason_code: str, note: str, now: dt.datetime | None = None) -> Claim:
    """R-RET-3: only for the four listed reasons, with the merchant's evidence and a note."""
    note = (note or "").strip()
    if reason_code not in ReceiptRejection.values:
        raise RuleViolation(
            _("A parcel may be rejected only as missing items, empty, wrong item or fake logistics."),
            code="invalid_reason_code",
            rule="R-RET-3",
            fields={"reason_code": [_("Not allowed.")]},
        )
    require_text(note, "note", _("A rejection needs a note."), "R-RET-3")
    with acting(claim, actor, "reject_receipt", now) as (claim, now):
        if claim.status == S.AWAITING_RECEIPT:
            refuse_past_deadline(claim, now, "R-RET-5")  # merchant_receipt_hours after delivery
        if claim.status in MERCHANT_EVIDENCE_STATES and not claim.evidence.filter(side=Side.MERCHANT).exists():
            raise RuleViolation(
                _("Upload at least one photo or video of the parcel as received first."),
                code="evidence_missing",
                rule="R-RET-3",
            )
        move(claim, "reject_receipt", actor, at=now, reason=f"{reason_code}: {note}", told=True)
        ReceiptDispute.objects.create(claim=claim, reason_code=reason_code, note=note, filed_at=now)
        notify(
            claim,
            "claim.receipt_disputed",
            _("The merchant rejected the returned parcel of claim %s.") % claim.claim_id,
            data={"reason_code": reason_code},
            audiences=STAFF_AUDIENCES,
            at=now,
        )
        return claim


def remind_buyer(claim: Claim, actor: Actor, *, now: dt.datetime | None = None) -> Claim:
    """R-RET-2 (FAQ 12): while waiting for the tracking number the merchant may remind the buyer."""
    with acting(claim, actor, "remind_buyer", now) as (claim, now):
        if claim.status != S.AWAITING_RETURN:
            raise transition_refused(claim, "remind_buyer", claim.status)
        if claim.last_reminded_at and now - claim.last_reminded_at < dt.timedelta(hours=1):
            raise RuleViolation(
                _("The buyer was reminded less than an hour ago."), code="reminded_recently", rule="R-RET-2"
            )
        Claim.objects.filter(pk=claim.pk).update(last_reminded_at=now)
        notify(
            claim,
            "claim.tracking_reminder",
            _("Reminder sent: enter the return tracking number for claim %s.") % claim.claim_id,
            data={"return_due_at": isoformat(claim.return_due_at)},
            at=now,
        )
        return claim


def resolve_receipt_dispute(
    claim: Claim, actor: Actor, *, outcome: str, note: str, now: dt.datetime | None = None
) -> Claim:
    """R-RET-4: staff uphold (closed unpaid) or overturn (receipt confirmed, plus R-PEN-1)."""
    note = (note or "").strip()
    require_text(note, "note", _("Say why."), "R-RET-4")
    if outcome not in DisputeOutcome.values:
        raise RuleViolation(_("Uphold or overturn."), code="invalid_outcome", fields={"outcome": [outcome]})
    with acting(claim, actor, "resolve_dispute", now) as (claim, now):
        refuse_if_waiting(claim)  # R-AUTH-1
        if outcome == DisputeOutcome.OVERTURN:
            if needs_second(claim, actor, ApprovalKind.OVERTURN, claim.approved_amount):
                # R-AUTH-1: the overturn waits for a second person; the dispute stays open meanwhile.
                if claim.status != S.RECEIPT_DISPUTED:
                    raise transition_refused(claim, "overturn_receipt_rejection", claim.status)
                hold(claim, actor, ApprovalKind.OVERTURN, now, amount=claim.approved_amount, reason=note)
                return claim
            overturn(claim, actor, note, now)
            return claim
        move(claim, "uphold_receipt_rejection", actor, at=now, reason=note, told=True)
        ReceiptDispute.objects.filter(claim=claim).update(outcome=outcome, resolution_note=note, resolved_at=now)
        notify(claim, "claim.closed", _("Claim %s closed: the parcel rejection was upheld.") % claim.claim_id, at=now)
        return claim


def overturn(claim: Claim, actor: Actor, note: str, now: dt.datetime) -> None:
    """R-RET-4: treated as a confirmed receipt, and the merchant owes the buyer points (R-PEN-1);
    on the claim locked, by staff alone or confirmed by a second person (R-AUTH-1)."""
    move(claim, "overturn_receipt_rejection", actor, at=now, reason=note, told=True)
    ReceiptDispute.objects.filter(claim=claim).update(
        outcome=DisputeOutcome.OVERTURN, resolution_note=note, resolved_at=now
    )
    record_non_performance(claim, FindingKind.RECEIPT_OVERTURNED, note, actor, now)
    refund_due_notice(claim, now)
