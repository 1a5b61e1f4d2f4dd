"""Claim use cases (domain.md §5–§9, §11, §14). Every interface and timer calls these."""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import apply_transition, record_transition
from kernel.actors import Actor, Role, require
from kernel.errors import Conflict, NotFound, RuleViolation, TooLarge, TransitionRefused, transition_refused
from ledger import services as ledger
from ledger.models import EntryKind
from notices.models import Audience
from notices.services import publish
from payments.choices import AttemptKind, AttemptStatus
from payments.services import attempts as payouts
from policies import services as policy_services
from policies.choices import PolicyStatus
from policies.models import SubOrder

from . import evidence as files
from .choices import (
    AppealOutcome,
    BusinessType,
    BuyerLevel,
    DisputeOutcome,
    EvidenceKind,
    FindingKind,
    Flag,
    Kind,
    Outcome,
    ReceiptRejection,
    Side,
)
from .choices import ClaimStatus as S
from .models import (
    Appeal,
    Buyer,
    Claim,
    ClaimFlag,
    Decision,
    Evidence,
    ImageFingerprint,
    MerchantReport,
    NonPerformanceFinding,
    ReceiptDispute,
    RefundRequest,
)
from .workflow import SLA_WARNING_SHARE, TRANSITIONS

REQUEST_FIELDS = ("kind", "reason", "amount", "description", "requested_at")
STAFF_AUDIENCES = (Audience.MERCHANT, Audience.INSURER, Audience.STAFF)


def _now(now):
    return now or timezone.now()


def _authorize(actor, action, claim):
    require(actor, action, TRANSITIONS, insurer_id=claim.insurer_id, shop_id=claim.shop_id)


def _locked(claim):
    """Re-read the claim under a row lock: concurrent actions on one claim run one at a time."""
    return (
        Claim.objects.select_for_update(of=("self",)).select_related("plan", "policy", "buyer", "shop").get(pk=claim.pk)
    )


def _notify(claim, event_type, message, *, data=None, audiences=None, at=None):
    """R-NOTE-1: a notice for each party the event concerns; data never carries thresholds."""
    payload = {"claim_id": claim.claim_id, "refund_id": claim.refund_request.refund_id, "status": claim.status}
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
    )


def _move(claim, name, actor, *, at, reason="", **kwargs):
    """Run a claim transition, audit it, and tell everyone concerned (R-NOTE-1)."""
    log = apply_transition(claim, name, actor, at=at, reason=reason, **kwargs)
    _notify(
        claim,
        "claim.status_changed",
        _("Claim %(id)s: %(source)s → %(target)s") % {"id": claim.claim_id, "source": log.source, "target": log.target},
        data={"from": log.source, "to": log.target},
        at=at,
    )
    return log


def raise_flag(claim, code, *, at, detail="", related_claim=None):
    """Flags never move the claim (domain.md §14). Raising one twice is a no-op."""
    try:
        with transaction.atomic():
            flag = ClaimFlag.objects.create(
                claim=claim, code=code, raised_at=at, detail=detail[:300], related_claim=related_claim
            )
    except IntegrityError:
        return None
    _notify(
        claim,
        "claim.flagged",
        _("Claim %(id)s flagged: %(flag)s") % {"id": claim.claim_id, "flag": flag.get_code_display()},
        data={"flag": code},
        at=at,
    )
    return flag


def flag_codes(claim):
    return set(claim.flags.values_list("code", flat=True))


# -- refund requests and routing (§5) ------------------------------------------------------


def _same_request(existing, data):
    return (
        existing.sub_order.sub_order_id == data["sub_order_id"]
        and all(getattr(existing, f) == data[f] for f in REQUEST_FIELDS)
        and existing.buyer_level == (data.get("buyer_level") or BuyerLevel.NORMAL)
    )


BUYER_UPSERT = """
    INSERT INTO claims_buyer AS buyer (buyer_id, level, reported_level, revoked_reason, level_reports)
    VALUES (%s, %s, %s, '', 1)
    ON CONFLICT (buyer_id) DO UPDATE SET
        level_reports = buyer.level_reports + 1,
        reported_level = excluded.reported_level,
        level = CASE WHEN buyer.level = %s THEN buyer.level ELSE excluded.level END
    RETURNING *
"""


def report_buyer_level(buyer_id, level):
    """R-REV-5: the latest level the platform reported, except that a revoked buyer stays revoked.

    One statement, new buyer or known one, and no race between looking and inserting; a second
    request of the same buyer waits here for the first to commit."""
    level = level or BuyerLevel.NORMAL
    return next(iter(Buyer.objects.raw(BUYER_UPSERT, [buyer_id, level, level, BuyerLevel.REVOKED])))


def routing_failure(sub_order, policy, reason, requested_at, buyer):
    """R-ROUTE-1: the first rule that keeps a request out of the claim flow, or None."""
    if policy is None or policy.status == PolicyStatus.CANCELLED:
        return "R-POL-1"
    if reason not in policy.plan.qualifying_reasons:
        return "R-ROUTE-2"
    if not in_window(sub_order.receipt_confirmed_at, requested_at, policy.coverage_hours):
        return "R-WIN-1"
    if buyer.revoked:
        return "R-ABUSE-2"
    return None


def in_window(receipt_at, requested_at, coverage_hours):
    """R-WIN-1: 0 ≤ request − receipt ≤ coverage hours, inclusive at the end."""
    if receipt_at is None:
        return False
    elapsed = requested_at - receipt_at
    return dt.timedelta(0) <= elapsed <= dt.timedelta(hours=coverage_hours)


