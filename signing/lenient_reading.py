"""Reading signed PDFs from other products leniently, and saying what was tolerated.

Files from national ID card middleware, Adobe, the EU's DSS or LibreOffice deviate from
ISO 32000 in ways that touch nothing a signature covers. pyHanko refuses a few of them
outright, which would turn a valid file into "cannot be read". While ``tolerating()`` is
active, each such deviation is read the way the PDF standard or common practice says and
noted as a ``Deviation`` (a code and a sentence), which the verification report shows as a
warning. What a signature covers is still judged strictly: none of this changes a byte
range, a digest or the difference analysis between revisions.

Tolerated here (pyHanko 0.38-0.39; ``tests/signing/test_lenient_reading.py`` checks that
pyHanko alone still refuses each, so that a patch made unnecessary by an upgrade shows):

- ``dangling_reference``: a reference to an object number the file does not define, for
  instance LibreOffice's ``/AdditionalStreams`` in a trailer, pointing at or past
  ``/Size``. ISO 32000-1, 7.3.10: it is the null object. pyHanko's orphan search asks
  for the revision that introduced every object it meets and fails on one that none did,
  and its DSS check wants every entry of ``/Certs``, ``/CRLs`` and ``/OCSPs`` to be a
  stream: one that points nowhere is skipped instead (it proves nothing either way).
  LibreOffice's ``/AdditionalStreams`` names object numbers that later revisions assign
  to other objects (a signature field, a DSS stream). pyHanko then asks that every change
  to such an object be justified as a change to that trailer entry too, and fails; but no
  reader draws a private trailer entry, so only uses under ``/Root``, ``/Info`` and
  ``/Encrypt`` count. Anywhere else (a page's content, the DSS) a use still counts.
- ``field_name_period``: a form field's partial name holds a period (ISO 32000-1,
  12.7.3.2 forbids it). pyHanko's difference analysis refuses the whole form.
- ``pdf_syntax``: whatever else pyHanko's reader logs as tolerated in non-strict mode (a
  duplicate dictionary key, an unreadable object in an object stream, ...), and two things
  it tolerates silently: a stream whose ``/Length`` is off by one, and cross-reference
  entries of 19 bytes instead of 20; a stream whose ``/Length`` is further off, which
  pyHanko refuses, is read up to its ``endstream`` as qpdf and PDF.js read it.

The dictionary-type deviations of signatures and document timestamps
(``timestamp_dictionary_type``, ``signature_dictionary_type``) are decided where the
signatures are collected (``signing.verification``): the CMS content says what a signature
is, whatever its dictionary claims.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.pdf_utils.xref import XRefCache
from pyhanko.sign.diff_analysis import form_rules_api
from pyhanko.sign.diff_analysis.form_rules_api import FieldComparisonSpec
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.diff_analysis.rules import form_field_rules

DeviationCode = Literal[
    "timestamp_dictionary_type",
    "signature_dictionary_type",
    "dangling_reference",
    "field_name_period",
    "trailing_bytes",
    "signing_certificate_outside_signature",
    "pdf_syntax",
]

# A hostile file can hold millions of deviations; a report names the first few of each.
MAX_PER_CODE = 10
MAX_FIELD_DEPTH = 32


# What each deviation means, in English; ``subject`` names the object, field or count.
MESSAGES: dict[DeviationCode, str] = {
    "timestamp_dictionary_type": (
        "the document timestamp in field {subject} does not say /Type /DocTimeStamp; "
        "it was verified as one"
    ),
    "signature_dictionary_type": (
        "the signature in field {subject} has a /Type other than /Sig; it was verified as one"
    ),
    "dangling_reference": (
        "object {subject} is referenced but does not exist; it was read as null, as the PDF "
        "standard says"
    ),
    "field_name_period": (
        "the form field name {subject} contains a period, which the PDF standard forbids"
    ),
    "trailing_bytes": "{subject} bytes after the end of the file are not part of the document",
    "signing_certificate_outside_signature": (
        "the signature in field {subject} does not hold its signer's certificate; it was "
        "found in the document's security store (DSS)"
    ),
    "pdf_syntax": "a deviation from the PDF syntax was read leniently: {subject}",
}


@dataclass(frozen=True, slots=True)
class Deviation:
    code: DeviationCode
    subject: str

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(subject=self.subject)


@dataclass(slots=True)
class DeviationLog:
    """The deviations met while reading one file, each once, in the order met."""

    found: list[Deviation] = field(default_factory=list)
    _seen: set[Deviation] = field(default_factory=set)
    _counts: dict[str, int] = field(default_factory=dict)

    def note(self, code: DeviationCode, subject: str) -> None:
        deviation = Deviation(code, subject)
        if deviation in self._seen or self._counts.get(code, 0) >= MAX_PER_CODE:
            return
        self._seen.add(deviation)
        self._counts[code] = self._counts.get(code, 0) + 1
        self.found.append(deviation)


_log: ContextVar[DeviationLog | None] = ContextVar("docsvc_deviation_log", default=None)


def note(code: DeviationCode, subject: str) -> None:
    """Record a deviation in the log of the file being read, if one is being kept."""
    log = _log.get()
    if log is not None:
        log.note(code, subject)


def _ref_name(ref: generic.Reference) -> str:
    return f"{ref.idnum} {ref.generation} R"


# Messages of pyHanko's reader that the patches below already report, or that describe a
# historical lookup rather than a deviation of the file.
_ALREADY_NOTED = re.compile(
    r"^(Could not find object|Could not determine history of|Object addressed by)"
)


class _ReaderWarnings(logging.Handler):
    """pyHanko's reader logs, rather than raises, what it tolerates in non-strict mode."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not _ALREADY_NOTED.match(message):
            note("pdf_syntax", message[:300])


