"""A document exists only once its bytes are stored: a store failing mid-write leaves no
row, a crash after the write leaves only an orphan, and the cleaner removes orphans."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from docsvc.maintenance.orphans import clean_orphans
from docsvc.models import DocumentVersion, ObjectClaim
from docsvc.object_claims import claim_for_sweep, claim_for_upload, release_sweep
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.faulty_store import FaultyStore
from tests.support.holdings import holdings
from tests.support.pdfs import unique_pdf


@pytest.fixture(scope="module", params=BACKENDS)
def faulty(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Backend, FaultyStore, TestClient]]:
    wrapped: list[FaultyStore] = []

    def wrap(real: object) -> FaultyStore:
        store = FaultyStore(real)  # type: ignore[arg-type]
        wrapped.append(store)
        return store

    backend = build_backend(
        request.param,
        tmp_path_factory.mktemp(f"faulty-{request.param}"),
        request,
        store=wrap,  # type: ignore[arg-type]
    )
    # A crash is a server error: the client must see a 500, not the test an exception.
    with backend.client(raise_server_exceptions=False) as client:
        yield backend, wrapped[0], client
    backend.services.close()


def _post(client: TestClient, headers: dict[str, str], pdf: bytes) -> int:
    response = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "letter", "title": "Prueba de fallo"},
        files={"file": ("f.pdf", pdf, "application/pdf")},
    )
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    return response.status_code


def _every_row_has_its_object(backend: Backend) -> None:
    with backend.services.sessions() as db:
        for sha in db.scalars(select(DocumentVersion.sha256)):
            assert backend.services.store.exists(sha), f"row points to missing object {sha}"


def test_a_store_failing_mid_write_leaves_no_row(
    faulty: tuple[Backend, FaultyStore, TestClient],
) -> None:
    backend, store, client = faulty
    headers = login(client, "registro")
    pdf = unique_pdf(paragraphs=200)
    before = holdings(backend)
    store.mode = "mid_write"
    try:
        status = _post(client, headers, pdf)
    finally:
        store.mode = "none"
    assert status in (500, 503)
    after = holdings(backend)
    assert (after.documents, after.versions) == (before.documents, before.versions)
    assert not store.exists(hashlib.sha256(pdf).hexdigest())
    _every_row_has_its_object(backend)


def test_a_crash_after_the_write_leaves_only_an_orphan_that_is_cleaned(
    faulty: tuple[Backend, FaultyStore, TestClient],
) -> None:
    backend, store, client = faulty
    headers = login(client, "registro")
    kept_pdf, orphan_pdf = unique_pdf(), unique_pdf()
    assert _post(client, headers, kept_pdf) == 201
    before = holdings(backend)
    store.mode = "after_write"
    try:
        assert _post(client, headers, orphan_pdf) == 500
    finally:
        store.mode = "none"
    after = holdings(backend)
    assert (after.documents, after.versions) == (before.documents, before.versions)
    orphan = hashlib.sha256(orphan_pdf).hexdigest()
    assert store.exists(orphan)  # the safe direction: bytes without a row
    _every_row_has_its_object(backend)

    with backend.services.sessions() as db:
        young = clean_orphans(db, store, grace=timedelta(hours=1))
        assert young.deleted == 0 and young.too_young >= 1
        assert store.exists(orphan)
        report = clean_orphans(db, store, grace=timedelta(0), upload_tmp_dir=Path("/nonexistent"))
        db.commit()
    assert report.deleted >= 1
    assert not store.exists(orphan)
    assert store.exists(hashlib.sha256(kept_pdf).hexdigest())
    _every_row_has_its_object(backend)


def test_the_cleaner_never_deletes_bytes_an_upload_is_reusing(
    faulty: tuple[Backend, FaultyStore, TestClient],
) -> None:
    """An orphan's bytes uploaded again are reused by the store; the upload's claim keeps
    the cleaner away until the row is committed, and the cleaner's claim makes an upload
    wait until the delete is over (then the bytes are stored anew)."""
    backend, store, client = faulty
    headers = login(client, "registro")
    pdf = unique_pdf()
    key = hashlib.sha256(pdf).hexdigest()
    store.mode = "after_write"
    try:
        assert _post(client, headers, pdf) == 500
    finally:
        store.mode = "none"
    assert store.exists(key)
    grace = timedelta(seconds=2)
    time.sleep(2.2)  # the orphan is now older than the grace period

    with backend.services.sessions() as db:
        claim_for_upload(db, key)  # an upload of the same bytes has just begun
        report = clean_orphans(db, store, grace=grace)
        db.commit()
    assert report.claimed_by_uploads == 1
    assert store.exists(key)

    # The cleaner holds the key: an upload waits for it, then stores the bytes again.
    with backend.services.sessions() as db:
        db.execute(delete(ObjectClaim).where(ObjectClaim.key == key))
        db.commit()
        assert claim_for_sweep(db, key)
        store.delete(key)
        results: list[int] = []
        uploader = threading.Thread(target=lambda: results.append(_post(client, headers, pdf)))
        uploader.start()
        time.sleep(0.5)
        assert uploader.is_alive()  # waiting on the cleaner's claim
        release_sweep(db, key)
    uploader.join(timeout=30)
    assert results == [201]
    assert store.exists(key)
    _every_row_has_its_object(backend)
