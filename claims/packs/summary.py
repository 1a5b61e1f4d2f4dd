"""The PDF summary of an evidence pack (R-AUD-2): the claim, its parties, timeline, decisions
and reasons, and a thumbnail of each image, in Chinese and English (WeasyPrint; the CJK font is
Debian's fonts-wqy-microhei, installed by `make browser`)."""

import base64
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from PIL import Image

from audit.services import history
from catalogue.taxonomy import Reason
from claims.choices import ClaimStatus, EvidenceKind, transition_reason
from kernel.actors import Channel, Role

THUMBNAIL = (240, 240)
# A JPEG is decoded at 1/8 scale for its thumbnail; other formats are decoded whole, so only
# those small enough to decode within the pack's memory bound get one.
MAX_FULL_DECODE_PIXELS = 4_000_000


def _label(choices, code):
    return choices(code).label if code in choices.values else code


def thumbnail(item) -> str | None:
    """A small JPEG of an evidence image as a data: URI, or None (a video, a large PNG)."""
    if item.kind != EvidenceKind.IMAGE:
        return None
    with item.file.open("rb") as source, Image.open(source) as image:
        if image.format == "JPEG":
            image.draft("RGB", THUMBNAIL)
        elif image.width * image.height > MAX_FULL_DECODE_PIXELS:
            return None
        image.thumbnail(THUMBNAIL)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def timeline(claim, merchant):
    # Staff identities are never shown to merchants (api.md): their pack names roles only.
    return [
        {
            "at": step.at,
            "source": _label(ClaimStatus, step.source) if step.source else "",
            "target": _label(ClaimStatus, step.target),
            "who": _label(Role, step.role) + ("" if merchant else f" · {step.actor_label}"),
            "channel": _label(Channel, step.channel),
            "reason": transition_reason(step.reason),
        }
        for step in history(claim)
    ]


def render_summary(claim, evidence, flags, files, *, head, merchant, at) -> bytes:
    """`files` are the manifest's entries of `evidence`, in the same order."""
    from weasyprint import HTML  # loads Pango and fonts: only in the processes that make packs

    return HTML(string=summary_html(claim, evidence, flags, files, head=head, merchant=merchant, at=at)).write_pdf()


def summary_html(claim, evidence, flags, files, *, head, merchant, at) -> str:
    context = {
        "claim": claim,
        "merchant": merchant,
        "reason": _label(Reason, claim.reason),
        "status": _label(ClaimStatus, claim.status),
        "flags": flags,
        "timeline": timeline(claim, merchant),
        "decisions": [  # R-PLAN-1: the problem in words, from the plan's rows
            {"decision": decision, "problem": decision.problem_label}
            for decision in claim.decisions.order_by("decided_at", "id")
        ],
        # R-NOTE-2: internal notes are part of the history, and never shown to merchants.
        "notes": [] if merchant else list(claim.notes.order_by("at", "id")),
        "evidence": [
            {"item": item, "file": entry, "thumb": thumbnail(item)} for item, entry in zip(evidence, files, strict=True)
        ],
        "head": head,
        "generated_at": at,
        "title": _("Evidence pack of claim %(id)s") % {"id": claim.claim_id},
    }
    return render_to_string("claims/pack_summary.html", context)