def submit_refund_request(data, actor, *, now=None):
    """Record a refund request and route it (R-ROUTE-1); returns (request, created).

    Identical resends are answered with the first record; the same refund_id with other
    content is a conflict. A sub-order with an open claim refuses a new request (R-POL-5)."""
    require(actor, "submit_refund_request", TRANSITIONS)
    try:
        return _submit(data, actor, _now(now)), True
    except (RuleViolation, Conflict, IntegrityError):
        # Refused, or beaten to it by a concurrent twin: if the refund_id is known, this is a
        # resend (or a conflict), whatever a rule would have said of the new content.
        existing = RefundRequest.objects.select_related("sub_order").filter(refund_id=data["refund_id"]).first()
        if existing is None:
            raise
    if not _same_request(existing, data):
        raise Conflict(
            _("Refund request %s was already received with other content.") % data["refund_id"],
            code="refund_id_conflict",
        )
    return existing, False


@transaction.atomic
def _submit(data, actor, now):
    sub_order = _locked_sub_order(data["sub_order_id"])
    if sub_order is None:
        raise RuleViolation(
            _("Unknown sub-order %s.") % data["sub_order_id"],
            code="unknown_sub_order",
            fields={"sub_order_id": [_("No such sub-order.")]},
        )
    amount = data["amount"]
    if amount <= 0 or amount > sub_order.paid_amount:
        raise RuleViolation(
            _("The amount must be greater than 0 and at most the paid amount %(paid)s.")
            % {"paid": sub_order.paid_amount},
            code="amount_out_of_range",
            rule="R-POL-5",
            fields={"amount": [_("Out of range.")]},
        )
    if sub_order.has_open_claim:
        raise Conflict(_("This sub-order already has an open claim."), code="claim_open", rule="R-POL-5")
    buyer = report_buyer_level(sub_order.buyer_id, data.get("buyer_level"))
    policy = getattr(sub_order, "policy", None)
    failing = routing_failure(sub_order, policy, data["reason"], data["requested_at"], buyer)
    request = RefundRequest.objects.create(
        refund_id=data["refund_id"],
        sub_order=sub_order,
        shop=sub_order.shop,
        insurer=policy.insurer if policy else None,
        buyer=buyer,
        buyer_level=data.get("buyer_level") or BuyerLevel.NORMAL,
        business_type=BusinessType.MERCHANT if failing else BusinessType.WARRANTY,
        not_routed_because=failing or "",
        **{f: data[f] for f in REQUEST_FIELDS},
    )
    request.opening = None if failing else _open_claim(request, policy, actor, now)
    return request


def _locked_sub_order(sub_order_id):
    """The sub-order, locked, with all that routing reads of it in the same statement: its shop,
    policy, plan and insurer, and whether it has an open claim (R-POL-5)."""
    return (
        SubOrder.objects.select_for_update(of=("self",))
        .select_related("shop", "policy__plan", "policy__insurer")
        .annotate(
            has_open_claim=Exists(Claim.objects.filter(sub_order=OuterRef("pk")).open()),
        )
        .filter(sub_order_id=sub_order_id)
        .first()
    )


@dataclass(frozen=True)
class Opening:
    """A claim just opened with what was written beside it: its history (the opening) and the
    flags raised with it. It has no evidence, decision, appeal or receipt dispute yet, so the API
    answers the request from this instead of reading the claim back."""

    claim: Claim
    history: list
    flags: list


def _open_claim(request, policy, actor, now):
    plan = policy.plan
    sla = dt.timedelta(hours=plan.review_sla_hours)
    claim = Claim.objects.create(
        refund_request=request,
        sub_order=request.sub_order,
        policy=policy,
        shop=request.shop,
        insurer=policy.insurer,
        plan=plan,
        buyer=request.buyer,
        kind=request.kind,
        reason=request.reason,
        description=request.description,
        requested_amount=request.amount,
        opened_at=now,
        review_sla_hours=plan.review_sla_hours,
        evidence_response_hours=plan.evidence_response_hours,
        return_tracking_hours=plan.return_tracking_hours,
        merchant_receipt_hours=plan.merchant_receipt_hours,
        refund_due_hours=plan.refund_due_hours,
        appeal_days=plan.appeal_days,
        review_due_at=now + sla,
        sla_warn_at=now + sla * SLA_WARNING_SHARE,
        sla_breach_at=now + sla,
    )
    log = record_transition(claim, transition="open", source="", target=S.SUBMITTED, actor=actor, at=now)
    _notify(
        claim,
        "claim.opened",
        _("Claim %s opened.") % claim.claim_id,
        data={"requested_amount": str(claim.requested_amount), "kind": claim.kind, "reason": claim.reason},
        at=now,
    )
    flags = [_check_repeat_claims(claim, now)]
    # R-ABUSE-1: a buyer the merchant reported from this policy before claiming.
    report = MerchantReport.objects.filter(policy=policy).first() if request.buyer.last_reported_at else None
    if report:
        flags.append(raise_flag(claim, Flag.MERCHANT_REPORTED, at=now, detail=report.note))
    return Opening(claim, history=[log], flags=[flag for flag in flags if flag])


def _check_repeat_claims(claim, now):
    """R-ABUSE-1: N or more routed claims by one buyer within the window, in any shop."""
    plan = claim.plan
    since = now - dt.timedelta(days=plan.abuse_window_days)
    recent = Claim.objects.filter(buyer=claim.buyer, opened_at__gte=since, opened_at__lte=now)
    # A buyer whose level the platform reports for the first time, with this very request, has no
    # other claim to count (most requests at a peak, so the count is not run for them).
    count = 1 if claim.buyer.level_reports == 1 else recent.count()
    if count < plan.abuse_claim_count:
        return None
    previous = recent.exclude(pk=claim.pk).order_by("-opened_at").first()
    return raise_flag(
        claim, Flag.ABNORMAL_BUYER, at=now, detail=_("Repeated claims by this buyer"), related_claim=previous
    )


# -- evidence (§6, §7) ---------------------------------------------------------------------

BUYER_EVIDENCE_STATES = (S.SUBMITTED, S.EVIDENCE_REQUESTED)
MERCHANT_EVIDENCE_STATES = (S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT)


