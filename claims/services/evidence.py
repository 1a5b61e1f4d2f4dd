"""Evidence (domain.md §6, §7): the buyer's backs a review, the merchant's a receipt check."""

import datetime as dt

from django.core.files import File
from django.core.files.storage import Storage
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import TooLarge, transition_refused

from .. import evidence as files
from ..choices import ClaimStatus as S
from ..choices import EvidenceKind, Flag, Side
from ..models import Claim, Evidence
from .abuse import check_duplicate_image
from .actions import acting, authorize, refuse_past_deadline
from .assignment import back_in_review
from .notices import move
from .review import fast_lane

BUYER_EVIDENCE_STATES = (S.SUBMITTED, S.EVIDENCE_REQUESTED)
MERCHANT_EVIDENCE_STATES = (S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT)


def add_evidence(
    claim: Claim,
    side: str,
    upload: "File[bytes]",
    actor: Actor,
    *,
    note: str = "",
    declared_type: str | None = None,
    now: dt.datetime | None = None,
) -> Evidence:
    """Store one evidence file after checking it from its bytes. The buyer's evidence while the
    claim is under review resubmits it (R-REV-2); the merchant's backs a receipt check (R-RET-3).
    A refused file stores nothing."""
    action = "add_buyer_evidence" if side == Side.BUYER else "add_merchant_evidence"
    authorize(actor, action, claim)  # before reading the file's bytes
    checked = files.check_file(upload, declared_type)
    stored: list[tuple[str, Storage]] = []
    try:
        with acting(claim, actor, action, now) as (claim, now):
            return _add_evidence(claim, side, upload, checked, actor, note, now, stored)
    except BaseException:
        # The database forgot the record; the storage must forget the file too.
        for name, storage in stored:
            storage.delete(name)
        raise


def _add_evidence(
    claim: Claim,
    side: str,
    upload: "File[bytes]",
    checked: files.CheckedFile,
    actor: Actor,
    note: str,
    now: dt.datetime,
    stored: list[tuple[str, Storage]],
) -> Evidence:
    allowed = BUYER_EVIDENCE_STATES if side == Side.BUYER else MERCHANT_EVIDENCE_STATES
    if claim.status not in allowed:
        raise transition_refused(claim, f"add {side} evidence", claim.status)
    if side == Side.BUYER and claim.status == S.EVIDENCE_REQUESTED:
        refuse_past_deadline(claim, now, "R-REV-2")  # evidence_response_hours after the request
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
    stored.append((str(item.file.name), item.file.storage))
    item.save()
    is_first_image = False
    if checked.kind == EvidenceKind.IMAGE and side == Side.BUYER:
        is_first_image = (
            not claim.evidence.filter(side=Side.BUYER, kind=EvidenceKind.IMAGE).exclude(pk=item.pk).exists()
        )
        check_duplicate_image(claim, item, now)
    if side == Side.BUYER and claim.status == S.EVIDENCE_REQUESTED:
        warned = claim.flags.filter(code=Flag.SLA_WARNING).exists()
        move(claim, "resubmit", actor, at=now, reason=_("New evidence from the buyer"), warned=warned)
        back_in_review(claim)
    if is_first_image:
        fast_lane(claim, now)
    return item
