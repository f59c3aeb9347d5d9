"""Re-create the files in tests/data/hostile/: PDFs that attack the verifier itself.

Run from the project root:  .venv/bin/python tests/data/make_hostile_verification.py

Each is ``signed/signed_b_b.pdf`` (a valid B-B signature) plus incremental updates written
byte by byte, since a PDF library would "fix" what they get wrong on purpose:

- ``many_revisions.pdf``: 2,000 empty updates. pyHanko's difference analysis compares
  each revision with the signed one, in time that grows with the square of their number:
  about 20 s of CPU from a file of 290 KB. It tests the time limit per verification.
- ``object_stream_bomb.pdf``: an update whose object stream, behind two stacked
  ``/FlateDecode`` filters, expands from 17 KB to 1 GiB. Reading the object (which the
  update redefines) decodes the stream; the decompression limits stop it.
- ``xmp_bomb.pdf``: an update that points the catalog's ``/Metadata`` to a 1 GiB XMP
  stream, behind two filters. Difference analysis reads XMP to check it is well formed.
- ``xref_flood.pdf``: an update whose cross-reference stream lists 9 million objects:
  63 MB once decoded (within the decompression limits, at a ratio one layer of Deflate
  reaches), from a file of 107 KB. pyHanko keeps an entry per object: 5 GB of memory and
  more than three minutes. It tests the memory limit per verification.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "hostile"
SIGNED = HERE / "signed" / "signed_b_b.pdf"
BOMB_BYTES = 1 << 30


def _double_flate(prefix: bytes, size: int) -> bytes:
    """``prefix`` then spaces up to ``size`` bytes, deflated twice."""
    inner = zlib.compressobj(9)
    parts = [inner.compress(prefix)]
    block = b" " * (1 << 20)
    parts += [inner.compress(block) for _ in range(size >> 20)]
    parts.append(inner.flush())
    return zlib.compress(b"".join(parts), 9)


def _last(pattern: bytes, data: bytes) -> bytes:
    found = re.findall(pattern, data)
    assert found, pattern
    return found[-1]


def _xref_stream_update(data: bytes, objects: dict[int, bytes], packed: dict[int, int]) -> bytes:
    """Append ``objects`` (number -> body), a cross-reference stream listing them and every
    object in ``packed`` (number -> the object stream holding it, at index 0)."""
    start = int(_last(rb"startxref\s+(\d+)", data))
    root = _last(rb"/Root (\d+ \d+ R)", data).decode()
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_number = max([*objects, *packed]) + 1
    offsets[xref_number] = len(out)
    rows = {n: (1, offset, 0) for n, offset in offsets.items()}
    rows.update({n: (2, holder, 0) for n, holder in packed.items()})
    numbers = sorted(rows)
    raw = b"".join(
        bytes([rows[n][0]]) + rows[n][1].to_bytes(4, "big") + rows[n][2].to_bytes(2, "big")
        for n in numbers
    )
    index = " ".join(f"{n} 1" for n in numbers)
    out += (
        f"{xref_number} 0 obj\n<< /Type /XRef /Size {xref_number + 1} /W [1 4 2] "
        f"/Index [{index}] /Root {root} /Prev {start} /Length {len(raw)} >>\nstream\n"
    ).encode()
    out += raw + b"\nendstream\nendobj\n"
    out += f"startxref\n{offsets[xref_number]}\n%%EOF\n".encode()
    return bytes(out)


def many_revisions(signed: bytes, count: int = 2000) -> bytes:
    out = bytearray(signed)
    start = int(_last(rb"startxref\s+(\d+)", signed))
    size = int(_last(rb"/Size (\d+)", signed))
    root = _last(rb"/Root (\d+ \d+ R)", signed).decode()
    for i in range(count):
        number = size + i
        offset = len(out)
        out += f"{number} 0 obj\n<< /N {i} >>\nendobj\n".encode()
        xref = len(out)
        out += (
            f"xref\n{number} 1\n{offset:010d} 00000 n \ntrailer\n"
            f"<< /Size {number + 1} /Root {root} /Prev {start} >>\nstartxref\n{xref}\n%%EOF\n"
        ).encode()
        start = xref
    return bytes(out)


def object_stream_bomb(signed: bytes) -> bytes:
    size = int(_last(rb"/Size (\d+)", signed))
    target = int(_last(rb"/Info (\d+) 0 R", signed))  # redefined inside the bomb
    header = f"{target} 0 ".encode()
    data = _double_flate(header + b"<< /Producer (bomb) >>", BOMB_BYTES)
    holder = size
    body = (
        (
            f"<< /Type /ObjStm /N 1 /First {len(header)} /Filter [/FlateDecode /FlateDecode] "
            f"/Length {len(data)} >>\nstream\n"
        ).encode()
        + data
        + b"\nendstream"
    )
    return _xref_stream_update(signed, {holder: body}, {target: holder})


def xmp_bomb(signed: bytes) -> bytes:
    size = int(_last(rb"/Size (\d+)", signed))
    root = int(_last(rb"/Root (\d+) 0 R", signed))
    catalog = list(re.finditer(rf"\n{root} 0 obj\s*(<<.*?>>)\s*endobj".encode(), signed, re.S))[-1]
    metadata = size
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- '
    data = _double_flate(xmp, BOMB_BYTES)
    stream = (
        (
            f"<< /Type /Metadata /Subtype /XML /Filter [/FlateDecode /FlateDecode] "
            f"/Length {len(data)} >>\nstream\n"
        ).encode()
        + data
        + b"\nendstream"
    )
    new_catalog = re.sub(rb"/Metadata \d+ 0 R", b"", catalog.group(1))
    new_catalog = new_catalog[:-2] + f" /Metadata {metadata} 0 R >>".encode()
    return _xref_stream_update(signed, {metadata: stream, root: new_catalog}, {})


def xref_flood(signed: bytes, count: int = 9_000_000) -> bytes:
    start = int(_last(rb"startxref\s+(\d+)", signed))
    root = _last(rb"/Root (\d+ \d+ R)", signed).decode()
    size = int(_last(rb"/Size (\d+)", signed))
    out = bytearray(signed if signed.endswith(b"\n") else signed + b"\n")
    offset = len(out)
    own = bytes([1]) + offset.to_bytes(4, "big") + (0).to_bytes(2, "big")
    junk = bytes([1]) + (0).to_bytes(4, "big") + (0).to_bytes(2, "big")  # all at offset 0
    deflate = zlib.compressobj(9)
    parts = [deflate.compress(own)]
    block, done = 100_000, 0
    while done + block <= count:
        parts.append(deflate.compress(junk * block))
        done += block
    parts += [deflate.compress(junk * (count - done)), deflate.flush()]
    data = b"".join(parts)
    out += (
        f"{size} 0 obj\n<< /Type /XRef /Size {size + 1 + count} /W [1 4 2] "
        f"/Index [{size} {count + 1}] /Root {root} /Prev {start} /Filter /FlateDecode "
        f"/Length {len(data)} >>\nstream\n"
    ).encode()
    out += data + b"\nendstream\nendobj\n"
    out += f"startxref\n{offset}\n%%EOF\n".encode()
    return bytes(out)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    signed = SIGNED.read_bytes()
    (OUT / "many_revisions.pdf").write_bytes(many_revisions(signed))
    (OUT / "object_stream_bomb.pdf").write_bytes(object_stream_bomb(signed))
    (OUT / "xmp_bomb.pdf").write_bytes(xmp_bomb(signed))
    (OUT / "xref_flood.pdf").write_bytes(xref_flood(signed))
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}")


if __name__ == "__main__":
    main()
