"""Files answered a byte range at a time (RFC 9110 §14), so that a video plays inline and seeks:
Safari on iOS plays nothing until a probe of `Range: bytes=0-1` is answered 206 with the file's
length in `Content-Range`. One range per request; a request for several gets the whole file
(which the RFC allows), a range that starts past the end gets 416 with the length."""

import re
from collections.abc import Iterator
from typing import IO

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

CHUNK = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def file_response(
    request: HttpRequest, file: IO[bytes], size: int, content_type: str, filename: str
) -> HttpResponse | StreamingHttpResponse:
    """Answer `file` (opened at its start; closed once sent) whole or the range asked for."""
    asked = _parse(request.headers.get("Range", ""), size)
    if asked is not None and not asked:
        file.close()
        refused = HttpResponse(status=416, content_type="text/plain")
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    part = asked if asked is not None else range(size)
    response = StreamingHttpResponse(
        _read(file, part.start, part.stop), status=200 if asked is None else 206, content_type=content_type
    )
    response["Content-Length"] = str(len(part))
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    if asked is not None:
        response["Content-Range"] = f"bytes {part.start}-{part.stop - 1}/{size}"
    return response


def _parse(header: str, size: int) -> range | None:
    """The bytes asked for; an empty range when none of them exists; None to send the whole file."""
    match = RANGE.match(header.strip().replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None  # absent, malformed or several ranges: the whole file
    first, last = match.groups()
    if not first:  # a suffix: the last N bytes
        return range(max(0, size - int(last)), size) if int(last) else range(0)
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range is ignored, not refused
    if start >= size:
        return range(0)
    return range(start, min(int(last) + 1, size) if last else size)


def _read(file: IO[bytes], start: int, stop: int) -> Iterator[bytes]:
    try:
        file.seek(start)
        left = stop - start
        while left > 0:
            data = file.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data
    finally:
        file.close()
