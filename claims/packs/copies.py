"""The copy of an evidence file a merchant may hold (R-EVI-1, R-AUD-2): the same picture without
its EXIF (capture place, camera, software) or other embedded metadata.

The copy is written by walking the file's own structure (JPEG segments, PNG chunks, RIFF chunks)
and leaving out the metadata parts, never by decoding and re-encoding the image: the pixels stay
byte for byte those of the original, and a file of 20 MB passes through a buffer of one chunk."""

import hashlib
import struct
from typing import IO

CHUNK = 1024 * 1024

# APP1 carries EXIF and XMP, APP13 Photoshop's IPTC; APP0 (JFIF), APP2 (ICC colour) and APP14
# (Adobe colour transform) are needed to show the picture as it was taken.
JPEG_DROPPED = {0xE1, 0xED}
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
WEBP_DROPPED = {b"EXIF", b"XMP "}
WEBP_METADATA_FLAGS = 0x08 | 0x04  # VP8X: "has EXIF", "has XMP"


class HashingWriter:
    """Writes through to `out`, counting and hashing what passes."""

    def __init__(self, out: IO[bytes]):
        self.out, self.size, self.digest = out, 0, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.size += len(data)
        self.digest.update(data)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def copy_stream(source: IO[bytes], out: HashingWriter, remaining: int | None = None) -> None:
    while remaining is None or remaining > 0:
        data = source.read(CHUNK if remaining is None else min(CHUNK, remaining))
        if not data:
            return
        out.write(data)
        if remaining is not None:
            remaining -= len(data)


def write_copy(source: IO[bytes], content_type: str, out: HashingWriter) -> None:
    """Write the metadata-free copy of `source` (an evidence file checked on upload) to `out`."""
    source.seek(0)
    if content_type == "image/jpeg":
        _jpeg(source, out)
    elif content_type == "image/png":
        _png(source, out)
    elif content_type == "image/webp":
        _webp(source, out)
    else:  # a video carries no EXIF
        copy_stream(source, out)


def _jpeg(source, out):
    out.write(source.read(2))  # SOI
    while True:
        marker = source.read(2)
        if len(marker) < 2:
            return
        if marker[0] != 0xFF or marker[1] in JPEG_STANDALONE or marker[1] == 0xD9:
            out.write(marker)
            if marker[1] == 0xD9:
                return
            continue
        length_bytes = source.read(2)
        (length,) = struct.unpack(">H", length_bytes)
        if marker[1] in JPEG_DROPPED:
            source.seek(length - 2, 1)
            continue
        out.write(marker + length_bytes)
        copy_stream(source, out, length - 2)
        if marker[1] == 0xDA:  # start of scan: the compressed picture runs to the end
            copy_stream(source, out)
            return


def _png(source, out):
    out.write(source.read(8))
    while True:
        header = source.read(8)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header)
        if kind in PNG_DROPPED:
            source.seek(length + 4, 1)
            continue
        out.write(header)
        copy_stream(source, out, length + 4)  # data and CRC
        if kind == b"IEND":
            return


def _webp(source, out):
    source.seek(12)
    kept, total = [], 4  # (offset, fourcc, size) of the chunks kept; "WEBP" counts in the size
    while True:
        header = source.read(8)
        if len(header) < 8:
            break
        kind, size = struct.unpack("<4sI", header)
        padded = size + (size & 1)
        if kind not in WEBP_DROPPED:
            kept.append((source.tell(), kind, size))
            total += 8 + padded
        source.seek(padded, 1)
    out.write(b"RIFF" + struct.pack("<I", total) + b"WEBP")
    for offset, kind, size in kept:
        source.seek(offset)
        out.write(struct.pack("<4sI", kind, size))
        padded = size + (size & 1)
        if kind == b"VP8X":
            flags = source.read(1)[0] & ~WEBP_METADATA_FLAGS
            out.write(bytes([flags]))
            padded -= 1
        copy_stream(source, out, padded)
