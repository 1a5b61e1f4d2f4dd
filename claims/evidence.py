"""Checking an evidence file from its bytes, and its perceptual hash (R-REV-2, R-ABUSE-1).

The same checks serve the API and the portal: a file is what its bytes say, not its name."""

import hashlib
import itertools
import logging
import struct
import unicodedata
import warnings

import imagehash
from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kernel.actors import INSURER_ROLES, Actor, Role
from kernel.errors import NotFound, RuleViolation, StorageUnavailable, TooLarge, UnsupportedMedia
from kernel.uploads import MAX_FILE_BYTES, too_large

from .choices import EvidenceKind

logger = logging.getLogger(__name__)

MAX_BYTES = MAX_FILE_BYTES  # enforced while an upload streams in, and here on what was stored
MAX_FILES_PER_SIDE = 9
MAX_PIXELS = 40_000_000  # a phone photo is ~12 MP; far beyond this is a decompression bomb
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V ", b"MSNV"}
ACCEPTED = ("image/jpeg", "image/png", "image/webp", "video/mp4")
# Top-level boxes of an ISO base media (MP4) file (ISO/IEC 14496-12); anything else is not a video.
MP4_BOXES = {
    kind.encode()
    for kind in "ftyp styp pdin moov moof mfra mdat free skip wide meta uuid sidx ssix prft emsg udta".split()
}
MAX_MP4_BOXES = 10_000
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"
# What a client sends when it does not know the type (a browser, for a name without a known
# extension): then the bytes alone decide.
UNDECLARED = ("", "application/octet-stream")


class CheckedFile:
    def __init__(self, kind: str, content_type: str, extension: str, size: int, sha256: str, phash: str = "") -> None:
        self.kind, self.content_type, self.extension = kind, content_type, extension
        self.size, self.sha256, self.phash = size, sha256, phash


def check_file(upload: "File[bytes]", declared_type: str | None = None) -> CheckedFile:
    """Return what the file really is, or refuse it (413 too large, 415 not an accepted type,
    422 a name that hides what the file is)."""
    _check_name(getattr(upload, "name", "") or "")
    size = upload.size
    if size > MAX_BYTES:
        raise too_large()
    if size == 0:
        raise UnsupportedMedia(_("The file is empty."))
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        _check_mp4_boxes(upload, size)
        checked = CheckedFile(EvidenceKind.VIDEO, "video/mp4", ".mp4", size, digest.hexdigest())
    else:
        checked = _check_image(upload, size, digest.hexdigest())
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in UNDECLARED and declared != checked.content_type:
        raise UnsupportedMedia(
            _("The file was declared as %(declared)s but its content is %(actual)s.")
            % {"declared": declared_type, "actual": checked.content_type}
        )
    return checked


