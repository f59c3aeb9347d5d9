"""Checking that an uploaded file is a PDF we are willing to keep for decades.

Refused, each with a stable code: empty files, non-PDFs, encrypted PDFs (even with an empty
password: a record must stay readable without a key), files that only open after repair
(truncated, broken cross-reference), hybrid-reference files (two readers can be shown two
different documents), and files over the page or object limits.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from docsvc.errors import InvalidInput

HEADER_WINDOW = 1024
SCAN_CHUNK = 1024 * 1024
EOF_MARKER = b"%%EOF"

# A few signatures of files that users upload by mistake, to make the message useful.
KNOWN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a ZIP archive (perhaps a Word or OpenDocument file)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)


@dataclass(frozen=True, slots=True)
class PdfFacts:
    pages: int
    pdf_version: str
    revisions: int
    has_signature_fields: bool
    is_pdfa_claimed: bool


@dataclass(frozen=True, slots=True)
class PdfLimits:
    max_pages: int = 5000
    max_objects: int = 500_000


def _describe(head: bytes) -> str:
    for magic, what in KNOWN_MAGIC:
        if head.startswith(magic):
            return what
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if lowered.startswith(b"<?xml"):
        return "an XML file"
    return "not a PDF"


def _count_eof_markers(path: Path) -> int:
    """Each incremental update ends with its own %%EOF; a chunk overlap keeps a marker that
    straddles two chunks from being missed."""
    count = 0
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(SCAN_CHUNK):
            window = tail + chunk
            count += window.count(EOF_MARKER)
            # The carried-over tail is one byte shorter than the marker, so it can complete
            # a marker split across chunks but never hold one that was already counted.
            tail = window[-(len(EOF_MARKER) - 1) :]
    return count


def _signature_fields(pdf: pikepdf.Pdf) -> bool:
    acroform = pdf.Root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        return False
    fields = acroform.get("/Fields")
    if not isinstance(fields, pikepdf.Array):
        return False
    return any(
        isinstance(field, pikepdf.Dictionary) and field.get("/FT") == pikepdf.Name.Sig
        for field in fields
    )


def _claims_pdfa(pdf: pikepdf.Pdf) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta = pdf.open_metadata()
            return bool(meta.get("pdfaid:part"))
    except Exception:  # malformed XMP only means "no claim"
        return False


def inspect_pdf(path: Path, limits: PdfLimits) -> PdfFacts:
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput("The file is empty.", code="empty_file")
    with path.open("rb") as handle:
        head = handle.read(HEADER_WINDOW)
    if b"%PDF-" not in head:
        raise InvalidInput(
            f"The file is not a PDF: it looks like {_describe(head)}.", code="not_a_pdf"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pdf = pikepdf.open(path, attempt_recovery=False)
    except pikepdf.PasswordError as exc:
        raise InvalidInput(
            "The PDF is encrypted with a password; upload an unencrypted file.",
            code="pdf_encrypted",
        ) from exc
    except (pikepdf.PdfError, ValueError, OSError, RuntimeError) as exc:
        raise InvalidInput(
            f"The PDF is damaged and cannot be read without repair ({_short(exc)}).",
            code="pdf_broken",
        ) from exc
    with pdf:
        return _facts(pdf, path, limits)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[-1] if text else exc.__class__.__name__
    # qpdf prefixes messages with the file's path; the user knows which file they sent.
    return line.rsplit(": ", 1)[-1][:200]


def _facts(pdf: pikepdf.Pdf, path: Path, limits: PdfLimits) -> PdfFacts:
    if pdf.is_encrypted:
        raise InvalidInput(
            "The PDF is encrypted (even if it opens without a password); official records "
            "must be stored unencrypted.",
            code="pdf_encrypted",
        )
    if "/XRefStm" in pdf.trailer:
        raise InvalidInput(
            "The PDF has hybrid cross-reference tables, which different readers may show "
            "differently; save it again as a plain PDF.",
            code="pdf_hybrid_xref",
        )
    try:
        objects = int(pdf.trailer.get("/Size", 0))
        pages = len(pdf.pages)
        warnings_seen = pdf.get_warnings()
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        raise InvalidInput(f"The PDF is damaged ({_short(exc)}).", code="pdf_broken") from exc
    if warnings_seen:
        raise InvalidInput(
            "The PDF is damaged and only opens after repair "
            f"({_short(Exception(warnings_seen[0]))}).",
            code="pdf_broken",
        )
    if objects > limits.max_objects:
        raise InvalidInput(
            f"The PDF has {objects} objects; the limit is {limits.max_objects}.",
            code="pdf_too_many_objects",
        )
    if pages == 0:
        raise InvalidInput("The PDF has no pages.", code="pdf_no_pages")
    if pages > limits.max_pages:
        raise InvalidInput(
            f"The PDF has {pages} pages; the limit is {limits.max_pages}.",
            code="pdf_too_many_pages",
        )
    return PdfFacts(
        pages=pages,
        pdf_version=str(pdf.pdf_version),
        revisions=max(1, _count_eof_markers(path)),
        has_signature_fields=_signature_fields(pdf),
        is_pdfa_claimed=_claims_pdfa(pdf),
    )
