"""The revision prefixes of an uploaded copy, found in one chunked pass, agree with a plain
search over the whole file, whatever the chunk size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docsvc.verification import copies


def _reference(data: bytes) -> list[tuple[int, str]]:
    found, start = [], 0
    while (at := data.find(b"%%EOF", start)) != -1:
        end = at + 5
        found.append(end)
        for eol in (b"\r\n", b"\n", b"\r"):
            if data.startswith(eol, end):
                end += len(eol)
                found.append(end)
                break
        start = end
    return [(n, hashlib.sha256(data[:n]).hexdigest()) for n in found]


pieces = st.lists(
    st.sampled_from([b"%%EOF", b"%%EOF\n", b"%%EOF\r\n", b"%%EOF\r", b"\n", b"%%", b"EOF", b"x"])
    | st.binary(max_size=12),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(parts=pieces, chunk=st.integers(min_value=1, max_value=40))
def test_prefixes_match_a_whole_file_search(
    parts: list[bytes], chunk: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = b"".join(parts)
    path = tmp_path_factory.mktemp("copy") / "f.pdf"
    path.write_bytes(data)
    original = copies._CHUNK
    copies._CHUNK = chunk
    try:
        assert copies.revision_prefix_hashes(path) == _reference(data)
    finally:
        copies._CHUNK = original


def test_a_real_signed_pdf_has_its_unsigned_original_as_a_prefix(tmp_path: Path) -> None:
    unsigned = b"%PDF-1.7\n...\n%%EOF\n"
    signed = unsigned + b"update\n%%EOF\n"
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    lengths = [n for n, _ in copies.revision_prefix_hashes(path)]
    assert len(unsigned) in lengths and len(signed) in lengths
