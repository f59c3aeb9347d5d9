"""Checking that an uploaded file is a PDF we are willing to keep for decades.

Refused, each with a stable ``InvalidInput.code``:

    empty_file            zero bytes
    not_a_pdf             no ``%PDF-`` header in the first KiB (says what it looks like)
    pdf_encrypted         any encryption, even one that opens without a password
    pdf_broken            qpdf cannot read it, or could only by repairing it
    pdf_hybrid_xref       a trailer in any revision has ``/XRefStm``
    pdf_too_many_objects  over ``PdfLimits.max_objects``
    pdf_no_pages          a well-formed PDF without a page
    pdf_too_many_pages    over ``PdfLimits.max_pages``

Nothing here decodes content streams, so a decompression bomb in a page costs nothing; the
only stream read is the XMP packet, and that is capped.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pikepdf

from docsvc.errors import InvalidInput

HEADER_WINDOW = 1024
SCAN_CHUNK = 1024 * 1024
EOF_MARKER = b"%%EOF"
MAX_XMP_BYTES = 4 * 1024 * 1024
MAX_FIELD_DEPTH = 32
PDFA_ID_NAMESPACE = "{http://www.aiim.org/pdfa/ns/id/}"

# Files that users upload by mistake, so that the message can say what was sent instead.
KNOWN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a ZIP archive (perhaps a Word or OpenDocument file)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
)

# pybind11 maps qpdf's C++ exceptions onto these; MemoryError is left alone on purpose,
# because running out of memory is the server's problem, not the uploader's.
_QPDF_FAILURES: tuple[type[Exception], ...] = (
    pikepdf.PdfError,
    RuntimeError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
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


def inspect_pdf(path: Path, limits: PdfLimits) -> PdfFacts:
    """Return the facts of an acceptable PDF, or raise ``InvalidInput`` saying what is wrong."""
    if path.stat().st_size == 0:
        raise InvalidInput("The file is empty.", code="empty_file")
    with path.open("rb") as handle:
        head = handle.read(HEADER_WINDOW)
    if b"%PDF-" not in head:
        raise InvalidInput(
            f"The file is not a PDF: {_looks_like(head)}. Upload the document as a PDF.",
            code="not_a_pdf",
        )
    scan = _scan_bytes(path)
    if scan.has_hybrid_trailer:
        raise InvalidInput(
            "The PDF has hybrid cross-reference tables (/XRefStm), which let different "
            "readers show different content; save or export it again as a plain PDF.",
            code="pdf_hybrid_xref",
        )
    with _refused_if_unreadable(path, cut_short=not scan.ends_with_eof):
        # Without recovery qpdf refuses a file it would otherwise rebuild by guessing, and
        # without inheritance it does not walk the page tree before the object limit is
        # checked.
        pdf = pikepdf.open(path, attempt_recovery=False, inherit_page_attributes=False)
    with pdf, _refused_if_unreadable(path, cut_short=False):
        return _facts(pdf, path, limits, scan.eof_markers)


def _facts(pdf: pikepdf.Pdf, path: Path, limits: PdfLimits, eof_markers: int) -> PdfFacts:
    if pdf.is_encrypted:
        raise InvalidInput(
            "The PDF is encrypted (even if it opens without a password); official records "
            "must stay readable without a key, so upload an unencrypted copy.",
            code="pdf_encrypted",
        )
    _refuse_if_repaired(pdf, path)
    # qpdf has already checked /Size against the highest object number it found.
    objects = int(pdf.trailer.get("/Size", 0))
    if objects > limits.max_objects:
        raise InvalidInput(
            f"The PDF has {objects} objects; the limit is {limits.max_objects} objects "
            f"(and {limits.max_pages} pages).",
            code="pdf_too_many_objects",
        )
    pages = len(pdf.pages)
    _refuse_if_repaired(pdf, path)  # the page tree is only read now
    if pages == 0:
        raise InvalidInput("The PDF has no pages.", code="pdf_no_pages")
    if pages > limits.max_pages:
        raise InvalidInput(
            f"The PDF has {pages} pages; the limit is {limits.max_pages} pages "
            f"(and {limits.max_objects} objects).",
            code="pdf_too_many_pages",
        )
    # A linearized file carries a second %%EOF for its first-page section, which is not
    # an update.
    revisions = eof_markers - 1 if pdf.is_linearized else eof_markers
    facts = PdfFacts(
        pages=pages,
        pdf_version=_effective_version(pdf),
        revisions=max(1, revisions),
        has_signature_fields=_has_signature_field(pdf),
        is_pdfa_claimed=_claims_pdfa(pdf),
    )
    _refuse_if_repaired(pdf, path)
    return facts


@contextmanager
def _refused_if_unreadable(path: Path, *, cut_short: bool) -> Iterator[None]:
    try:
        yield
    except pikepdf.PasswordError as exc:
        raise InvalidInput(
            "The PDF is encrypted with a password; upload an unencrypted copy.",
            code="pdf_encrypted",
        ) from exc
    except _QPDF_FAILURES as exc:
        problem = _problem(str(exc), path)
        if "encryption" in problem:
            # Certificate (Adobe.PubSec) and unknown security handlers end up here.
            raise InvalidInput(
                f"The PDF is encrypted in a way that cannot be opened ({problem}); upload an "
                "unencrypted copy.",
                code="pdf_encrypted",
            ) from exc
        advice = (
            f"it does not end with {EOF_MARKER.decode()}, so it was probably cut short in "
            "transfer; upload it again"
            if cut_short
            else "export it again from the original document"
        )
        raise InvalidInput(
            f"The PDF is damaged and cannot be read ({problem}); {advice}.",
            code="pdf_broken",
        ) from exc


def _refuse_if_repaired(pdf: pikepdf.Pdf, path: Path) -> None:
    # qpdf reports what it had to fix (offsets, /Size, page tree) as warnings, not errors;
    # a record that two readers could repair differently is not one we keep.
    repairs = pdf.get_warnings()
    if repairs:
        raise InvalidInput(
            f"The PDF is damaged and only opens after repair ({_problem(str(repairs[0]), path)}"
            f"{f', and {len(repairs) - 1} more problems' if len(repairs) > 1 else ''}); "
            "export it again from the original document.",
            code="pdf_broken",
        )


def _problem(text: str, path: Path) -> str:
    """qpdf's message without the server's path, where qpdf writes "PATH (where): what",
    "PATH, where: what" or "PATH: what"."""
    lines = text.strip().splitlines()
    first = lines[0] if lines else "unknown problem"
    if not first.startswith(str(path)):
        return first.replace(str(path), "the file")[:200]
    match = re.fullmatch(
        r"(?:\s*\((?P<paren>[^)]*)\)|,\s*(?P<comma>[^:]*))?\s*:\s*(?P<what>.+)",
        first.removeprefix(str(path)),
    )
    if match is None:
        return "unknown problem"
    where = match["paren"] or match["comma"]
    return (f"{match['what']} ({where})" if where else match["what"])[:200]


def _looks_like(head: bytes) -> str:
    for magic, what in KNOWN_MAGIC:
        if head.startswith(magic):
            return f"it looks like {what}"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "it looks like an HTML page"
    if lowered.startswith(b"<?xml"):
        return "it looks like an XML file"
    return f"it has no %PDF- header in its first {HEADER_WINDOW} bytes"


@dataclass(frozen=True, slots=True)
class _ByteScan:
    eof_markers: int
    has_hybrid_trailer: bool
    ends_with_eof: bool  # within the last KiB, where readers look for it


def _name_pattern(name: str) -> bytes:
    """A PDF name may spell any character as #hh, so /XRef#53tm is /XRefStm to qpdf."""
    parts = [b"/"]
    for char in name:
        hex_digits = "".join(f"[{d.lower()}{d.upper()}]" for d in f"{ord(char):02x}")
        parts.append(b"(?:" + re.escape(char.encode()) + b"|#" + hex_digits.encode() + b")")
    return b"".join(parts)


