"""Flags, buyers and abuse (domain.md §9, §14): flags never move a claim."""

import datetime as dt
from dataclasses import dataclass
from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.services import record_transition
from kernel.actors import INSURER_ROLES, Actor, require
from kernel.errors import RuleViolation, TransitionRefused
from notices.models import Audience
from policies.models import Policy

from .. import evidence as files
from ..choices import BuyerLevel, Flag, merchant_may_see
from ..models import Buyer, Claim, ClaimFlag, Evidence, ImageFingerprint, MerchantReport
from ..workflow import TRANSITIONS
from .actions import now_or, require_text
from .notices import notify


def raise_flag(
    claim: Claim, code: str, *, at: dt.datetime, detail: str = "", related_claim: Claim | None = None
) -> ClaimFlag | None:
    """Flags never move the claim (domain.md §14). Raising one twice is a no-op."""
    try:
        with transaction.atomic():
            flag = ClaimFlag.objects.create(
                claim=claim, code=code, raised_at=at, detail=detail[:300], related_claim=related_claim
            )
    except IntegrityError:
        return None
    # R-REV-7: a flag the merchant may not see reaches neither its notices, e-mails nor webhooks.
    notify(
        claim,
        "claim.flagged",
        _("Claim %(id)s flagged: %(flag)s") % {"id": claim.claim_id, "flag": flag.get_code_display()},
        data={"flag": code},
        audiences=(Audience.MERCHANT, Audience.INSURER) if merchant_may_see(code) else (Audience.INSURER,),
        at=at,
    )
    return flag


def flag_codes(claim: Claim) -> set[str]:
    return set(claim.flags.values_list("code", flat=True))


def check_repeat_claims(claim: Claim, now: dt.datetime) -> ClaimFlag | None:
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


def duplicate_candidates(item: Evidence) -> "QuerySet[Evidence]":
    """R-ABUSE-1: the stored images that may be within the duplicate distance of this one; their
    number does not grow with the images stored (claims.evidence.photo_keys)."""
    keys = ImageFingerprint.objects.filter(key__any_of=files.probe_keys(item.phash)).exclude(evidence=item)
    return Evidence.objects.filter(pk__in=keys.values("evidence_id"))


def check_duplicate_image(claim: Claim, item: Evidence, now: dt.datetime) -> None:
    """R-ABUSE-1: the same photo (perceptual hash within distance 6) on another buyer's claim."""
    keys = files.photo_keys(item.phash)
    ImageFingerprint.objects.bulk_create(ImageFingerprint(evidence=item, key=key) for key in keys)
    candidates = (
        duplicate_candidates(item)
        .exclude(claim__buyer_id=claim.buyer_id)
        .select_related("claim")
        .order_by("uploaded_at", "id")
    )
    for other in candidates:
        if files.hamming(other.phash, item.phash) <= files.DUPLICATE_DISTANCE:
            raise_flag(
                claim,
                Flag.DUPLICATE_EVIDENCE,
                at=now,
                related_claim=other.claim,
                detail=_("The same photo is on claim %s") % other.claim.claim_id,
            )
            return


@dataclass(frozen=True)
class Match:
    photo: Evidence
    other: Evidence
    distance: int


def matching_photos(claim: Claim, actor: Actor) -> list[Match]:
    """R-ABUSE-1, R-EVI-1: for a claim flagged `duplicate_evidence`, each of its images beside the
    closest image of the claim the flag names, for insurer staff to compare; nothing for others."""
    if actor.role not in INSURER_ROLES:
        return []
    flag = claim.flags.filter(code=Flag.DUPLICATE_EVIDENCE).select_related("related_claim").first()
    other_claim = flag.related_claim if flag is not None else None
    if other_claim is None:
        return []
    theirs = list(other_claim.evidence.exclude(phash=""))
    matches = []
    for photo in claim.evidence.exclude(phash=""):
        closest = min(theirs, key=lambda other: files.hamming(photo.phash, other.phash), default=None)
        if closest is not None and files.hamming(photo.phash, closest.phash) <= files.DUPLICATE_DISTANCE:
            matches.append(Match(photo, closest, files.hamming(photo.phash, closest.phash)))
    return matches


@transaction.atomic
def report_buyer(
    actor: Actor,
    *,
    note: str,
    claim: Claim | None = None,
    policy: Policy | None = None,
    now: dt.datetime | None = None,
) -> MerchantReport:
    """R-ABUSE-1 (反馈买家问题): a merchant reports an abnormal buyer from a claim or a policy."""
    note = (note or "").strip()
    require_text(note, "note", _("Describe the problem with the buyer."), "R-ABUSE-1")
    if (claim is None) == (policy is None):
        raise RuleViolation(_("Report from exactly one claim or one policy."), code="claim_or_policy", rule="R-ABUSE-1")
    subject: Claim | Policy = claim if claim is not None else cast(Policy, policy)
    require(actor, "report_buyer", TRANSITIONS, insurer_id=subject.insurer_id, shop_id=subject.shop_id)
    now = now_or(now)
    if claim is not None:
        buyer, policy = claim.buyer, claim.policy
    else:
        buyer = Buyer.objects.get_or_create(buyer_id=subject.sub_order.buyer_id)[0]
    report = MerchantReport.objects.create(
        shop_id=subject.shop_id, buyer=buyer, claim=claim, policy=policy, note=note, created_at=now
    )
    Buyer.objects.filter(pk=buyer.pk).exclude(last_reported_at__gte=now).update(last_reported_at=now)
    # Reported from a policy, the report concerns the claim open on it (R-ABUSE-1).
    for concerned in [claim] if claim else Claim.objects.filter(policy=policy).open():
        raise_flag(concerned, Flag.MERCHANT_REPORTED, at=now, detail=note)
    return report


@transaction.atomic
def set_buyer_eligibility(
    buyer: Buyer, actor: Actor, *, revoke: bool, reason: str, now: dt.datetime | None = None
) -> Buyer:
    """R-ABUSE-2: staff revoke a buyer's eligibility after a finding of deliberate abuse, or restore it."""
    require(actor, "set_buyer_eligibility", TRANSITIONS)
    reason = (reason or "").strip()
    require_text(reason, "reason", _("Give the reason."), "R-ABUSE-2")
    now = now_or(now)
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
def review_report(
    report: MerchantReport, actor: Actor, *, note: str, revoke: bool = False, now: dt.datetime | None = None
) -> MerchantReport:
    """R-ABUSE-1 / R-ABUSE-2: staff look into a merchant's report of a buyer and record what they
    found; a finding of deliberate abuse revokes the buyer's eligibility in the same step."""
    require(actor, "review_report", TRANSITIONS, shop_id=report.shop_id)
    note = (note or "").strip()
    require_text(note, "note", _("Say what you found."), "R-ABUSE-1")
    now = now_or(now)
    reviewed = MerchantReport.objects.filter(pk=report.pk, reviewed_at__isnull=True).update(
        reviewed_at=now, review_note=note
    )
    if not reviewed:
        # Someone else reviewed it first: their note stands.
        raise TransitionRefused(_("This report was already reviewed."))
    if revoke and not report.buyer.revoked:
        set_buyer_eligibility(report.buyer, actor, revoke=True, reason=note, now=now)
    return report
