"""The streaming multipart receiver and file-name rules."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docsvc.documents.uploads import ReceivedForm, receive_multipart, safe_filename
from docsvc.errors import InvalidInput, PayloadTooLarge

BOUNDARY = "----docsvc-test-boundary"


def _body(fields: dict[str, str], filename: str, content: bytes) -> bytes:
    parts = []
    for name, value in fields.items():
        header = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{header}{value}\r\n".encode())
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


def _receive(body: bytes, tmp: Path, limit: int, chunk: int = 4096) -> ReceivedForm:
    return asyncio.run(
        receive_multipart(
            f"multipart/form-data; boundary={BOUNDARY}",
            _chunks(body, chunk),
            tmp_dir=tmp,
            max_file_bytes=limit,
        )
    )


@given(content=st.binary(max_size=20_000), chunk=st.integers(min_value=1, max_value=5000))
def test_any_content_in_any_chunking_arrives_intact(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, chunk: int
) -> None:
    tmp = tmp_path_factory.mktemp("uploads")
    form = _receive(_body({"title": "Título ñ"}, "a.pdf", content), tmp, 1 << 20, chunk)
    assert form.fields == {"title": "Título ñ"}
    assert form.file is not None
    assert form.file.path.read_bytes() == content
    assert form.file.sha256 == hashlib.sha256(content).hexdigest()
    assert form.file.size == len(content)
    form.discard()
    assert list(tmp.iterdir()) == []


def test_over_the_limit_stops_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(PayloadTooLarge):
        _receive(_body({}, "a.pdf", b"x" * 10_000), tmp_path, 5_000)
    assert list(tmp_path.iterdir()) == []


def test_malformed_bodies_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        _receive(b"--nope\r\ngarbage", tmp_path, 1000)
    with pytest.raises(InvalidInput, match="multipart"):
        asyncio.run(
            receive_multipart(
                "application/json", _chunks(b"{}", 10), tmp_dir=tmp_path, max_file_bytes=10
            )
        )
    assert list(tmp_path.iterdir()) == []


@given(st.text(min_size=1, max_size=300))
def test_safe_filename_never_returns_a_path(raw: str) -> None:
    try:
        name = safe_filename(raw)
    except InvalidInput:
        return
    assert "/" not in name and "\\" not in name
    assert not name.startswith("..")
    assert all(ord(ch) >= 32 for ch in name)
    assert 0 < len(name) <= 255


@pytest.mark.parametrize("name", ["Oficio Nº 15.pdf", "resolución final (2).pdf", "a.b.c.pdf"])
def test_ordinary_names_are_kept(name: str) -> None:
    assert safe_filename(name) == name
