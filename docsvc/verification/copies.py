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

from sqlalchemy import String, bindparam, case, select
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


_VERSIONS = DocumentVersion.__table__.c
_DOCUMENTS = Document.__table__.c
_FULL = bindparam("full", type_=String())
# One statement, built once: among the registered versions whose hash is the whole file's
# or one of its revision prefixes', the exact copy first (of the document whose latest
# version is highest), else the latest version the file extends.
_MATCH = (
    select(
        _VERSIONS.sha256,
        _VERSIONS.number,
        _DOCUMENTS.verification_code,
        _DOCUMENTS.latest_version,
    )
    .join_from(
        DocumentVersion.__table__, Document.__table__, _DOCUMENTS.id == _VERSIONS.document_id
    )
    .where(_VERSIONS.sha256.in_(bindparam("hashes", expanding=True)))
    .order_by(
        case((_VERSIONS.sha256 == _FULL, 1), else_=0).desc(),
        case((_VERSIONS.sha256 == _FULL, _DOCUMENTS.latest_version), else_=_VERSIONS.number).desc(),
    )
    .limit(1)
)


def check_copy(db: Session, path: Path, sha256: str, size: int) -> CopyCheck:
    """How the file at ``path`` (``sha256``, ``size`` bytes) stands against the register,
    in one query."""
    prefixes = {digest for length, digest in revision_prefix_hashes(path) if length < size}
    prefixes.discard(sha256)
    found = db.connection().execute(_MATCH, {"full": sha256, "hashes": [sha256, *prefixes]}).first()
    if found is None:
        return CopyCheck("unknown")
    digest, number, code, latest = found
    if digest == sha256:
        status: CopyStatus = "identical" if number == latest else "earlier_version"
        return CopyCheck(status, code, number, latest)
    return CopyCheck("later_revision", code, number, latest)