# Searched in every revision's bytes, not only in the trailer qpdf reads last: an incremental
# update with a plain trailer can hide a hybrid section behind it. A false match would need
# this name in uncompressed text, which only a PDF about PDF syntax has.
XREF_STM = re.compile(_name_pattern("XRefStm"))
SCAN_OVERLAP = HEADER_WINDOW  # also keeps the file's last KiB for ends_with_eof


def _scan_bytes(path: Path) -> _ByteScan:
    markers = 0
    hybrid = False
    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(SCAN_CHUNK):
            window = carry + chunk
            # A marker starting this early in the carried bytes was complete, and counted,
            # in the previous window.
            markers += window.count(EOF_MARKER, max(0, len(carry) - len(EOF_MARKER) + 1))
            hybrid = hybrid or XREF_STM.search(window) is not None
            carry = window[-SCAN_OVERLAP:]
    return _ByteScan(
        eof_markers=markers, has_hybrid_trailer=hybrid, ends_with_eof=EOF_MARKER in carry
    )


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def _effective_version(pdf: pikepdf.Pdf) -> str:
    # An incremental update raises the version through the catalog, not the header.
    header = str(pdf.pdf_version)
    catalog = pdf.Root.get("/Version")
    if isinstance(catalog, pikepdf.Name):
        declared = str(catalog).lstrip("/")
        if _version_tuple(declared) > _version_tuple(header):
            return declared
    return header


