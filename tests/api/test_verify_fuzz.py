"""Fuzzing the public verification endpoint, bounded: Hypothesis mutates signed PDFs (bytes
flipped, inserted, cut, ByteRange and xref numbers changed, revisions truncated or
duplicated) and every answer must be a report (200) or a clear 4xx, never a 500, never a
hang (each request gets a deadline)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docsvc.app import create_app
from tests.support.backends import Backend

SIGNED = Path(__file__).parents[1] / "data" / "signed"
SAMPLES = [
    (SIGNED / name).read_bytes()
    for name in ("signed_b_b.pdf", "signed_revoked_after_signing_b_lt.pdf", "attack_added_page.pdf")
]
SECONDS_PER_REQUEST = 20


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "cut", "number", "truncate", "repeat"]))
        if not data:  # an earlier cut took everything
            data = bytearray(b"%PDF-1.7\n")
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 4096))]
        elif kind == "number":
            # Change a number where readers trust it most: /ByteRange, xref offsets, /Length.
            numbers = [m.span() for m in re.finditer(rb"\d{2,10}", bytes(data))]
            if numbers:
                start, end = draw(st.sampled_from(numbers))
                data[start:end] = str(draw(st.integers(0, 10**10))).encode()
        elif kind == "truncate":
            del data[at:]
            if not data:
                data = bytearray(b"%PDF-1.7\n")
        else:  # a revision repeated, as a crude incremental update
            data += data[at:]
    return bytes(data)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pdf=mutated())
def test_mutated_signed_pdfs_get_a_report_or_a_4xx(
    client: TestClient, backend: Backend, pdf: bytes
) -> None:
    started = time.monotonic()
    response = client.post("/api/v1/verify", files={"file": ("f.pdf", pdf, "application/pdf")})
    assert time.monotonic() - started < SECONDS_PER_REQUEST
    assert response.status_code in (200, 400, 413, 422), response.text
    body = response.json()
    if response.status_code == 200:
        assert body["verdict"] in ("valid", "invalid", "indeterminate")
        assert body["copy"]["status"] in (
            "identical",
            "earlier_version",
            "later_revision",
            "unknown",
        )
    else:
        assert set(body["error"]) == {"code", "message"}


@pytest.fixture(scope="module")
def client(backend: Backend) -> Iterator[TestClient]:
    """Errors come back as responses, as in production, not raised into the test; and the
    per-client limit is lifted, since every request here comes from one address."""
    settings = backend.settings.model_copy(update={"public_requests_per_minute": 100_000})
    app = create_app(settings, backend.services)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
