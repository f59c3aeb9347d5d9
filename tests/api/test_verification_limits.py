"""Files that attack the verifier itself get a clear 4xx within the limits, and the
service keeps answering: the time limit kills the worker process, the decompression limits
stop bombs, the memory limit catches what the decompression limits let through.
The files are made by ``tests/data/make_hostile_verification.py``."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from tests.support.backends import Backend, build_backend

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
SIGNED = Path(__file__).parents[1] / "data" / "signed" / "signed_b_b.pdf"


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("limits"), request, pki=True)
    yield built
    built.services.close()


def _client(backend: Backend, **limits: object) -> TestClient:
    settings = backend.settings.model_copy(update={"verify_processes": 1, **limits})
    return TestClient(create_app(settings, backend.services))


def _post(client: TestClient, path: Path) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.post(
        "/api/v1/verify", files={"file": (path.name, path.read_bytes(), "application/pdf")}
    )
    return response.status_code, response.json(), time.monotonic() - started


def test_a_verification_past_the_time_limit_is_killed_and_the_next_one_works(
    backend: Backend,
) -> None:
    with _client(backend, verify_seconds=2) as client:
        status, body, _ = _post(client, SIGNED)
        assert status == 200 and body["verdict"] == "indeterminate"  # a foreign root
        pool = client.app.state.services.verifier  # type: ignore[attr-defined]
        (worker_pid,) = pool.idle_pids()
        # 2,000 revisions take pyHanko's difference analysis about 20 s.
        status, body, took = _post(client, HOSTILE / "many_revisions.pdf")
        assert status == 422, body
        assert body["error"]["code"] == "verification_time_limit"
        assert "2 seconds" in body["error"]["message"]
        assert took < 8
        # The worker that ran it is gone; a new one answers the next request.
        status, body, _ = _post(client, SIGNED)
        assert status == 200 and body["signatures"][0]["intact"] is True
        assert worker_pid not in pool.idle_pids() and len(pool.idle_pids()) == 1
        assert not psutil.pid_exists(worker_pid) or (
            psutil.Process(worker_pid).status() == psutil.STATUS_ZOMBIE
        )


def test_decompression_bombs_are_stopped(backend: Backend) -> None:
    with _client(backend) as client:
        status, body, took = _post(client, HOSTILE / "object_stream_bomb.pdf")
        assert status == 422, body
        assert body["error"]["code"] == "decompression_limit"
        assert "64 MB per stream" in body["error"]["message"]
        assert took < 5
        # A bomb in the metadata an update adds: the update is refused, not decoded.
        status, body, took = _post(client, HOSTILE / "xmp_bomb.pdf")
        assert status == 200, body
        assert body["verdict"] == "invalid"
        assert body["signatures"][0]["modifications_after"] == "other"
        assert took < 5


def test_the_memory_limit_catches_what_the_decompression_limits_let_through(
    backend: Backend,
) -> None:
    # 9 million cross-reference entries from 107 KB: 63 MB decoded, 5 GB in pyHanko.
    with _client(backend, verify_memory_mb=320) as client:
        status, body, _ = _post(client, SIGNED)
        assert status == 200
        status, body, took = _post(client, HOSTILE / "xref_flood.pdf")
        assert status == 422, body
        assert body["error"]["code"] == "verification_memory_limit"
        assert "320 MB" in body["error"]["message"]
        assert took < 20
        status, body, _ = _post(client, SIGNED)
        assert status == 200, body


def test_verifiers_are_shared_per_configuration(backend: Backend) -> None:
    settings = backend.settings
    assert settings.verifier_processes == min(os.cpu_count() or 1, 4)
    services = backend.services
    assert services.verifier is services.verifier
    # A copy of the registry (an application's) shares the pool of the same configuration.
    assert dataclasses.replace(services).verifier is services.verifier
    other = dataclasses.replace(
        services, settings=settings.model_copy(update={"verify_processes": 1})
    )
    assert other.verifier is not services.verifier


def test_the_readme_lists_every_hostile_file() -> None:
    readme = (HOSTILE.parent / "README.md").read_text()
    section = readme.split("## hostile/", 1)[1].split("\n## ")[0]
    listed = set(re.findall(r"^\| `([^`]+\.pdf)` \|", section, flags=re.MULTILINE))
    assert listed == {p.name for p in HOSTILE.glob("*.pdf")}


BAD = Path(__file__).parents[1] / "data" / "bad_inputs"
REFUSED = {
    "empty.pdf": "unreadable_pdf",
    "jpeg_named.pdf": "unreadable_pdf",
    "png_named.pdf": "unreadable_pdf",
    "docx_named.pdf": "unreadable_pdf",
    "html_named.pdf": "unreadable_pdf",
    "truncated.pdf": "unreadable_pdf",
    "broken_startxref.pdf": "unreadable_pdf",
    "garbage_after_header.pdf": "unreadable_pdf",
    "encrypted_with_password.pdf": "pdf_encrypted",
    "encrypted_for_certificates.pdf": "pdf_encrypted",
}


@pytest.mark.parametrize("path", sorted(BAD.glob("*.pdf")), ids=lambda p: p.name)
def test_broken_and_encrypted_files_get_a_report_or_a_clear_400(
    backend: Backend, path: Path
) -> None:
    """The upload checks' hostile files, at the public endpoint: unreadable and encrypted
    ones get a 400 that says so; the others (unsigned) a report that says there is no
    signature. Encrypted files that open without a password are verified."""
    with _client(backend) as client:
        status, body, _ = _post(client, path)
    if path.name in REFUSED:
        assert status == 400, body
        assert body["error"]["code"] == REFUSED[path.name]
        assert "Traceback" not in body["error"]["message"]
    else:
        assert status == 200, body
        assert body["verdict"] == "indeterminate"
        assert body["reasons"] == ["the document has no signature"]
