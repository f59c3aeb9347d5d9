"""Re-create the broken and hostile upload samples in tests/data/bad_inputs/.

Run from the project root:

    .venv/bin/python tests/data/make_bad_inputs.py           # write what changed
    .venv/bin/python tests/data/make_bad_inputs.py --check   # exit 1 if a file is stale
    .venv/bin/python tests/data/make_bad_inputs.py --force   # also redo the AES-256 files

Every sample is byte-for-byte reproducible except the two AES-256 ones: AES draws a random
salt and IV, and qpdf offers no way to seed it. Those are kept as committed unless --force is
given, so that re-running does not churn git.
"""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf

from docsvc.demo.sample_pdfs import build_text_pdf

OUT = Path(__file__).parent / "bad_inputs"
NOT_REPRODUCIBLE = frozenset({"encrypted_empty_user_password.pdf", "encrypted_with_password.pdf"})

# A complete 1x1 greyscale JPEG (JFIF, arithmetic-coded): the smallest well-formed one.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300030202020202030202020303030304060404"
    "0404040806060506090809090a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f"
    "101010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2cf20ffd9"
)


def _paragraphs(n: int) -> list[str]:
    return [f"Párrafo {i}: texto de prueba para documentos oficiales." for i in range(n)]


def _save(pdf: pikepdf.Pdf, **options: Any) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


# Controls ------------------------------------------------------------------------------


def valid_one_page() -> bytes:
    return build_text_pdf("Oficio de control", _paragraphs(3))


def valid_three_pages() -> bytes:
    return build_text_pdf("Informe de control", _paragraphs(60))


# Not PDFs -------------------------------------------------------------------------------


def png_named() -> bytes:
    """A 1x1 grey PNG, the usual phone screenshot sent instead of the document."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80", 9))
        + chunk(b"IEND", b"")
    )


def docx_named() -> bytes:
    """A minimal Word document: the draft uploaded instead of the signed PDF."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="xml" '
            'ContentType="application/xml"/></Types>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Oficio'
            "</w:t></w:r></w:p></w:body></w:document>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            # A fixed timestamp and host keep the archive byte-for-byte reproducible.
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 22, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            archive.writestr(info, text)
    return out.getvalue()


# Damaged PDFs ----------------------------------------------------------------------------


def truncated() -> bytes:
    """Cut in half, as an interrupted download or upload leaves a file."""
    data = valid_three_pages()
    return data[: len(data) // 2]


def broken_startxref() -> bytes:
    """The startxref offset points into the middle of an object: readers must repair."""
    head, _, _ = valid_one_page().rpartition(b"startxref")
    return head + b"startxref\n17\n%%EOF\n"


def garbage_after_header() -> bytes:
    rng = random.Random(20261122)
    return b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(4096))


def trailer_size_lie() -> bytes:
    """/Size understates the object count, to slip under an object limit that trusts it."""
    return re.sub(rb"/Size \d+", b"/Size 3", valid_one_page(), count=1)