def add_evidence(claim, side, upload, actor, *, note="", declared_type=None, now=None):
    """Store one evidence file after checking it from its bytes. The buyer's evidence while the
    claim is under review resubmits it (R-REV-2); the merchant's backs a receipt check (R-RET-3).
    A refused file stores nothing."""
    action = "add_buyer_evidence" if side == Side.BUYER else "add_merchant_evidence"
    _authorize(actor, action, claim)
    checked = files.check_file(upload, declared_type)
    stored = []
    try:
        with transaction.atomic():
            return _add_evidence(claim, side, upload, checked, actor, note, _now(now), stored)
    except BaseException:
        # The database forgot the record; the storage must forget the file too.
        for name, storage in stored:
            storage.delete(name)
        raise


def _add_evidence(claim, side, upload, checked, actor, note, now, stored):
    claim = _locked(claim)
    allowed = BUYER_EVIDENCE_STATES if side == Side.BUYER else MERCHANT_EVIDENCE_STATES
    if claim.status not in allowed:
        raise transition_refused(claim, f"add {side} evidence", claim.status)
    if claim.evidence.filter(side=side).count() >= files.MAX_FILES_PER_SIDE:
        raise TooLarge(_("At most 9 files per side."), code="too_many_files")
    item = Evidence(
        claim=claim,
        side=side,
        kind=checked.kind,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        phash=checked.phash,
        note=note,
        original_name=(getattr(upload, "name", "") or "")[:200],
        uploaded_at=now,
    )
    item.extension = checked.extension
    item.file.save("upload", upload, save=False)
    stored.append((item.file.name, item.file.storage))
    item.save()
    is_first_image = False
    if checked.kind == EvidenceKind.IMAGE and side == Side.BUYER:
        is_first_image = (
            not claim.evidence.filter(side=Side.BUYER, kind=EvidenceKind.IMAGE).exclude(pk=item.pk).exists()
        )
        _check_duplicate_image(claim, item, now)
    if side == Side.BUYER and claim.status == S.EVIDENCE_REQUESTED:
        warned = claim.flags.filter(code=Flag.SLA_WARNING).exists()
        _move(claim, "resubmit", actor, at=now, reason=_("New evidence from the buyer"), warned=warned)
    if is_first_image:
        _fast_lane(claim, now)
    return item


def _check_duplicate_image(claim, item, now):
    """R-ABUSE-1: the same photo (perceptual hash within distance 6) on another buyer's claim."""
    bands = files.bands(item.phash)
    ImageFingerprint.objects.bulk_create(ImageFingerprint(evidence=item, band=b, value=v) for b, v in bands)
    match = Q()
    for band, value in bands:
        match |= Q(band=band, value=value)
    candidates = (
        Evidence.objects.filter(pk__in=ImageFingerprint.objects.filter(match).values("evidence_id"))
        .exclude(claim__buyer_id=claim.buyer_id)
        .select_related("claim")
        .order_by("uploaded_at")
    )
    for other in candidates:
        if files.hamming(other.phash, item.phash) <= 6:
            raise_flag(
                claim,
                Flag.DUPLICATE_EVIDENCE,
                at=now,
                related_claim=other.claim,
                detail=_("The same photo is on claim %s") % other.claim.claim_id,
            )
            return


# -- review (§6) ---------------------------------------------------------------------------


def _has_image_and_description(claim):
    """R-REV-2: at least one buyer image (a video alone is not enough) and a description."""
    has_image = claim.evidence.filter(side=Side.BUYER, kind=EvidenceKind.IMAGE).exists()
    return has_image and bool(claim.description.strip())


def _cap_for(claim):
    """R-POL-5: what the sub-order's paid amount still allows for this claim."""
    others = Claim.objects.filter(sub_order_id=claim.sub_order_id).exclude(
        pk=claim.pk
    ).counting_against_paid_amount().aggregate(total=Sum("approved_amount"))["total"] or Decimal("0.00")
    return claim.sub_order.paid_amount - others


def decide(claim, outcome, actor, *, problem_code="", approved_amount=None, reason="", now=None):
    """R-REV-2, R-REV-3, R-REV-4: the insurer's decision, or its request for more evidence."""
    # Only the insurer side decides here; the one automatic decision is the fast lane (R-REV-6).
    _authorize(actor, "decide", claim)
    with transaction.atomic():
        return _decide(_locked(claim), outcome, actor, problem_code, approved_amount, (reason or "").strip(), _now(now))


