"""What a file holds after the last revision a reader can follow.

An incremental update is new objects, a cross-reference section, a trailer and
``startxref``/``%%EOF``. An attacker can append objects without the cross-reference section
or the trailer (an Incremental Saving Attack, Mladenov et al., CCS 2019): pyHanko then reads
the file as it was signed and finds nothing changed, while a reader that repairs files uses
the appended objects. So the bytes after the end of the last revision that pyHanko follows
are looked at here:

- nothing, or only whitespace and NUL padding: fine (padding is a ``trailing_bytes``
  deviation);
- PDF syntax (objects, a cross-reference section, a trailer): content appended outside any
  revision, which makes every signature invalid;
- anything else: a ``trailing_bytes`` deviation, since no reader takes it for content.

pyHanko looks for ``%%EOF`` only in the last KiB; ``revision_ends`` gives the length of
the file up to its last ``%%EOF`` markers, so that a longer tail, or a last update too broken
to follow, still lets the revisions before it be read (and the rest be judged as appended).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils.reader import PdfFileReader

_EOF = b"%%EOF"
_CHUNK = 1 << 16
_PDF_SYNTAX = re.compile(rb"\d+\s+\d+\s+obj\b|\bxref\b|\btrailer\b|\bstartxref\b|\bendobj\b")
# How much of a long tail is searched for PDF syntax.
_TAIL_SCAN = 16 << 20


@dataclass(frozen=True, slots=True)
class Tail:
    size: int
    pdf_syntax: bool


def _end_of_line(handle: BinaryIO, position: int) -> int:
    handle.seek(position)
    following = handle.read(2)
    if following.startswith(b"\r\n"):
        return position + 2
    if following[:1] in (b"\r", b"\n"):
        return position + 1
    return position


def _eof_marker_after(handle: BinaryIO, start: int) -> int | None:
    """The position just past the first ``%%EOF`` at or after ``start`` and its EOL."""
    handle.seek(start)
    offset = start  # where chunk[0] is in the file
    carry = b""
    while block := handle.read(_CHUNK):
        chunk = carry + block
        found = chunk.find(_EOF)
        if found >= 0:
            return _end_of_line(handle, offset + found + len(_EOF))
        carry = chunk[-(len(_EOF) - 1) :]
        offset += len(chunk) - len(carry)
    return None


def revision_ends(path: Path, count: int = 6) -> list[int]:
    """Where the file's last ``count`` revisions may end: just past each of its last
    ``%%EOF`` markers and that marker's EOL, the last first; the whole length when it has
    none. A reader that cannot follow the last revision falls back to an earlier one."""
    size = path.stat().st_size
    ends: list[int] = []
    with path.open("rb") as handle:
        end = size
        while end > 0 and len(ends) < count:
            start = max(0, end - _CHUNK)
            handle.seek(start)
            chunk = handle.read(end - start + len(_EOF) - 1)
            found = chunk.rfind(_EOF)
            if found < 0:
                end = start
                continue
            ends.append(_end_of_line(handle, start + found + len(_EOF)))
            end = start + found  # the next marker ends before this one starts
    return ends or [size]


class BoundedFile(io.RawIOBase):
    """A read-only view of the first ``length`` bytes of an open file."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self._handle = handle
        self._length = length
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        remaining = max(0, self._length - self._position)
        wanted = remaining if size is None or size < 0 else min(size, remaining)
        self._handle.seek(self._position)
        data = self._handle.read(wanted)
        self._position += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def tail_after_revisions(reader: PdfFileReader, path: Path) -> Tail:
    """The bytes after the last revision the reader follows (the one whose cross-reference
    section ends furthest into the file, which for a linearised file is not the one
    ``startxref`` names)."""
    size = path.stat().st_size
    xrefs = reader.xrefs
    last_xref_end = max(
        xrefs.get_xref_container_info(revision).end_location
        for revision in range(xrefs.total_revisions)
    )
    with path.open("rb") as handle:
        end = _eof_marker_after(handle, last_xref_end)
        if end is None or end >= size:
            return Tail(0, pdf_syntax=False)
        handle.seek(end)
        tail = handle.read(_TAIL_SCAN)
    return Tail(size=size - end, pdf_syntax=_PDF_SYNTAX.search(tail) is not None)