@contextmanager
def tolerating() -> Iterator[DeviationLog]:
    """Keep a log of the deviations met while reading a file in this context; pyHanko's
    reader warnings go into it instead of the process's log."""
    install()
    log = DeviationLog()
    token = _log.set(log)
    reader_log = logging.getLogger("pyhanko.pdf_utils")
    handler = _ReaderWarnings(logging.WARNING)
    propagate = reader_log.propagate
    reader_log.addHandler(handler)
    reader_log.propagate = False
    try:
        yield log
    finally:
        reader_log.removeHandler(handler)
        reader_log.propagate = propagate
        _log.reset(token)


# --- dangling references -------------------------------------------------------------------

_original_introducing_revision = XRefCache.get_introducing_revision
_original_read_object = PdfFileReader._read_object


def _introducing_revision(self: XRefCache, ref: generic.Reference) -> int:
    """-1 for an object no revision defines: the orphan search then treats the reference
    as null and does not descend into it, instead of failing on it."""
    try:
        revision: int = _original_introducing_revision(self, ref)
    except KeyError:
        note("dangling_reference", _ref_name(ref))
        return -1
    return revision


def _read_object(
    self: PdfFileReader, ref: generic.Reference, marker: Any, *args: Any, **kwargs: Any
) -> Any:
    # pyHanko already reads such a reference as null in non-strict mode; say so.
    if marker is None and not self.strict:
        note("dangling_reference", _ref_name(ref))
    return _original_read_object(self, ref, marker, *args, **kwargs)


_original_assert_stream_refs = form_field_rules._assert_stream_refs


def _defined(ref: generic.Reference) -> bool:
    """Whether the object exists in the revision its reference was read from."""
    handler: Any = ref.pdf
    if isinstance(handler, HistoricalResolver):
        reader, revision = handler.reader, handler.revision
    elif isinstance(handler, PdfFileReader):
        reader, revision = handler, handler.xrefs.total_revisions - 1
    else:
        return True
    return reader.xrefs.get_historical_ref(ref, revision) is not None


_original_usages_of_ref = HistoricalResolver._get_usages_of_ref
# The trailer entries a reader interprets; others (/AdditionalStreams) are private data.
_READ_FROM_TRAILER = frozenset({"/Root", "/Info", "/Encrypt"})