def _decide(claim, outcome, actor, problem_code, approved_amount, reason, now):
    automatic = actor.role in (Role.TIMER, Role.SYSTEM)
    if outcome not in Outcome.values:
        raise RuleViolation(_("Unknown outcome %s.") % outcome, code="invalid_outcome", fields={"outcome": [outcome]})
    if claim.status != S.SUBMITTED:
        raise transition_refused(claim, outcome, claim.status)
    if outcome == Outcome.REQUEST_EVIDENCE:
        _require_text(reason, "reason", _("Say what evidence is missing."), "R-REV-2")
        _move(claim, "request_evidence", actor, at=now, reason=reason)
        _record_decision(claim, outcome, actor, now, reason=reason)
        _notify(
            claim,
            "claim.evidence_requested",
            _("More evidence requested on claim %s.") % claim.claim_id,
            data={"missing": reason, "evidence_due_at": claim.evidence_due_at.isoformat()},
            at=now,
        )
        return claim
    if outcome == Outcome.REJECT:
        _require_text(reason, "reason", _("A rejection needs a reason for the buyer and the merchant."), "R-REV-3")
        _move(claim, "reject", actor, at=now, reason=reason)
        _record_decision(claim, outcome, actor, now, reason=reason)
        _announce_decision(claim, outcome, now, reason=reason)
        return claim

    if not _has_image_and_description(claim):
        raise RuleViolation(
            _("Approval needs at least one buyer image and the buyer's description."),
            code="evidence_missing",
            rule="R-REV-2",
        )
    allowed_codes = ["unassessed"] if automatic else claim.plan.problem_codes_for(claim.reason)
    if problem_code not in allowed_codes:
        raise RuleViolation(
            _("Choose a problem code of the buyer's reason (%s).") % claim.reason,
            code="invalid_problem_code",
            rule="R-REV-3",
            fields={"problem_code": [_("Not in the taxonomy for this reason.")]},
        )
    if outcome == Outcome.PARTIALLY_APPROVE:
        _require_text(reason, "reason", _("A partial approval needs a reason."), "R-REV-3")
        if approved_amount is None or not (Decimal("0") < approved_amount < claim.requested_amount):
            raise RuleViolation(
                _("A partial approval needs an amount above 0 and below the requested %s.") % claim.requested_amount,
                code="invalid_amount",
                rule="R-REV-3",
                fields={"approved_amount": [_("Out of range.")]},
            )
    else:
        approved_amount = claim.requested_amount
    cap = _cap_for(claim)
    if approved_amount > cap:
        raise RuleViolation(
            _("Approving %(amount)s would take the sub-order's claims above its paid amount; at most %(cap)s remains.")
            % {"amount": approved_amount, "cap": cap},
            code="amount_exceeds_paid",
            rule="R-POL-5",
            fields={"approved_amount": [_("Above what remains.")]},
        )
    _move(claim, outcome, actor, at=now, reason=reason, approved_amount=approved_amount)
    _record_decision(claim, outcome, actor, now, problem_code=problem_code, amount=approved_amount, reason=reason)
    _announce_decision(claim, outcome, now, problem_code=problem_code, reason=reason)
    if claim.kind == Kind.RETURN_REFUND:
        # R-REV-4: the merchant's default return address goes to the buyer at once (FAQ 13).
        _notify(
            claim,
            "claim.return_address",
            _("Return address sent to the buyer for claim %s.") % claim.claim_id,
            data={"return_address": return_address(claim)},
            at=now,
        )
    if claim.status == S.REFUND_DUE:
        _refund_due_notice(claim, now)
    return claim


def _require_text(value, field, message, rule):
    if not value:
        raise RuleViolation(message, code=f"{field}_required", rule=rule, fields={field: [_("Required.")]})


def _record_decision(claim, outcome, actor, now, *, problem_code="", amount=None, reason="", on_appeal=False):
    return Decision.objects.create(
        claim=claim,
        outcome=outcome,
        problem_code=problem_code,
        approved_amount=amount,
        reason=reason,
        decided_at=now,
        automatic=actor.role in (Role.TIMER, Role.SYSTEM),
        on_appeal=on_appeal,
        role=actor.role,
        user_id=actor.user_id,
    )


