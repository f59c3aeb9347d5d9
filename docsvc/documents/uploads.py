"""Receiving a multipart upload straight to a temporary file.

The request body is parsed as it arrives: the file part is hashed and written to disk chunk
by chunk and the upload is cut off as soon as it passes the size limit, so no request ever
holds a whole file in memory and an oversized upload costs at most the limit in disk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from docsvc.errors import InvalidInput, PayloadTooLarge
from docsvc.request_limits import BodyTooLarge

MAX_FORM_FIELD_BYTES = 64 * 1024
MAX_FORM_FIELDS = 32
MAX_FILENAME_LENGTH = 255
# RFC 2046, 5.1.1: 1 to 70 characters. python-multipart fails on longer ones with a 500.
MAX_BOUNDARY_LENGTH = 70


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    path: Path
    sha256: str
    size: int
    filename: str
    content_type: str


@dataclass(slots=True)
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    file: ReceivedFile | None = None

    def discard(self) -> None:
        if self.file is not None:
            self.file.path.unlink(missing_ok=True)


def safe_filename(raw: str) -> str:
    """Return the client's file name if it is a plain name, or refuse it.

    A name is only ever shown and offered back on download, never used as a path, but a
    name like ``../../etc/passwd`` is a sign of a hostile or broken client, so it is
    refused outright rather than silently rewritten.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidInput("The uploaded file has no name.", code="bad_filename")
    if len(name) > MAX_FILENAME_LENGTH:
        raise InvalidInput(
            f"The file name is longer than {MAX_FILENAME_LENGTH} characters.",
            code="bad_filename",
        )
    if any(sep in name for sep in ("/", "\\")) or name in {".", ".."} or name.startswith(".."):
        raise InvalidInput(
            "The file name contains a path; send a plain file name.", code="bad_filename"
        )
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise InvalidInput("The file name contains control characters.", code="bad_filename")
    return name


class _FormCollector:
    """State for the multipart callbacks: where the current part's bytes go."""

    def __init__(self, tmp_dir: Path, max_file_bytes: int) -> None:
        self.tmp_dir = tmp_dir
        self.max_file_bytes = max_file_bytes
        self.form = ReceivedForm()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field_name = ""
        self._filename: str | None = None
        self._field_value = bytearray()
        self._file: BinaryIO | None = None
        self._file_path: Path | None = None
        self._hash = hashlib.sha256()
        self._size = 0

    # The callbacks receive a buffer and a slice of it; copying only that slice keeps the
    # parser's own buffer reusable.
    def on_part_begin(self) -> None:
        self._headers = {}
        self._field_name = ""
        self._filename = None
        self._field_value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise InvalidInput("A form part has no field name.", code="bad_multipart")
        self._field_name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            if self.form.file is not None or self._file is not None:
                raise InvalidInput("Send exactly one file per request.", code="too_many_files")
            self._filename = safe_filename(options[b"filename"].decode("utf-8", "replace"))
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=self.tmp_dir)
            self._file = os.fdopen(fd, "wb")
            self._file_path = Path(name)
        elif len(self.form.fields) >= MAX_FORM_FIELDS:
            raise InvalidInput("The form has too many fields.", code="too_many_fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is not None:
            self._size += len(chunk)
            if self._size > self.max_file_bytes:
                raise PayloadTooLarge(
                    f"The file is larger than the limit of {self.max_file_bytes} bytes.",
                    code="file_too_large",
                )
            self._hash.update(chunk)
            self._file.write(chunk)
        else:
            self._field_value += chunk
            if len(self._field_value) > MAX_FORM_FIELD_BYTES:
                raise PayloadTooLarge(
                    f"The form field '{self._field_name}' is too long.", code="field_too_large"
                )

    def on_part_end(self) -> None:
        if self._file is not None and self._file_path is not None:
            self._file.close()
            content_type = self._headers.get(b"content-type", b"application/octet-stream")
            self.form.file = ReceivedFile(
                path=self._file_path,
                sha256=self._hash.hexdigest(),
                size=self._size,
                filename=self._filename or "document.pdf",
                content_type=content_type.decode("latin-1")[:100],
            )
            self._file = None
            self._file_path = None
        else:
            try:
                self.form.fields[self._field_name] = self._field_value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"The form field '{self._field_name}' is not UTF-8.", code="bad_encoding"
                ) from exc

    @property
    def part_open(self) -> bool:
        """Whether a file part began and never ended."""
        return self._file is not None

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._file_path is not None:
            self._file_path.unlink(missing_ok=True)
        self.form.discard()


async def receive_multipart(
    content_type: str | None,
    body: AsyncIterator[bytes],
    *,
    tmp_dir: Path,
    max_file_bytes: int,
) -> ReceivedForm:
    """Parse a multipart/form-data body into fields and at most one file on disk.

    On any error the partial file is removed before the error propagates.
    """
    mime, options = parse_options_header(content_type)
    if mime != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidInput(
            "Send the file as multipart/form-data with a 'file' field.", code="not_multipart"
        )
    boundary = options[b"boundary"]
    if not 1 <= len(boundary) <= MAX_BOUNDARY_LENGTH:
        raise InvalidInput(
            f"The multipart boundary must be 1 to {MAX_BOUNDARY_LENGTH} characters long.",
            code="bad_multipart",
        )
    collector = _FormCollector(tmp_dir, max_file_bytes)
    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
        if collector.part_open:
            # The body ended inside a part: a cut-off upload, whose file must not stay.
            raise InvalidInput(
                "The upload was cut off before its end; send it again.", code="upload_truncated"
            )
    except (InvalidInput, PayloadTooLarge, BodyTooLarge):
        collector.abort()
        raise
    except Exception as exc:
        collector.abort()
        raise InvalidInput("The multipart body is malformed.", code="bad_multipart") from exc
    except BaseException:
        # The client went away or the request was cancelled: no file may stay behind.
        collector.abort()
        raise
    return collector.form
