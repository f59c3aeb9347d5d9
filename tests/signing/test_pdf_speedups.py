"""The fast hex-string reader gives exactly what pyHanko's own reader gives, errors included,
and leaves the stream at the same place."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import pdf_speedups

ORIGINAL = pdf_speedups._original

ALPHABET = st.sampled_from([*b"0123456789abcdefABCDEF", *b" \n\r\t\x00\x0c", *b"%>gZ<()\x80"])


def _outcome(reader: object, data: bytes) -> tuple[str, object, int]:
    stream = io.BytesIO(data)
    try:
        value = reader(stream)  # type: ignore[operator]
    except Exception as exc:
        return ("error", type(exc).__name__, stream.tell())
    return ("ok", (type(value).__name__, bytes(value.original_bytes)), stream.tell())


@settings(max_examples=400)
@given(st.lists(ALPHABET, max_size=60).map(bytes), st.binary(max_size=8))
def test_same_result_as_pyhanko_for_any_input(body: bytes, tail: bytes) -> None:
    data = b"<" + body + tail
    assert _outcome(pdf_speedups.read_hex_string_from_stream, data) == _outcome(ORIGINAL, data)


@pytest.mark.parametrize(
    "data",
    [b"<>", b"<41>", b"<4>", b"<4 1\n42>rest", b"<%comment\n41>", b"<41", b"<4x>", b"<FEFF0041>"],
)
def test_edge_cases(data: bytes) -> None:
    assert _outcome(pdf_speedups.read_hex_string_from_stream, data) == _outcome(ORIGINAL, data)


def test_a_long_signature_sized_string_is_decoded_in_one_go() -> None:
    payload = bytes(range(256)) * 100
    data = b"<" + payload.hex().encode() + b"> endobj"
    stream = io.BytesIO(data)
    value = pdf_speedups.read_hex_string_from_stream(stream)
    assert bytes(value.original_bytes) == payload
    assert stream.read() == b" endobj"
