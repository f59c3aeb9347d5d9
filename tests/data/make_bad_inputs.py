"""Re-create the broken and hostile upload samples in tests/data/bad_inputs/.

Run from the project root:  .venv/bin/python tests/data/make_bad_inputs.py [--force]
Every sample is deterministic except the two encrypted ones (AES-256 draws a random salt and
IV), so existing files are kept unless --force is given, and re-running does not churn git.
"""

from __future__ import annotations

import io
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pikepdf

from docsvc.demo.sample_pdfs import build_text_pdf

OUT = Path(__file__).parent / "bad_inputs"

# A complete 1x1 JPEG (arithmetic-coded), the smallest well-formed one commonly cited.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300030202020202030202020303030304060404"
    "0404040806060506090809090a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f"
    "101010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2cf20ffd9"
)


def _paragraphs(n: int) -> list[str]:
    return [f"Párrafo {i}: texto de prueba para documentos oficiales." for i in range(n)]


def valid_one_page() -> bytes:
    return build_text_pdf("Oficio de control", _paragraphs(3))


def valid_three_pages() -> bytes:
    return build_text_pdf("Informe de control", _paragraphs(60))


def many_pages() -> bytes:
    """30 pages: over the limit of 25 that the tests configure."""
    return build_text_pdf("Informe extenso", _paragraphs(30), lines_per_page=2)


def truncated() -> bytes:
    """Cut in half, as an interrupted download or upload leaves a file."""
    data = valid_three_pages()
    return data[: len(data) // 2]


def broken_startxref() -> bytes:
    """The startxref offset points into the middle of an object: readers must repair."""
    data = valid_one_page()
    head, _, _ = data.rpartition(b"startxref")
    return head + b"startxref\n17\n%%EOF\n"


def garbage_after_header() -> bytes:
    rng = random.Random(20261122)
    return b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(4096))


def _encrypted(user_password: str) -> bytes:
    with pikepdf.open(io.BytesIO(valid_one_page())) as pdf:
        out = io.BytesIO()
        pdf.save(
            out,
            encryption=pikepdf.Encryption(owner="propietario", user=user_password, R=6),
            static_id=True,
        )
    return out.getvalue()


def encrypted_empty_user_password() -> bytes:
    """Opens in any reader without a password, but is still encrypted."""
    return _encrypted("")


def encrypted_with_password() -> bytes:
    return _encrypted("secreto")


def no_pages() -> bytes:
    pdf = pikepdf.new()
    out = io.BytesIO()
    pdf.save(out, static_id=True)
    return out.getvalue()


def hybrid_xref() -> bytes:
    """A hybrid-reference file: a classic xref table whose trailer also points (/XRefStm)
    at a cross-reference stream. Old and new readers can be made to see different
    objects; we refuse the construction outright."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    content = b"BT /F1 12 Tf 72 770 Td (Hybrid) Tj ET"
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = [0]
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    offsets.append(out.tell())
    out.write(
        b"4 0 obj\n<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n"
    )
    xref_stream_offset = out.tell()
    rows = [bytes([0, 0, 0, 255])]
    rows += [bytes([1, off >> 8, off & 0xFF, 0]) for off in offsets[1:]]
    rows.append(bytes([1, xref_stream_offset >> 8, xref_stream_offset & 0xFF, 0]))
    data = b"".join(rows)
    out.write(
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Length %d >>\nstream\n"
        % len(data)
        + data
        + b"\nendstream\nendobj\n"
    )
    offsets.append(xref_stream_offset)
    table_offset = out.tell()
    out.write(b"xref\n0 6\n0000000000 65535 f \n")
    for off in offsets[1:]:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size 6 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (xref_stream_offset, table_offset)
    )
    return out.getvalue()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "empty.pdf": lambda: b"",
    "truncated.pdf": truncated,
    "broken_startxref.pdf": broken_startxref,
    "garbage_after_header.pdf": garbage_after_header,
    "encrypted_empty_user_password.pdf": encrypted_empty_user_password,
    "encrypted_with_password.pdf": encrypted_with_password,
    "jpeg_named.pdf": lambda: TINY_JPEG,
    "html_named.pdf": lambda: b"<!DOCTYPE html>\n<html><body><h1>Oficio</h1></body></html>\n",
    "hybrid_xref.pdf": hybrid_xref,
    "no_pages.pdf": no_pages,
    "many_pages.pdf": many_pages,
    "valid_one_page.pdf": valid_one_page,
    "valid_three_pages.pdf": valid_three_pages,
}


def main(force: bool) -> None:
    OUT.mkdir(exist_ok=True)
    for name, make in SAMPLES.items():
        target = OUT / name
        if target.exists() and not force:
            continue
        target.write_bytes(make())
        print(f"wrote {target}")


if __name__ == "__main__":
    main(force="--force" in sys.argv[1:])