def _usages_of_ref(self: HistoricalResolver, ref: generic.Reference) -> set[Any]:
    """Where the signed revision uses an object, for pyHanko to ask that a later change to
    it be justified there; a private trailer entry is no such place."""
    usages: set[Any] = _original_usages_of_ref(self, ref)
    kept = {path for path in usages if next(iter(path), None) in _READ_FROM_TRAILER}
    if len(kept) < len(usages) and self.reader.xrefs.get_historical_ref(ref, self.revision) is None:
        note("dangling_reference", _ref_name(ref))
    return kept


def _assert_stream_refs(der_obj_type: str, arr: Any, err_cls: Any, is_vri: bool) -> None:
    """pyHanko's DSS structure check, with entries that point to no object left out."""
    value = arr.get_object()
    if isinstance(value, generic.ArrayObject):
        kept = generic.ArrayObject()
        for item in value:
            if isinstance(item, generic.IndirectObject) and not _defined(item.reference):
                note("dangling_reference", _ref_name(item.reference))
                continue
            kept.append(item)
        value = kept
    _original_assert_stream_refs(der_obj_type, value, err_cls, is_vri)  # type: ignore[no-untyped-call]


def check_trailers(reader: PdfFileReader) -> None:
    """Note the references in any revision's trailer (and one level into its arrays and
    dictionaries) to objects the file does not define. Only pyHanko's orphan search would
    meet them otherwise, and only in a revision after a signature."""
    revisions: list[generic.DictionaryObject] = reader.trailer._trailer_revisions
    for newest_first, trailer in enumerate(revisions):
        revision = len(revisions) - 1 - newest_first
        for key in trailer:
            value = trailer.raw_get(key)
            items = (
                list(value)
                if isinstance(value, generic.ArrayObject)
                else [value.raw_get(k) for k in value]
                if isinstance(value, generic.DictionaryObject)
                else [value]
            )
            for item in items:
                if (
                    isinstance(item, generic.IndirectObject)
                    and reader.xrefs.get_historical_ref(item.reference, revision) is None
                ):
                    note("dangling_reference", _ref_name(item.reference))


_original_stream_payload: Any = generic._maybe_read_stream_payload


_ENDSTREAM = b"endstream"
# How far past a stream's start its endstream is looked for when /Length misleads.
MAX_STREAM_SCAN = 256 << 20


def _payload_up_to_endstream(stream: Any, start: int) -> bytes | None:
    """The stream's data when ``/Length`` is wrong: from after the ``stream`` keyword and its
    end of line to the next ``endstream`` (without the end of line before it), as qpdf and
    PDF.js read it; the reader is left after ``endstream``. None when there is none."""
    stream.seek(start)
    head = stream.read(64)
    found = re.match(rb"\s*stream(\r\n|\n|\r)?", head)
    if found is None:
        return None
    data_start = start + found.end()
    stream.seek(data_start)
    buffer: bytes = b""
    while len(buffer) < MAX_STREAM_SCAN:
        block: bytes = stream.read(1 << 16)
        if not block:
            return None
        searched = max(0, len(buffer) - len(_ENDSTREAM))
        buffer += block
        at = buffer.find(_ENDSTREAM, searched)
        if at >= 0:
            stream.seek(data_start + at + len(_ENDSTREAM))
            data = buffer[:at]
            for eol in (b"\r\n", b"\n", b"\r"):
                if data.endswith(eol):
                    return data[: -len(eol)]
            return data
    return None


def _stream_payload(stream: Any, data: Any, handler: Any) -> Any:
    start = stream.tell()
    try:
        payload = _original_stream_payload(stream, data, handler)
    except misc.PdfReadError as exc:
        if "endstream" not in str(exc):
            raise
        recovered = _payload_up_to_endstream(stream, start)
        if recovered is None:
            raise
        note("pdf_syntax", "a stream's /Length is wrong; its data was read up to endstream")
        return recovered
    # ``data`` is still a plain dict of the stream's dictionary here.
    declared = data.get("/Length") if payload is not None else None
    if isinstance(declared, generic.NumberObject) and int(declared) != len(payload):
        note(
            "pdf_syntax",
            f"a stream declares /Length {int(declared)} but holds {len(payload)} bytes",
        )
    return payload