def page_tree_loop() -> bytes:
    """The page tree lists itself as a kid: a naive page walk never ends."""
    catalog, _, page = _ONE_EMPTY_PAGE
    return _hand_built([catalog, b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>", page])


# Refused on purpose ------------------------------------------------------------------------


def _encrypted(user_password: str, *, aes: bool) -> bytes:
    with pikepdf.open(io.BytesIO(valid_one_page())) as pdf:
        # RC4 cannot encrypt the metadata separately; AES-256 (R=6) is what tools make today.
        encryption = (
            pikepdf.Encryption(owner="propietario", user=user_password, R=6)
            if aes
            else pikepdf.Encryption(
                owner="propietario", user=user_password, R=3, aes=False, metadata=False
            )
        )
        return _save(pdf, encryption=encryption, static_id=True)


def encrypted_empty_user_password() -> bytes:
    """Opens in any reader without a password, but is still encrypted."""
    return _encrypted("", aes=True)


def encrypted_rc4_empty_user_password() -> bytes:
    """The classic "restrict printing" file from older office tools: RC4-128 with only an
    owner password. Reproducible, because RC4 keys derive from the passwords and the /ID."""
    return _encrypted("", aes=False)


def encrypted_with_password() -> bytes:
    return _encrypted("secreto", aes=True)


def encrypted_for_certificates() -> bytes:
    """Certificate security (Adobe.PubSec): only holders of the recipients' keys can open
    it, and qpdf cannot open it at all."""
    encrypt = (
        b"<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /R 4 /Length 128 "
        b"/Recipients [<3003020100>] /P -3904 >>"
    )
    return _hand_built([*_ONE_EMPTY_PAGE, encrypt], trailer=b"/Encrypt 4 0 R /ID [<0102><0102>]")


def no_pages() -> bytes:
    return _save(pikepdf.new(), static_id=True)


def many_pages() -> bytes:
    """30 pages: over the limit of 25 that the tests configure."""
    return build_text_pdf("Informe extenso", _paragraphs(30), lines_per_page=2)


def many_objects() -> bytes:
    """A one-page PDF carrying 1,200 extra objects: over the tests' limit of 1,000."""
    with pikepdf.open(io.BytesIO(valid_one_page())) as pdf:
        pdf.Root.Relleno = pikepdf.Array(
            [pdf.make_indirect(pikepdf.Dictionary(N=i)) for i in range(1200)]
        )
        return _save(pdf, deterministic_id=True)


# Hybrid-reference files -----------------------------------------------------------------------


def hybrid_xref() -> bytes:
    """Two readers, two documents: the xref table marks the page's content (object 4) as
    free and the cross-reference stream that /XRefStm points to supplies it. qpdf follows
    the table and shows an empty page; poppler finds object 4 and shows "APROBADO"."""
    return _hybrid(b"/XRefStm")


def hybrid_xref_escaped_name() -> bytes:
    """The same, with the key spelt /XRef#53tm, which every reader decodes to /XRefStm but a
    plain byte search misses."""
    return _hybrid(b"/XRef#53tm")


def hybrid_xref_in_earlier_revision() -> bytes:
    """A hybrid file followed by an incremental update with a plain trailer, so that the
    trailer a reader sees first has no /XRefStm."""
    base = hybrid_xref()
    previous_xref = int(base.rsplit(b"startxref", 1)[1].split()[0])
    info_offset = len(base)
    body = b"8 0 obj\n<< /Producer (Editor) >>\nendobj\n"
    xref_offset = info_offset + len(body)
    update = (
        body
        + b"xref\n0 1\n0000000000 65535 f \n8 1\n%010d 00000 n \n" % info_offset
        + b"trailer\n<< /Size 9 /Root 1 0 R /Info 8 0 R /Prev %d >>\n" % previous_xref
        + b"startxref\n%d\n%%%%EOF\n" % xref_offset
    )
    return base + update


def _hybrid(key: bytes) -> bytes:
    content = b"BT /F1 36 Tf 72 700 Td (APROBADO) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    # Object 6: a cross-reference stream that knows only object 4.
    stream_offset = out.tell()
    row = struct.pack(">BIB", 1, offsets[3], 0)
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /Index [4 1] /W [1 4 1] /Length %d >>\nstream\n"
        % len(row)
        + row
        + b"\nendstream\nendobj\n"
    )
    table_offset = out.tell()
    out.write(b"xref\n0 7\n0000000000 65535 f \n")
    for number, offset in enumerate([*offsets, stream_offset], start=1):
        # Object 4 is "free" in the table, so only readers that follow /XRefStm find it.
        out.write(b"0000000000 00001 f \n" if number == 4 else b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size 7 /Root 1 0 R %s %d >>\n" % (key, stream_offset))
    out.write(b"startxref\n%d\n%%%%EOF\n" % table_offset)
    return out.getvalue()


_ONE_EMPTY_PAGE = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
)


def _hand_built(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    table_offset = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % table_offset)
    return out.getvalue()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "empty.pdf": lambda: b"",
    "jpeg_named.pdf": lambda: TINY_JPEG,
    "png_named.pdf": png_named,
    "docx_named.pdf": docx_named,
    "html_named.pdf": lambda: b"<!DOCTYPE html>\n<html><body><h1>Oficio</h1></body></html>\n",
    "truncated.pdf": truncated,
    "broken_startxref.pdf": broken_startxref,
    "garbage_after_header.pdf": garbage_after_header,
    "trailer_size_lie.pdf": trailer_size_lie,
    "page_tree_loop.pdf": page_tree_loop,
    "encrypted_empty_user_password.pdf": encrypted_empty_user_password,
    "encrypted_rc4_empty_user_password.pdf": encrypted_rc4_empty_user_password,
    "encrypted_with_password.pdf": encrypted_with_password,
    "encrypted_for_certificates.pdf": encrypted_for_certificates,
    "hybrid_xref.pdf": hybrid_xref,
    "hybrid_xref_escaped_name.pdf": hybrid_xref_escaped_name,
    "hybrid_xref_in_earlier_revision.pdf": hybrid_xref_in_earlier_revision,
    "no_pages.pdf": no_pages,
    "many_pages.pdf": many_pages,
    "many_objects.pdf": many_objects,
    "valid_one_page.pdf": valid_one_page,
    "valid_three_pages.pdf": valid_three_pages,
}


def main(argv: list[str]) -> int:
    force, check = "--force" in argv, "--check" in argv
    OUT.mkdir(exist_ok=True)
    stale = []
    for name, make in SAMPLES.items():
        target = OUT / name
        if target.exists() and name in NOT_REPRODUCIBLE and not force:
            continue
        data = make()
        if target.exists() and target.read_bytes() == data:
            continue
        if check:
            stale.append(name)
            continue
        target.write_bytes(data)
        print(f"wrote {target}")
    if stale:
        print("stale, re-run without --check:", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