def _has_signature_field(pdf: pikepdf.Pdf) -> bool:
    acroform = pdf.Root.get("/AcroForm")
    fields = acroform.get("/Fields") if isinstance(acroform, pikepdf.Dictionary) else None
    if not isinstance(fields, pikepdf.Array):
        return False
    # /FT is inherited down /Kids; the depth cap and the seen set stop hostile loops.
    pending: list[tuple[pikepdf.Object, int]] = [(field, 0) for field in fields]
    seen: set[tuple[int, int]] = set()
    while pending:
        field, depth = pending.pop()
        if not isinstance(field, pikepdf.Dictionary) or depth > MAX_FIELD_DEPTH:
            continue
        if field.is_indirect:
            if field.objgen in seen:
                continue
            seen.add(field.objgen)
        if field.get("/FT") == pikepdf.Name.Sig:
            return True
        kids = field.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            pending.extend((kid, depth + 1) for kid in kids)
    return False


def _claims_pdfa(pdf: pikepdf.Pdf) -> bool:
    """True when the XMP packet has pdfaid:part, whatever prefix the producer bound the
    PDF/A namespace to. Any problem reading the packet only means "no claim"."""
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return False
    packet = _bounded_xmp(stream)
    # XMP never needs a DTD; refusing one rules out entity-expansion bombs in the parser.
    if not packet or b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        return False
    try:
        root = ElementTree.fromstring(packet)  # noqa: S314 - no DTD, see above
    except (ElementTree.ParseError, ValueError, LookupError):
        return False
    tag = f"{PDFA_ID_NAMESPACE}part"
    return any(element.tag == tag or tag in element.attrib for element in root.iter())


def _bounded_xmp(stream: pikepdf.Stream) -> bytes:
    # Decoding through qpdf has no size cap, so a flate bomb in /Metadata would be inflated
    # whole; only unfiltered and Flate packets are read, and Flate through a capped inflater.
    raw = bytes(stream.read_raw_bytes())
    filters = stream.get("/Filter")
    if filters is None:
        return raw[:MAX_XMP_BYTES]
    if filters == pikepdf.Name.FlateDecode or (
        isinstance(filters, pikepdf.Array)
        and len(filters) == 1
        and filters[0] == pikepdf.Name.FlateDecode
    ):
        try:
            return zlib.decompressobj().decompress(raw, MAX_XMP_BYTES)
        except zlib.error:
            return b""
    return b""
