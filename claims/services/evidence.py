"""Evidence (domain.md §6, §7): the buyer's backs a review, the merchant's a receipt check."""

import datetime as dt
import tempfile
from typing import IO, cast

from django.core.files import File
from django.core.files.storage import Storage
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import TooLarge, transition_refused
from kernel.timeutil import SHANGHAI

from .. import evidence as files
from .. import quality
from ..choices import ClaimStatus as S
from ..choices import EvidenceKind, EvidenceMark, Flag, Side
from ..models import Claim, Evidence
from ..packs.copies import HashingWriter, write_copy
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
    # R-EVI-1: measured before the claim's row is locked; decoding a photo takes a moment.
    measured = quality.measure(upload, SHANGHAI) if checked.kind == EvidenceKind.IMAGE else None
    stored: list[tuple[str, Storage]] = []
    try:
        with acting(claim, actor, action, now) as (claim, now):
            return _add_evidence(claim, side, upload, checked, measured, actor, note, now, stored)
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
    measured: quality.Measured | None,
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
    if measured is not None:
        item.sharpness, item.brightness = measured.sharpness, measured.brightness
        item.captured_at, item.camera, item.software = measured.captured_at, measured.camera, measured.software
        item.marks = marks_for(claim, side, measured)
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


def marks_for(claim: Claim, side: str, measured: quality.Measured) -> list[str]:
    """R-EVI-1: why the reviewer should look twice at an image. A mark is shown, never acted on.
    The buyer's photo cannot be of the parcel before it was shipped (the platform reports no
    delivery time; shipping is the earliest it can have arrived), the merchant's of the returned
    parcel not before the return was delivered."""
    marks = quality.clarity_warnings(measured)
    arrived = claim.sub_order.shipped_at if side == Side.BUYER else claim.delivered_at
    if measured.captured_at is not None and arrived is not None and measured.captured_at < arrived:
        marks.append(EvidenceMark.CAPTURED_BEFORE_DELIVERY)
    if quality.edited_by(measured.software):
        marks.append(EvidenceMark.EDITED)
    return [str(mark) for mark in marks]


def open_served(item: Evidence, actor: Actor) -> tuple[IO[bytes], int]:
    """The evidence file `actor` may hold, opened at its start, and its size: the original, or the
    EXIF-free copy (byte for byte the copy in the merchant's evidence pack, R-AUD-2). The caller
    found `item` in the actor's scope and closes the file."""
    stored = cast(IO[bytes], files.open_stored(item.file))
    if files.sees_originals(actor) or item.kind != EvidenceKind.IMAGE:
        return stored, item.size
    copy = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    with stored:
        written = HashingWriter(cast(IO[bytes], copy))
        write_copy(stored, item.content_type, written)
    copy.seek(0)
    return cast(IO[bytes], copy), written.size