def check_xref_tables(reader: PdfFileReader) -> None:
    """Note cross-reference tables whose entries are not 20 bytes long (ISO 32000-1, 7.5.4),
    which pyHanko reads without a word."""
    stream = reader.stream
    xrefs = reader.xrefs
    for revision in range(xrefs.total_revisions):
        start = xrefs.get_startxref_for_revision(revision)
        stream.seek(start)
        head = stream.read(64)
        match = re.match(rb"xref\s+\d+\s+\d+[ \t]*(\r\n|\r|\n)", head)
        if match is None:
            continue  # a cross-reference stream, or nothing pyHanko could follow
        entry = head[match.end() : match.end() + 20]
        if len(entry) == 20 and entry[18:20] not in (b" \n", b" \r", b"\r\n"):
            note("pdf_syntax", "the entries of a cross-reference table are not 20 bytes long")


def _resolved(raw: generic.PdfObject, depth: int, seen: set[int]) -> generic.PdfObject | None:
    """``raw``, or the object it refers to; ``None`` for an object met before or deeper than
    ``MAX_FIELD_DEPTH``, so that a walk ends on cycles and hostile chains of references."""
    if not isinstance(raw, generic.IndirectObject):
        return raw
    if raw.idnum in seen or depth > MAX_FIELD_DEPTH:
        return None
    seen.add(raw.idnum)
    return raw.reference.get_object()


_RESOURCE_KINDS = ("/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading")
MAX_PAGES_CHECKED = 2000


def check_page_resources(reader: PdfFileReader) -> None:
    """Note the pages' resources (fonts, images, ...) that point to no object: nothing in
    the verification reads them, but a reader drawing the page meets them."""
    seen: set[int] = set()
    stack: list[tuple[generic.PdfObject, int]] = [(reader.root.raw_get("/Pages"), 0)]
    pages = 0
    while stack and pages < MAX_PAGES_CHECKED:
        raw, depth = stack.pop()
        node = _resolved(raw, depth, seen)
        if not isinstance(node, generic.DictionaryObject):
            continue
        kids = node.get("/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, depth + 1) for kid in kids)
            continue
        pages += 1
        resources = node.get("/Resources")
        if not isinstance(resources, generic.DictionaryObject):
            continue
        for kind in _RESOURCE_KINDS:
            named = resources.get(kind)
            if not isinstance(named, generic.DictionaryObject):
                continue
            for key in named:
                value = named.raw_get(key)
                if isinstance(value, generic.IndirectObject) and not _defined(value.reference):
                    note("dangling_reference", _ref_name(value.reference))


# --- form field names with periods -----------------------------------------------------------

_original_list_fields = form_rules_api._list_fields


def check_field_names(reader: PdfFileReader) -> None:
    """Note every partial field name with a period, in the form as it stands: pyHanko's
    difference analysis meets them only when a revision follows a signature."""
    try:
        form = reader.root["/AcroForm"]
        top = form.raw_get("/Fields")
    except (KeyError, TypeError):
        return
    seen: set[int] = set()
    stack: list[tuple[generic.PdfObject, int]] = [(top, 0)]
    while stack:
        raw, depth = stack.pop()
        node = _resolved(raw, depth, seen)
        if isinstance(node, generic.ArrayObject):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, generic.DictionaryObject):
            name = node.get("/T")
            if isinstance(
                name, (generic.TextStringObject, generic.ByteStringObject)
            ) and "." in str(name):
                note("field_name_period", repr(str(name)))
            if "/Kids" in node:
                stack.append((node.raw_get("/Kids"), depth + 1))


