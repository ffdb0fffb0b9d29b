"""Where the portal stores private files (contracts, statements, reports,
uploaded imports), and their size limit.

No stored file is ever served by its path: each is downloaded through a view
that checks who is asking (report_views.report_download, the deployments'
contract and statement views, the import job's file in the admin). As a
second line, a stored name holds a random token, so that a path seen once
(in a log, a backup listing) cannot be turned into another by guessing.
"""

from __future__ import annotations

import io
import os
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import get_valid_filename


@deconstructible
class PrivateUploadTo:
    """`upload_to` for a private file: "<folder>/<yyyy>/<mm>/<random token>/<name>".

    The token has 128 bits (secrets.token_urlsafe(16)); the original name
    stays last so that a download keeps a readable file name.
    """

    def __init__(self, folder: str):
        self.folder = folder.strip("/")

    def __call__(self, instance, filename: str) -> str:
        name = get_valid_filename(os.path.basename(filename)) or "file"
        return f"{self.folder}/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}/{name}"

    def __eq__(self, other) -> bool:
        return isinstance(other, PrivateUploadTo) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def max_upload_bytes() -> int:
    return settings.LLE_MAX_UPLOAD_BYTES


def validate_upload_size(upload) -> None:
    """Refuse a file larger than LLE_MAX_UPLOAD_BYTES, saying how large each is."""
    limit = max_upload_bytes()
    if upload is not None and upload.size is not None and upload.size > limit:
        raise ValidationError(
            "This file is %(size)s; the largest file the portal accepts is %(limit)s. "
            "Split it, or ask the site's operators to import a national file with manage.py.",
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )


class UploadSizeLimitHandler(FileUploadHandler):
    """First of the upload handlers: past LLE_MAX_UPLOAD_BYTES it stops passing
    a file's bytes on (the rest of the request is read and dropped, never
    kept), and hands the form an empty file that keeps the real size, so that
    the form refuses it with its size instead of storing it."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            self.too_large = True
            return None  # the later handlers never see this chunk
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.too_large:
            return None  # the memory or temporary-file handler hands the file on
        return UploadedFile(
            io.BytesIO(b""), name=self.file_name, content_type=self.content_type, size=file_size,
            charset=self.charset,
        )
