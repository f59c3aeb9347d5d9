"""Is an uploaded copy one of ours? Bit-identical to a registered version (the latest, or an
earlier one), a later revision of one (the same bytes with incremental updates appended
after it), or unknown.

A PDF revision ends at an ``%%EOF`` marker (and its end of line); every prefix of the upload
that ends at one is hashed in a single pass and looked up among the versions' hashes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.models import Document, DocumentVersion

CopyStatus = Literal["identical", "earlier_version", "later_revision", "unknown"]
_EOF = b"%%EOF"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CopyCheck:
    status: CopyStatus
    verification_code: str | None = None
    version: int | None = None  # the registered version matched (or extended)
    latest_version: int | None = None


def revision_prefix_hashes(path: Path) -> list[tuple[int, str]]:
    """(length, sha256) of every prefix of the file that ends a revision: right after each
    ``%%EOF``, and after the end-of-line that may follow it (CR, LF or CRLF)."""
    found: list[tuple[int, str]] = []
    digest = hashlib.sha256()
    consumed = 0

    def scan(data: bytes, stop: int) -> int:
        """Hash ``data`` up to each marker found before ``stop`` (and its end of line),
        noting every prefix; return where hashing stopped."""
        nonlocal consumed
        start = 0
        while (at := data.find(_EOF, start)) != -1 and at < stop:
            ends = [at + len(_EOF)]
            eol = next((e for e in (b"\r\n", b"\n", b"\r") if data.startswith(e, ends[0])), b"")
            if eol:
                ends.append(ends[0] + len(eol))
            for end in ends:
                digest.update(data[start:end])
                consumed += end - start
                found.append((consumed, digest.copy().hexdigest()))
                start = end
        return start

    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            data = carry + chunk
            # Keep the tail that could hold a marker and its end of line for the next chunk.
            safe_end = max(0, len(data) - (len(_EOF) + 2))
            start = scan(data, safe_end)
            if safe_end > start:
                digest.update(data[start:safe_end])
                consumed += safe_end - start
            carry = data[max(start, safe_end) :]
    scan(carry, len(carry))  # the file's end: the last revision's markers in what is left
    return found


def check_copy(db: Session, path: Path, sha256: str, size: int) -> CopyCheck:
    exact = db.execute(
        select(DocumentVersion.number, Document.verification_code, Document.latest_version)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.sha256 == sha256)
        .order_by(Document.latest_version.desc())
        .limit(1)
    ).first()
    if exact is not None:
        number, code, latest = exact
        status: CopyStatus = "identical" if number == latest else "earlier_version"
        return CopyCheck(status, code, number, latest)
    prefixes = {digest for length, digest in revision_prefix_hashes(path) if length < size}
    if prefixes:
        extended = db.execute(
            select(DocumentVersion.number, Document.verification_code, Document.latest_version)
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(DocumentVersion.sha256.in_(prefixes))
            .order_by(DocumentVersion.number.desc())
            .limit(1)
        ).first()
        if extended is not None:
            number, code, latest = extended
            return CopyCheck("later_revision", code, number, latest)
    return CopyCheck("unknown")