def _announce_decision(claim, outcome, now, *, problem_code="", reason=""):
    _notify(
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


def _refund_due_notice(claim, now):
    _notify(
        claim,
        "claim.refund_due",
        _("Refund due on claim %s.") % claim.claim_id,
        data={"amount": str(claim.approved_amount), "refund_due_by": claim.refund_due_by.isoformat()},
        at=now,
    )


def return_address(claim):
    shop = claim.shop
    return {"address": shop.return_address, "contact": shop.return_contact, "phone": shop.return_phone}


def _fast_lane(claim, now):
    """R-REV-6: a high-level buyer's unflagged claim within the limit is approved on its first image."""
    plan = claim.plan
    if not (
        plan.fast_lane_limit > 0
        and claim.status == S.SUBMITTED
        and claim.buyer.level == BuyerLevel.HIGH
        and claim.requested_amount <= plan.fast_lane_limit
        and not claim.flags.exists()
        and _has_image_and_description(claim)
    ):
        return
    actor = Actor.system("fast_lane R-REV-6")
    _decide(claim, Outcome.APPROVE, actor, "unassessed", None, _("Fast lane (R-REV-6)"), now)
    raise_flag(claim, Flag.AUTOMATIC_DECISION, at=now, detail="R-REV-6")
    if random.random() < float(plan.fast_lane_audit_share):
        Claim.objects.filter(pk=claim.pk).update(audit_requested=True)


@transaction.atomic
def record_audit(claim, actor, *, outcome, now=None):
    """A human's audit of an automatic decision (R-REV-6)."""
    _authorize(actor, "audit_automatic_decision", claim)
    _require_text((outcome or "").strip(), "outcome", _("Say what the audit found."), "R-REV-6")
    Claim.objects.filter(pk=claim.pk, audit_requested=True).update(audit_outcome=outcome.strip(), audited_at=_now(now))


@transaction.atomic
def assign(claim, user, actor):
    """'Assign to me': a claim already taken by another reviewer is not taken over silently."""
    _authorize(actor, "decide", claim)
    taken = Claim.objects.filter(pk=claim.pk).filter(Q(assignee__isnull=True) | Q(assignee=user)).update(assignee=user)
    if not taken:
        raise Conflict(_("Another reviewer is already working on this claim."), code="already_assigned")


# -- returns and the receipt check (§7) ----------------------------------------------------


def _action(name):
    """Decorator-free helper: authorise, lock and run in one transaction."""

    def run(claim, actor, body, now=None):
        _authorize(actor, name, claim)
        with transaction.atomic():
            return body(_locked(claim), _now(now))

    return run


def record_return_shipment(claim, actor, *, carrier, tracking_number, at=None, now=None):
    """R-RET-2: the tracking number's entry is what lets the claim go on to payment."""
    tracking_number = (tracking_number or "").strip()
    _require_text(tracking_number, "tracking_number", _("A return needs its tracking number."), "R-RET-2")

    def body(claim, now):
        _move(
            claim,
            "record_return_shipment",
            actor,
            at=now,
            carrier=(carrier or "").strip(),
            tracking_number=tracking_number,
            shipped_at=at or now,
        )
        reused = (
            Claim.objects.filter(tracking_number__iexact=tracking_number)
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

    return _action("record_return_shipment")(claim, actor, body, now)


def mark_delivered(claim, actor, *, at=None, now=None):
    """R-RET-5 starts: the merchant has merchant_receipt_hours to confirm or reject."""

    def body(claim, now):
        _move(claim, "mark_delivered", actor, at=now, delivered_at=at or now)
        return claim

    return _action("mark_delivered")(claim, actor, body, now)


def confirm_receipt(claim, actor, *, now=None):
    """R-RET-3 (or R-RET-5 when the timer confirms): the refund is now due."""

    def body(claim, now):
        reason = _("Confirmed automatically (R-RET-5)") if actor.role == Role.TIMER else ""
        _move(claim, "confirm_receipt", actor, at=now, reason=reason)
        _refund_due_notice(claim, now)
        return claim

    return _action("confirm_receipt")(claim, actor, body, now)


def reject_receipt(claim, actor, *, reason_code, note, now=None):
    """R-RET-3: only for the four listed reasons, with the merchant's evidence and a note."""
    note = (note or "").strip()
    if reason_code not in ReceiptRejection.values:
        raise RuleViolation(
            _("A parcel may be rejected only as missing items, empty, wrong item or fake logistics."),
            code="invalid_reason_code",
            rule="R-RET-3",
            fields={"reason_code": [_("Not allowed.")]},
        )
    _require_text(note, "note", _("A rejection needs a note."), "R-RET-3")

    def body(claim, now):
        if claim.status in MERCHANT_EVIDENCE_STATES and not claim.evidence.filter(side=Side.MERCHANT).exists():
            raise RuleViolation(
                _("Upload at least one photo or video of the parcel as received first."),
                code="evidence_missing",
                rule="R-RET-3",
            )
        _move(claim, "reject_receipt", actor, at=now, reason=f"{reason_code}: {note}")
        ReceiptDispute.objects.create(claim=claim, reason_code=reason_code, note=note, filed_at=now)
        _notify(
            claim,
            "claim.receipt_disputed",
            _("The merchant rejected the returned parcel of claim %s.") % claim.claim_id,
            data={"reason_code": reason_code},
            audiences=STAFF_AUDIENCES,
            at=now,
        )
        return claim

    return _action("reject_receipt")(claim, actor, body, now)


def remind_buyer(claim, actor, *, now=None):
    """R-RET-2 (FAQ 12): while waiting for the tracking number the merchant may remind the buyer."""

    def body(claim, now):
        if claim.status != S.AWAITING_RETURN:
            raise transition_refused(claim, "remind_buyer", claim.status)
        if claim.last_reminded_at and now - claim.last_reminded_at < dt.timedelta(hours=1):
            raise RuleViolation(
                _("The buyer was reminded less than an hour ago."), code="reminded_recently", rule="R-RET-2"
            )
        Claim.objects.filter(pk=claim.pk).update(last_reminded_at=now)
        _notify(
            claim,
            "claim.tracking_reminder",
            _("Reminder sent: enter the return tracking number for claim %s.") % claim.claim_id,
            data={"return_due_at": claim.return_due_at.isoformat()},
            at=now,
        )
        return claim

    return _action("remind_buyer")(claim, actor, body, now)


def resolve_receipt_dispute(claim, actor, *, outcome, note, now=None):
    """R-RET-4: staff uphold (closed unpaid) or overturn (receipt confirmed, plus R-PEN-1)."""
    note = (note or "").strip()
    _require_text(note, "note", _("Say why."), "R-RET-4")
    if outcome not in DisputeOutcome.values:
        raise RuleViolation(_("Uphold or overturn."), code="invalid_outcome", fields={"outcome": [outcome]})

    def body(claim, now):
        name = "uphold_receipt_rejection" if outcome == DisputeOutcome.UPHOLD else "overturn_receipt_rejection"
        _move(claim, name, actor, at=now, reason=note)
        ReceiptDispute.objects.filter(claim=claim).update(outcome=outcome, resolution_note=note, resolved_at=now)
        if outcome == DisputeOutcome.OVERTURN:
            _record_finding(claim, FindingKind.RECEIPT_OVERTURNED, note, actor, now)
            _refund_due_notice(claim, now)
        else:
            _notify(
                claim, "claim.closed", _("Claim %s closed: the parcel rejection was upheld.") % claim.claim_id, at=now
            )
        return claim

    return _action("resolve_dispute")(claim, actor, body, now)


def record_finding(claim, actor, *, kind, reason, now=None):
    """R-PEN-1: a non-performance finding by staff, e.g. on an overdue refund."""
    reason = (reason or "").strip()
    _require_text(reason, "reason", _("A finding needs a reason."), "R-PEN-1")
    if kind not in FindingKind.values:
        raise RuleViolation(_("Unknown finding."), code="invalid_kind", fields={"kind": [kind]})

    def body(claim, now):
        return _record_finding(claim, kind, reason, actor, now)

    return _action("record_finding")(claim, actor, body, now)


def _record_finding(claim, kind, reason, actor, now):
    """R-PEN-1: the merchant owes the buyer points, once per sub-order and finding."""
    try:
        with transaction.atomic():
            finding = NonPerformanceFinding.objects.create(
                claim=claim,
                sub_order_id=claim.sub_order_id,
                shop_id=claim.shop_id,
                kind=kind,
                reason=reason,
                points=claim.plan.non_performance_points,
                created_at=now,
                created_by_id=actor.user_id,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This finding is already recorded for the sub-order."), code="finding_exists", rule="R-PEN-1"
        ) from exc
    ledger.post(
        EntryKind.POINTS_GRANTED,
        points=finding.points,
        shop_id=claim.shop_id,
        insurer_id=claim.insurer_id,
        plan_id=claim.plan_id,
        policy_id=claim.policy_id,
        claim_id=claim.pk,
        finding_id=finding.pk,
        payee=claim.buyer.buyer_id,
        memo=FindingKind(kind).label,
        at=now,
    )
    _notify(
        claim,
        "merchant.non_performance",
        _("Non-performance finding on claim %(id)s: %(points)s points owed to the buyer.")
        % {"id": claim.claim_id, "points": finding.points},
        data={"kind": kind, "points": finding.points},
        audiences=STAFF_AUDIENCES,
        at=now,
    )
    return finding


# -- money (§8) ----------------------------------------------------------------------------


def complete_refund(claim, actor, *, at=None, now=None, buyer_payout_account=None):
    """R-PAY-1: the merchant refunded the buyer. R-PAY-6: the merchant's payout and, for a
    return_refund, the buyer's allowance (R-PAY-3) become transfer attempts in this transaction;
    their tasks send them once it commits. Without a buyer account the allowance is owed."""
    account = payouts.clean_account(buyer_payout_account, "buyer_payout_account") if buyer_payout_account else ""

    def body(claim, now):
        allowance = claim.policy.return_shipping_allowance if claim.kind == Kind.RETURN_REFUND else Decimal("0.00")
        _move(claim, "complete_refund", actor, at=now, shipping_allowance=allowance)
        system = Actor.system("payout")
        if claim.shop.payout_account.strip():
            payouts.create_attempt(
                claim, AttemptKind.CLAIM_PAYOUT, claim.shop.payout_account, claim.payout_amount, system, now=now
            )
        else:
            _payout_failed(claim, AttemptKind.CLAIM_PAYOUT, _("The shop has no payout account."), now)
        if allowance and account:
            payouts.create_attempt(claim, AttemptKind.SHIPPING_ALLOWANCE, account, allowance, system, now=now)
        elif allowance:
            raise_flag(claim, Flag.ALLOWANCE_OWED, at=now, detail=_("The platform named no buyer account."))
        return claim

    return _action("complete_refund")(claim, actor, body, now)


def pay_out(claim_id, *, now=None):
    """Send the claim's transfers still waiting for their task (R-PAY-6); True if the claim is
    paid as a result. Sending twice is harmless: an attempt is sent once (R-PAY-5)."""
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None or claim.status != S.REFUNDED:
        return False
    waiting = claim.payout_attempts.filter(status=AttemptStatus.CREATED)
    sent = {kind: payouts.send(pk, now=now) for pk, kind in waiting.values_list("pk", "kind")}
    return sent.get(AttemptKind.CLAIM_PAYOUT) == AttemptStatus.CONFIRMED


def settle_payout(attempt, now):
    """The provider's final answer on a transfer, inside the transaction recording it (called
    by name from payments). Confirmed: the ledger entry (R-PAY-4), and for the merchant's
    payout the claim is paid (R-PAY-6: only now). Refused: payout_failed, and the parties told."""
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("shop", "policy", "refund_request")
        .get(pk=attempt.claim_id)
    )
    merchant_payout = attempt.kind == AttemptKind.CLAIM_PAYOUT
    if attempt.status == AttemptStatus.REFUSED:
        _payout_failed(claim, attempt.kind, attempt.provider_reason or attempt.provider_code, now, attempt=attempt)
        return
    ledger.post(
        EntryKind.CLAIM_PAID if merchant_payout else EntryKind.SHIPPING_ALLOWANCE_PAID,
        amount=attempt.amount,
        shop_id=claim.shop_id,
        insurer_id=claim.insurer_id,
        plan_id=claim.plan_id,
        policy_id=claim.policy_id,
        claim_id=claim.pk,
        payee=attempt.payee,
        memo=attempt.out_biz_no,
        at=now,
    )
    if merchant_payout and claim.status == S.REFUNDED:
        _move(claim, "mark_paid", Actor.system("payout"), at=now)
        policy_services.mark_claim_paid(claim.policy_id)
        _notify(
            claim,
            "claim.paid",
            _("Claim %(id)s paid: %(amount)s to the merchant.") % {"id": claim.claim_id, "amount": attempt.amount},
            data={"payout_amount": str(attempt.amount)},
            at=now,
        )


def _payout_failed(claim, kind, reason, now, *, attempt=None):
    """R-PAY-6: staff see the refusal with the provider's reason; the merchant is told what to
    fix when it is its own payout (the buyer's account is the platform's to correct)."""
    raise_flag(claim, Flag.PAYOUT_FAILED, at=now, detail=reason)
    if kind == AttemptKind.CLAIM_PAYOUT:
        message = _(
            "The transfer for claim %(id)s was refused: %(reason)s. Check the payout account in your shop "
            "details; once corrected, the claim is paid again automatically."
        )
        audiences = STAFF_AUDIENCES
    else:
        message = _("The buyer's shipping allowance for claim %(id)s was refused: %(reason)s.")
        audiences = (Audience.INSURER, Audience.STAFF)
    data = {"kind": kind, "reason": reason}
    if attempt is not None:
        data |= {"amount": str(attempt.amount), "out_biz_no": attempt.out_biz_no, "code": attempt.provider_code}
    message %= {"id": claim.claim_id, "reason": reason}
    _notify(claim, "payout.failed", message, data=data, audiences=audiences, at=now)


# -- appeals (§11) -------------------------------------------------------------------------


def appeal(claim, actor, *, reason, now=None):
    """R-DIS-1: once, with a reason, within appeal_days of the decision."""
    reason = (reason or "").strip()
    _require_text(reason, "reason", _("An appeal needs a reason."), "R-DIS-1")

    def body(claim, now):
        if Appeal.objects.filter(claim=claim).exists():
            raise RuleViolation(_("This claim was already appealed once."), code="appeal_used", rule="R-DIS-1")
        if not claim.is_appealable():
            raise transition_refused(claim, "appeal", claim.status)
        if now > claim.decided_at + dt.timedelta(days=claim.appeal_days):
            raise RuleViolation(
                _("The appeal window of %s days after the decision has closed.") % claim.appeal_days,
                code="appeal_window_closed",
                rule="R-DIS-1",
            )
        if Claim.objects.filter(sub_order_id=claim.sub_order_id).open().exclude(pk=claim.pk).exists():
            raise Conflict(_("Another claim on this sub-order is open."), code="claim_open", rule="R-POL-5")
        Appeal.objects.create(claim=claim, reason=reason, filed_at=now, from_status=claim.status)
        _move(claim, "appeal", actor, at=now, reason=reason)
        _notify(
            claim,
            "claim.appealed",
            _("The buyer appealed the decision on claim %s.") % claim.claim_id,
            audiences=STAFF_AUDIENCES,
            at=now,
        )
        return claim

    return _action("appeal")(claim, actor, body, now)


def resolve_appeal(claim, actor, *, outcome, note, approved_amount=None, problem_code="", now=None):
    """R-DIS-1: staff uphold the decision, or change it (a new amount); both sides are told."""
    note = (note or "").strip()
    _require_text(note, "note", _("Say why."), "R-DIS-1")
    if outcome not in AppealOutcome.values:
        raise RuleViolation(_("Uphold or change."), code="invalid_outcome", fields={"outcome": [outcome]})

    def body(claim, now):
        record = Appeal.objects.filter(claim=claim).first()
        if claim.status != S.UNDER_APPEAL or record is None:
            raise transition_refused(claim, "resolve_appeal", claim.status)
        if outcome == AppealOutcome.UPHOLD:
            _move(claim, "uphold_appeal", actor, at=now, reason=note, back_to=record.from_status)
        else:
            amount = approved_amount
            if amount is None or not (Decimal("0") < amount <= claim.requested_amount) or amount > _cap_for(claim):
                raise RuleViolation(
                    _("The new amount must be above 0 and at most the requested amount."),
                    code="invalid_amount",
                    rule="R-DIS-1",
                    fields={"approved_amount": [_("Out of range.")]},
                )
            code = problem_code or (claim.decision.problem_code if claim.decision else "")
            if code not in claim.plan.problem_codes_for(claim.reason) and code != "unassessed":
                raise RuleViolation(
                    _("Choose a problem code of the buyer's reason."),
                    code="invalid_problem_code",
                    rule="R-REV-3",
                    fields={"problem_code": [_("Required.")]},
                )
            back_to = claim._after_approval() if record.from_status == S.REJECTED else record.from_status
            _move(claim, "change_decision", actor, at=now, reason=note, approved_amount=amount, back_to=back_to)
            decided = Outcome.APPROVE if amount == claim.requested_amount else Outcome.PARTIALLY_APPROVE
            _record_decision(claim, decided, actor, now, problem_code=code, amount=amount, reason=note, on_appeal=True)
            if claim.kind == Kind.RETURN_REFUND and record.from_status == S.REJECTED:
                _notify(
                    claim,
                    "claim.return_address",
                    _("Return address sent to the buyer for claim %s.") % claim.claim_id,
                    data={"return_address": return_address(claim)},
                    at=now,
                )
        Appeal.objects.filter(pk=record.pk).update(outcome=outcome, resolution_note=note, resolved_at=now)
        _notify(
            claim,
            "claim.appeal_resolved",
            _("Appeal on claim %(id)s: %(outcome)s") % {"id": claim.claim_id, "outcome": AppealOutcome(outcome).label},
            data={"outcome": outcome, "note": note},
            audiences=STAFF_AUDIENCES,
            at=now,
        )
        if claim.status == S.REFUND_DUE:
            _refund_due_notice(claim, now)
        return claim

    return _action("resolve_appeal")(claim, actor, body, now)


# -- buyers and abuse (§9) -----------------------------------------------------------------


@transaction.atomic
def report_buyer(actor, *, note, claim=None, policy=None, now=None):
    """R-ABUSE-1 (反馈买家问题): a merchant reports an abnormal buyer from a claim or a policy."""
    note = (note or "").strip()
    _require_text(note, "note", _("Describe the problem with the buyer."), "R-ABUSE-1")
    if (claim is None) == (policy is None):
        raise RuleViolation(_("Report from exactly one claim or one policy."), code="claim_or_policy", rule="R-ABUSE-1")
    subject = claim or policy
    require(actor, "report_buyer", TRANSITIONS, insurer_id=subject.insurer_id, shop_id=subject.shop_id)
    now = _now(now)
    buyer = claim.buyer if claim else Buyer.objects.get_or_create(buyer_id=policy.sub_order.buyer_id)[0]
    report = MerchantReport.objects.create(
        shop_id=subject.shop_id, buyer=buyer, claim=claim, policy=policy or claim.policy, note=note, created_at=now
    )
    Buyer.objects.filter(pk=buyer.pk).exclude(last_reported_at__gte=now).update(last_reported_at=now)
    # Reported from a policy, the report concerns the claim open on it (R-ABUSE-1).
    for concerned in [claim] if claim else Claim.objects.filter(policy=policy).open():
        raise_flag(concerned, Flag.MERCHANT_REPORTED, at=now, detail=note)
    return report


@transaction.atomic
def set_buyer_eligibility(buyer, actor, *, revoke, reason, now=None):
    """R-ABUSE-2: staff revoke a buyer's eligibility after a finding of deliberate abuse, or restore it."""
    require(actor, "set_buyer_eligibility", TRANSITIONS)
    reason = (reason or "").strip()
    _require_text(reason, "reason", _("Give the reason."), "R-ABUSE-2")
    now = _now(now)
    buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
    if revoke == buyer.revoked:
        raise TransitionRefused(_("The buyer is already %s.") % (_("revoked") if revoke else _("eligible")))
    source = buyer.level
    buyer.level = BuyerLevel.REVOKED if revoke else buyer.reported_level
    buyer.revoked_reason, buyer.revoked_at = (reason, now) if revoke else ("", None)
    Buyer.objects.filter(pk=buyer.pk).update(
        level=buyer.level, revoked_reason=buyer.revoked_reason, revoked_at=buyer.revoked_at
    )
    record_transition(
        buyer,
        transition="revoke" if revoke else "restore",
        source=source,
        target=buyer.level,
        actor=actor,
        reason=reason,
        at=now,
    )
    return buyer


@transaction.atomic
def review_report(report, actor, *, note, revoke=False, now=None):
    """R-ABUSE-1 / R-ABUSE-2: staff look into a merchant's report of a buyer and record what they
    found; a finding of deliberate abuse revokes the buyer's eligibility in the same step."""
    require(actor, "review_report", TRANSITIONS, shop_id=report.shop_id)
    note = (note or "").strip()
    _require_text(note, "note", _("Say what you found."), "R-ABUSE-1")
    now = _now(now)
    reviewed = MerchantReport.objects.filter(pk=report.pk, reviewed_at__isnull=True).update(
        reviewed_at=now, review_note=note
    )
    if not reviewed:
        # Someone else reviewed it first: their note stands.
        raise TransitionRefused(_("This report was already reviewed."))
    if revoke and not report.buyer.revoked:
        set_buyer_eligibility(report.buyer, actor, revoke=True, reason=note, now=now)
    return report


# -- timers --------------------------------------------------------------------------------


def process_deadlines(now=None, *, batch=500):
    """Run every due timer as of `now`. Each sweep locks what it takes with SKIP LOCKED, so
    several workers may run at once; handled rows leave the sweep's filter, so a second run
    changes nothing."""
    now = _now(now)
    timer = Actor.timer()
    counts = {
        "sla_warning": _sweep(Claim.objects.sla_warning_due(now), batch, partial(_sla_flag, Flag.SLA_WARNING, now)),
        "sla_breached": _sweep(Claim.objects.sla_breach_due(now), batch, partial(_sla_flag, Flag.SLA_BREACHED, now)),
        "evidence_timeout": _sweep(Claim.objects.evidence_overdue(now), batch, partial(_evidence_timeout, timer, now)),
        "closed_no_return": _sweep(Claim.objects.return_overdue(now), batch, partial(_return_timeout, timer, now)),
        "receipt_auto_confirmed": _sweep(Claim.objects.receipt_overdue(now), batch, partial(_auto_confirm, timer, now)),
        "refund_overdue": _sweep(Claim.objects.refund_overdue(now), batch, partial(_refund_overdue, now)),
        "policies_expired": policy_services.expire_policies(now, batch),
        "invoices_late": policy_services.flag_late_invoices(now, batch),
    }
    # R-PAY-6: transfers whose task was lost are sent, unknown outcomes queried (payments' sweep).
    counts["payouts_retried"] = payouts.check_due(now=now, batch=batch)
    return counts


def _sweep(queryset, batch, handle):
    done = 0
    with transaction.atomic():
        for claim in queryset.select_for_update(skip_locked=True, of=("self",)).select_related(
            "plan", "policy", "buyer", "shop"
        )[:batch]:
            handle(claim)
            done += 1
    return done


def _sla_flag(code, now, claim):
    """R-REV-1: 80 % of the SLA → warning; 100 % → breach, escalated to the insurer's supervisors."""
    column = "sla_warn_at" if code == Flag.SLA_WARNING else "sla_breach_at"
    Claim.objects.filter(pk=claim.pk).update(**{column: None})
    raise_flag(claim, code, at=now)
    if code == Flag.SLA_BREACHED:
        _notify(
            claim,
            "claim.sla_breached",
            _("Review SLA breached on claim %s: escalated to supervisors.") % claim.claim_id,
            audiences=(Audience.INSURER,),
            at=now,
        )


def _evidence_timeout(timer, now, claim):
    """R-REV-2: no evidence in time → rejected ("evidence not provided"), appealable."""
    reason = _("Evidence not provided")
    _move(claim, "evidence_timeout", timer, at=now, reason=reason)
    _record_decision(claim, Outcome.REJECT, timer, now, reason=reason)
    _announce_decision(claim, Outcome.REJECT, now, reason=reason)


def _return_timeout(timer, now, claim):
    """R-RET-2: no tracking number in time → closed, nothing paid."""
    _move(claim, "return_timeout", timer, at=now, reason=_("No return tracking number in time"))
    _notify(claim, "claim.closed", _("Claim %s closed: no return tracking number in time.") % claim.claim_id, at=now)


def _auto_confirm(timer, now, claim):
    """R-RET-5: the merchant neither confirmed nor rejected in time."""
    _move(claim, "confirm_receipt", timer, at=now, reason=_("Confirmed automatically (R-RET-5)"))
    _refund_due_notice(claim, now)


def _refund_overdue(now, claim):
    """R-PAY-1: an overdue refund is flagged for service staff (a possible R-PEN-1 finding)."""
    Claim.objects.filter(pk=claim.pk).update(refund_overdue_at=None)
    raise_flag(claim, Flag.REFUND_OVERDUE, at=now)
    _notify(
        claim,
        "claim.refund_overdue",
        _("Refund overdue on claim %s.") % claim.claim_id,
        audiences=STAFF_AUDIENCES,
        at=now,
    )


def get_claim_for(actor, claim_id):
    """A claim the actor may see, or NotFound exactly as if it did not exist."""
    claim = (
        Claim.objects.for_actor(actor)
        .select_related("plan", "policy", "shop", "buyer")
        .filter(claim_id=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound(_("Claim not found."))
    return claim
