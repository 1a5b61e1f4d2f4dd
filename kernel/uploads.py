"""The upload size limit, enforced while the body streams in: a request past it is refused as soon
as it says or shows so, before the rest of it is read or written to a temporary file."""

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from kernel.errors import TooLarge

MAX_FILE_BYTES = 20 * 1024 * 1024
# What a multipart body carries besides its file: boundaries, part headers and a short note.
FORM_OVERHEAD = 64 * 1024


def too_large() -> TooLarge:
    return TooLarge(_("Each file may be at most 20 MB."), code="file_too_large")


class SizeLimitHandler(FileUploadHandler):
    """First in a request's upload handlers: it passes every chunk on to the next (memory or temp
    file) and stops the parse with a 413 once a file passes MAX_FILE_BYTES, or at once when the
    declared Content-Length already does."""

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        if content_length > MAX_FILE_BYTES + FORM_OVERHEAD:
            raise too_large()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > MAX_FILE_BYTES:
            raise too_large()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
