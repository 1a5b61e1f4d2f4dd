"""One ZIP per claim (R-AUD-2): `summary.pdf`, every evidence file, and `manifest.json`.

The ZIP is written to a temporary file, each evidence file copied into it a chunk at a time, so
that a pack of 18 files of 20 MB needs no more memory than a pack of one; the answer streams
the temporary file. Evidence is stored as it is (images and videos are compressed already);
the PDF and the manifest are deflated."""

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

from django.utils import timezone

from audit import chain
from claims.choices import MERCHANT_FLAGS  # R-REV-7: the one set, used by every channel
from claims.models import Claim, Evidence

from .copies import HashingWriter, copy_stream, write_copy
from .summary import render_summary


class Variant:
    FULL = "full"
    MERCHANT = "merchant"
    COPIES = "copies"  # the full pack with each image's EXIF-free copy (R-EVI-1)


@dataclass
class Pack:
    file: BinaryIO
    filename: str
    size: int
    manifest_sha256: str
    variant: str


def evidence_name(item: Evidence) -> str:
    stored = item.file.name or ""
    extension = stored.rsplit(".", 1)[-1] if "." in stored else "bin"
    return f"evidence/{item.side}-{item.pk}.{extension}"


def build_pack(claim: Claim, variant: str, *, at=None) -> Pack:
    """The pack of `claim`, in a temporary file positioned at its start (the caller closes it)."""
    at = at or timezone.now()
    merchant = variant == Variant.MERCHANT
    evidence = list(claim.evidence.order_by("uploaded_at", "id"))
    flags = [flag for flag in claim.flags.order_by("raised_at", "id") if not merchant or flag.code in MERCHANT_FLAGS]
    out = tempfile.TemporaryFile()
    files = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for item in evidence:
            files.append(_add_evidence(archive, item, strip=variant != Variant.FULL))
        head = chain.head_of(chain.claim_chain(claim.pk))
        summary = render_summary(claim, evidence, flags, files, head=head, merchant=merchant, at=at)
        archive.writestr(_entry("summary.pdf", at), summary, compress_type=zipfile.ZIP_DEFLATED)
        files.insert(0, _described("summary.pdf", "summary", hashlib.sha256(summary).hexdigest(), len(summary)))
        manifest = _manifest(claim, variant, files, head, at)
        archive.writestr(_entry("manifest.json", at), manifest, compress_type=zipfile.ZIP_DEFLATED)
    size = out.tell()
    out.seek(0)
    return Pack(
        file=out,
        filename=f"{claim.claim_id}-evidence-pack{'-merchant' if merchant else ''}.zip",
        size=size,
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        variant=variant,
    )


def _entry(name, at):
    return zipfile.ZipInfo(name, date_time=timezone.localtime(at).timetuple()[:6])


def _described(name, role, sha256, size, **more):
    return {"name": name, "role": role, "sha256": sha256, "size": size, **more}


def _add_evidence(archive: zipfile.ZipFile, item: Evidence, strip: bool) -> dict:
    name = evidence_name(item)
    described = {"side": item.side, "kind": item.kind, "content_type": item.content_type}
    with item.file.open("rb") as stored, archive.open(_entry(name, item.uploaded_at), "w") as target:
        source = cast(IO[bytes], stored)
        written = HashingWriter(target)
        if strip:
            # R-EVI-1: the copy carries no EXIF; the original's digest stands beside it, so that
            # the packs of one claim can be matched file by file.
            write_copy(source, item.content_type, written)
            described["original_sha256"] = item.sha256
        else:
            copy_stream(source, written)
            described["stored_sha256"] = item.sha256
    return _described(name, "evidence", written.hexdigest(), written.size, **described)


def _manifest(claim, variant, files, head, at) -> bytes:
    body = {
        "claim": claim.claim_id,
        "variant": variant,
        "generated_at": chain.utc(at),
        "files": files,
        "chain": head,
        "serialization": "docs/audit.md",
    }
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode()
