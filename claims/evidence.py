"""Checking an evidence file from its bytes, and its perceptual hash (R-REV-2, R-ABUSE-1).

The same checks serve the API and the portal: a file is what its bytes say, not its name."""

import hashlib
import warnings

import imagehash
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from zhibao.errors import TooLarge, UnsupportedMedia

from .choices import EvidenceKind

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES_PER_SIDE = 9
MAX_PIXELS = 40_000_000  # a phone photo is ~12 MP; far beyond this is a decompression bomb
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V ", b"MSNV"}
ACCEPTED = ("image/jpeg", "image/png", "image/webp", "video/mp4")
# What a client sends when it does not know the type (a browser, for a name without a known
# extension): then the bytes alone decide.
UNDECLARED = ("", "application/octet-stream")


class CheckedFile:
    def __init__(self, kind, content_type, extension, size, sha256, phash=""):
        self.kind, self.content_type, self.extension = kind, content_type, extension
        self.size, self.sha256, self.phash = size, sha256, phash


def check_file(upload, declared_type=None):
    """Return what the file really is, or refuse it (413 too large, 415 not an accepted type)."""
    size = upload.size
    if size > MAX_BYTES:
        raise TooLarge(_("Each file may be at most 20 MB."), code="file_too_large")
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                fmt = image.format
                if fmt not in IMAGE_FORMATS:
                    raise refused
                if image.width * image.height > MAX_PIXELS:
                    raise TooLarge(_("The image has too many pixels."), code="image_too_large")
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()
                phash = str(imagehash.phash(image.convert("RGB")))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refused from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Truncated or corrupt data that only looks like an image.
        raise refused from exc
    finally:
        upload.seek(0)
    content_type, extension = IMAGE_FORMATS[fmt]
    return CheckedFile(EvidenceKind.IMAGE, content_type, extension, size, sha256, phash)


def bands(phash_hex):
    """The eight 8-bit bands of a 64-bit hash, for the fingerprint index."""
    value = int(phash_hex, 16)
    return [(band, (value >> (8 * band)) & 0xFF) for band in range(8)]


def hamming(a_hex, b_hex):
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()