def _field_list(
    fields: generic.PdfObject | None, exc: type[Exception]
) -> Iterator[tuple[str, tuple[Any, generic.Reference, generic.ArrayObject, int]]]:
    """pyHanko's ``_list_fields._make_list`` (0.38), with a period in a partial name noted
    as a deviation instead of refusing the form. Every other check stays."""
    if not isinstance(fields, generic.ArrayObject):
        raise exc("Field list is not an array.")
    names_seen: set[str] = set()
    for index, field_ref in enumerate(fields):
        if not isinstance(field_ref, generic.IndirectObject):
            raise exc("Fields must be indirect objects")
        field_dict = field_ref.reference.get_object()
        if not isinstance(field_dict, generic.DictionaryObject):
            raise exc("Fields must be dictionary objects")
        try:
            name = field_dict.raw_get("/T")
        except KeyError:
            continue
        if not isinstance(name, (generic.TextStringObject, generic.ByteStringObject)):
            raise exc("Names must be strings")
        if str(name) in names_seen:
            raise exc("Duplicate field name")
        if "." in str(name):
            note("field_name_period", repr(str(name)))
        names_seen.add(str(name))
        kids = field_dict.get("/Kids")
        yield (
            str(name),
            (
                field_dict,
                field_ref.reference,
                kids if isinstance(kids, generic.ArrayObject) else generic.ArrayObject(),
                index,
            ),
        )


def _list_fields(
    old_fields: generic.PdfObject | None,
    new_fields: generic.PdfObject | None,
    old_path: Any = None,
    parent_name: str = "",
    inherited_ft: Any = None,
) -> Generator[tuple[str, FieldComparisonSpec], None, None]:
    """pyHanko's ``_list_fields`` (0.38), reading names through ``_field_list``."""

    def by_name(
        fields: generic.PdfObject | None, exc: type[Exception]
    ) -> dict[str, tuple[Any, generic.Reference, generic.ArrayObject, int]]:
        listed = {}
        for name, (field_dict, ref, kids, index) in _field_list(fields, exc):
            fq_name = f"{parent_name}.{name}" if parent_name else name
            field_type = field_dict.raw_get("/FT") if "/FT" in field_dict else inherited_ft
            if not kids and field_type is None:
                raise exc(f"Field type of terminal field {fq_name!r} could not be determined")
            listed[fq_name] = (field_type, ref, kids, index)
        return listed

    old_by_name = by_name(old_fields, misc.PdfReadError)
    new_by_name = by_name(new_fields, SuspiciousModification)
    for field_name in old_by_name.keys() | new_by_name.keys():
        old_type, old_ref, old_kids, field_index = old_by_name.get(
            field_name, (None, None, generic.ArrayObject(), None)
        )
        new_type, new_ref, new_kids, _ = new_by_name.get(
            field_name, (None, None, generic.ArrayObject(), None)
        )
        if old_ref and new_ref and new_type != old_type:
            raise SuspiciousModification(f"Update changed field type of {field_name}")
        common_ft: Any = old_type or new_type
        field_path = (
            old_path + field_index if field_index is not None and old_path is not None else None
        )
        yield (
            field_name,
            FieldComparisonSpec(
                field_type=common_ft,
                old_field_ref=old_ref,
                new_field_ref=new_ref,
                old_canonical_path=field_path,
            ),
        )
        if old_kids or new_kids:
            yield from _list_fields(
                old_kids,
                new_kids,
                parent_name=field_name,
                old_path=field_path + "/Kids" if field_path is not None else None,
                inherited_ft=common_ft,
            )


_installed = False


def _patch(lenient: bool) -> None:
    XRefCache.get_introducing_revision = (  # type: ignore[method-assign]
        _introducing_revision if lenient else _original_introducing_revision
    )
    PdfFileReader._read_object = (  # type: ignore[method-assign]
        _read_object if lenient else _original_read_object
    )
    form_rules_api._list_fields = _list_fields if lenient else _original_list_fields
    form_field_rules._assert_stream_refs = (
        _assert_stream_refs if lenient else _original_assert_stream_refs
    )
    HistoricalResolver._get_usages_of_ref = (  # type: ignore[method-assign]
        _usages_of_ref if lenient else _original_usages_of_ref
    )
    generic._maybe_read_stream_payload = _stream_payload if lenient else _original_stream_payload


def install() -> None:
    """Idempotent. The patched names are looked up at each call by pyHanko's own code."""
    global _installed
    if not _installed:
        _patch(lenient=True)
        _installed = True


@contextmanager
def suspended() -> Iterator[None]:
    """pyHanko as it is, for comparing with it (tests, benchmarks); not thread-safe."""
    global _installed
    was = _installed
    _patch(lenient=False)
    _installed = False
    try:
        yield
    finally:
        if was:
            install()