def _check_image(upload, size, sha256):
    refused = UnsupportedMedia(_("Accepted files are JPEG, PNG or WebP images and MP4 videos."))
    too_many_pixels = TooLarge(_("The image has too many pixels."), code="image_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                fmt = image.format
                if fmt not in IMAGE_FORMATS:
                    raise refused
                if image.width * image.height > MAX_PIXELS:
                    raise too_many_pixels
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()
                phash = str(imagehash.phash(image.convert("RGB")))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limit, far above ours: a file built to exhaust memory when decoded.
        raise too_many_pixels from exc
    except UnidentifiedImageError as exc:
        raise refused from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Truncated or corrupt data that only looks like an image.
        raise refused from exc
    finally:
        upload.seek(0)
    _check_image_ends_the_file(upload, fmt, size)
    content_type, extension = IMAGE_FORMATS[fmt]
    return CheckedFile(EvidenceKind.IMAGE, content_type, extension, size, sha256, phash)


def _check_name(name):
    """Control and invisible formatting characters (a NUL, a right-to-left override that shows
    "photo.exe" as "photoexe.jpg") only serve to hide what a file is."""
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise RuleViolation(
            _("The file name contains control or invisible characters; rename the file and send it again."),
            code="invalid_file_name",
            fields={"file": [_("Invalid file name.")]},
        )


def _check_image_ends_the_file(upload, fmt, size):
    """A polyglot is an image with another file (an archive, a page, a script) after it: decoders
    stop at the image's end and never see the rest. The image must end where the file ends."""
    upload.seek(max(0, size - len(PNG_END)))
    tail = upload.read()
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if fmt == "PNG":
        whole = tail.endswith(PNG_END)
    elif fmt == "JPEG":
        whole = tail.rstrip(b"\x00").endswith(JPEG_END)
    else:  # WEBP: a RIFF container says its own length
        whole = struct.unpack("<I", head[4:8])[0] + 8 == size
    if not whole:
        raise UnsupportedMedia(
            _("The file carries other data after the end of its image; send the photo itself."),
            code="unsupported_media_type",
        )


def _check_mp4_boxes(upload, size):
    """An MP4 file is a sequence of boxes that covers it exactly; a known header followed by
    anything else (a page, an archive) is not a video."""
    refused = UnsupportedMedia(_("This is not a well-formed MP4 video."))
    offset = 0
    try:
        for _box in range(MAX_MP4_BOXES):
            if offset == size:
                return
            upload.seek(offset)
            header = upload.read(16)
            length, kind = struct.unpack(">I4s", header[:8])
            if length == 1:
                length = struct.unpack(">Q", header[8:16])[0]
            elif length == 0:
                length = size - offset  # the last box runs to the end of the file
            if kind not in MP4_BOXES or length < 8 or offset + length > size:
                raise refused
            offset += length
        raise refused
    except struct.error as exc:
        raise refused from exc
    finally:
        upload.seek(0)


def sees_originals(actor: Actor) -> bool:
    """R-EVI-1, R-AUD-2: insurer staff and the insurer's systems judge the claim from the files as
    taken, and service staff handle its disputes from them; merchants, their systems and the
    platform's get copies without EXIF, so that a buyer's location stays with those who judge."""
    return actor.role in INSURER_ROLES or actor.role == Role.SERVICE_STAFF


# R-ABUSE-1: every key is 32 bits of the 64-bit perceptual hash, tagged with which 32 bits.
# Two hashes within Hamming distance 6 differ in a and b bits of their two halves, a + b <= 6:
# - min(a, b) <= 2: that half is one of the 2 × 529 words within 2 bits of the new image's half;
# - otherwise a = b = 3, and each half has a 16-bit quarter within 1 bit (3 = 1 + 2 or 0 + 3), so
#   some pairing of a quarter of each half is one of the 4 × 17 × 17 words within (1, 1) bits.
# A stored image has 6 keys (2 halves, 4 pairings); a new one probes 2,214. A probe meets a
# stranger's key with odds 2**-32: about 2,214 × N / 2**32 unrelated candidates (0.5 at a
# million stored images, 52 at a hundred million), against the N / 32 of any one shared 8-bit band.
DUPLICATE_DISTANCE = 6
_HALF, _QUARTER = (1 << 32) - 1, (1 << 16) - 1
_PAIRINGS = [(2 + 2 * i + j, i, j) for i in (0, 1) for j in (0, 1)]


def _masks(bits: int, radius: int) -> list[int]:
    return [
        sum(1 << b for b in chosen)
        for size in range(radius + 1)
        for chosen in itertools.combinations(range(bits), size)
    ]


_HALF_MASKS, _QUARTER_MASKS = _masks(32, 2), _masks(16, 1)


def _split(phash_hex: str) -> tuple[list[int], list[list[int]]]:
    value = int(phash_hex, 16)
    halves = [(value >> (32 * h)) & _HALF for h in (0, 1)]
    return halves, [[(half >> (16 * q)) & _QUARTER for q in (0, 1)] for half in halves]


def photo_keys(phash_hex: str) -> list[int]:
    """The six keys an image is stored under: its two halves, and a quarter of each paired."""
    halves, quarters = _split(phash_hex)
    return [(h << 32) | halves[h] for h in (0, 1)] + [
        (tag << 32) | (quarters[0][i] << 16) | quarters[1][j] for tag, i, j in _PAIRINGS
    ]


def probe_keys(phash_hex: str) -> list[int]:
    """Every key a stored image within DUPLICATE_DISTANCE of this hash has one of."""
    halves, quarters = _split(phash_hex)
    probes = [(h << 32) | (halves[h] ^ mask) for h in (0, 1) for mask in _HALF_MASKS]
    for tag, i, j in _PAIRINGS:
        probes += [
            (tag << 32) | ((quarters[0][i] ^ m0) << 16) | (quarters[1][j] ^ m1)
            for m0 in _QUARTER_MASKS
            for m1 in _QUARTER_MASKS
        ]
    return probes


def hamming(a_hex: str, b_hex: str) -> int:
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


def open_stored(file: FieldFile) -> File:
    """A stored evidence file opened for reading: NotFound (404) when its row outlived the file,
    StorageUnavailable (503) when the storage does not answer; never a server error."""
    try:
        if not file.name or not file.storage.exists(file.name):
            raise NotFound(_("The evidence file is no longer stored."), code="file_missing")
        return file.open("rb")
    except NotFound:
        raise
    except FileNotFoundError:
        raise NotFound(_("The evidence file is no longer stored."), code="file_missing") from None
    except Exception as exc:  # a storage backend's own errors (botocore's, an OSError …)
        logger.warning("Evidence storage unavailable for %s: %s", file.name, exc)
        raise StorageUnavailable(_("The evidence storage is briefly unavailable; try again shortly.")) from exc
