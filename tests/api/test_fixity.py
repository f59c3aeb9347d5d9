"""Fixity audits (docsvc/archival/fixity.py) on both backends: a pass re-reads every stored
file the database points to; one changed behind the service's back (in the S3 server
itself, or on the disk) and one removed are found, raised as alerts with the documents
that hold them, written to the audit trail and shown on the archivist's page in Spanish;
an interrupted pass goes on from where it stopped; the schedule starts one pass per period
and never two jobs at once; restoring the files closes the alerts at the next pass."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from docsvc.archival import fixity
from docsvc.db.base import utcnow
from docsvc.errors import Conflict
from docsvc.jobs.runner import runs_in_app
from docsvc.models import AuditEvent, DocumentVersion, FixityAlert, FixityPass, Job
from storage import LocalObjectStore, S3ObjectStore
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.jobs import job_context
from tests.support.pages import page_text, redirected, submit
from tests.support.register import actor_of

Browser = Callable[[str], TestClient]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"fixity-{request.param}"), request
    )
    yield built
    built.services.close()


@pytest.fixture(autouse=True)
def no_passes_yet(backend: Backend) -> None:
    with backend.services.sessions() as db:
        db.execute(delete(FixityAlert))
        db.execute(delete(FixityPass))
        db.execute(delete(Job).where(Job.kind == fixity.KIND))
        db.commit()


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _keys(backend: Backend) -> list[str]:
    with backend.services.sessions() as db:
        return sorted(set(db.scalars(select(DocumentVersion.sha256))))


def _pass(backend: Backend) -> FixityPass:
    with backend.services.sessions() as db:
        found = db.scalar(select(FixityPass).order_by(FixityPass.started_at.desc()).limit(1))
        assert found is not None
        return found


def _full_pass(backend: Backend) -> FixityPass:
    with backend.services.sessions() as db:
        fixity.start_pass(db)
        db.commit()
    result = fixity.run_audit(backend.services, job_context())
    assert result is not None and "checked" in result, result
    return _pass(backend)


def _change(backend: Backend, key: str, data: bytes) -> None:
    """Replace the object's bytes behind the service's back."""
    store = backend.services.store
    if isinstance(store, S3ObjectStore):
        store._client.put_object(store.bucket, key, io.BytesIO(data), len(data))
    else:
        assert isinstance(store, LocalObjectStore)
        path = store._path(key)
        os.chmod(path, 0o600)
        path.write_bytes(data)


def _remove(backend: Backend, key: str) -> None:
    store = backend.services.store
    if isinstance(store, S3ObjectStore):
        store._client.remove_object(store.bucket, key)
    else:
        assert isinstance(store, LocalObjectStore)
        store._path(key).unlink()


def _original(backend: Backend, key: str) -> bytes:
    return b"".join(backend.services.store.iter_chunks(key))


def test_a_pass_over_an_intact_store_reads_every_file_and_raises_nothing(
    backend: Backend,
) -> None:
    keys = _keys(backend)
    assert len(keys) >= 3
    done = _full_pass(backend)
    assert (done.total, done.checked, done.mismatched, done.missing) == (len(keys), len(keys), 0, 0)
    assert done.finished_at is not None and done.cursor == keys[-1]
    with backend.services.sessions() as db:
        sizes: dict[str, int] = dict(
            db.execute(select(DocumentVersion.sha256, DocumentVersion.size)).all()
        )
        assert db.scalar(select(func.count()).select_from(FixityAlert)) == 0
    assert done.bytes_read == sum(sizes.values())


def test_an_interrupted_pass_goes_on_from_where_it_stopped(backend: Backend) -> None:
    keys = _keys(backend)
    with backend.services.sessions() as db:
        fixity.start_pass(db)
        db.commit()
    paused = fixity.run_audit(backend.services, job_context(stop_after=3))
    assert paused is not None and "paused_at" in paused, paused
    halfway = _pass(backend)
    assert halfway.finished_at is None
    assert 1 <= halfway.checked < len(keys)
    assert halfway.cursor == keys[halfway.checked - 1]
    fixity.run_audit(backend.services, job_context())
    done = _pass(backend)
    assert done.finished_at is not None
    assert done.checked == len(keys)  # none read twice, none left out


def test_changed_and_missing_files_are_found_shown_and_closed_once_restored(
    backend: Backend, browser_as: Browser
) -> None:
    keys = _keys(backend)
    changed_key, removed_key = keys[0], keys[-1]
    changed_bytes, removed_bytes = _original(backend, changed_key), _original(backend, removed_key)
    _change(backend, changed_key, changed_bytes[:-10] + b"%%EOF\n\x00\x00\x00\x00")
    _remove(backend, removed_key)
    try:
        # The archivist starts a check from the page; the job is queued.
        archivist = browser_as("archivista")
        hub = archivist.get("/archivo")
        assert 'href="/archivo/integridad"' in hub.text
        started = submit(archivist, "/archivo/integridad", "/archivo/integridad/comprobar")
        redirected(started, r"/archivo/integridad\?hecho=fixity_requested")
        with backend.services.sessions() as db:
            assert db.scalar(select(Job).where(Job.kind == fixity.KIND)) is not None
        if runs_in_app(backend.settings):
            # The serving process runs the job queue itself (make run's default).
            _wait(lambda: _pass(backend).finished_at is not None)
        else:  # a docsvc worker would; none runs here
            fixity.run_audit(backend.services, job_context())
        done = _pass(backend)
        assert (done.checked, done.mismatched, done.missing) == (len(keys), 1, 1)

        with backend.services.sessions() as db:
            alerts = {(a.object_key, a.problem) for a in db.scalars(select(FixityAlert))}
            events = {
                (e.action, e.object_id)
                for e in db.scalars(select(AuditEvent).where(AuditEvent.action.like("fixity.%")))
            }
        assert alerts == {(changed_key, "mismatch"), (removed_key, "missing")}
        assert {("fixity.mismatch", changed_key), ("fixity.missing", removed_key)} <= events

        page = archivist.get("/archivo/integridad")
        assert page.status_code == 200 and '<html lang="es"' in page.text
        text = page_text(page.text)
        for phrase in (
            "Comprobaciones de integridad",
            "2 archivos guardados están modificados o faltan.",
            "Modificado",
            "Falta",
            changed_key,
            removed_key,
        ):
            assert phrase in text, (phrase, text)
        # A second pass does not raise the same alerts again.
        _full_pass(backend)
        with backend.services.sessions() as db:
            assert db.scalar(select(func.count()).select_from(FixityAlert)) == 2
        # Someone without an archive role does not see the page.
        assert browser_as("rrhh").get("/archivo/integridad").status_code == 403
    finally:
        _put_back(backend, changed_key, changed_bytes)
        _put_back(backend, removed_key, removed_bytes)
    # Restored (from a backup): the next pass closes both alerts.
    _full_pass(backend)
    with backend.services.sessions() as db:
        open_alerts = db.scalar(
            select(func.count()).select_from(FixityAlert).where(FixityAlert.resolved_at.is_(None))
        )
        restored = db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "fixity.restored")
        )
    assert (open_alerts, restored) == (0, 2)
    text = page_text(browser_as("archivista").get("/archivo/integridad").text)
    assert "Ningún archivo guardado está modificado ni falta." in text
    assert "Problemas resueltos últimamente" in text


def _put_back(backend: Backend, key: str, data: bytes) -> None:
    """What restoring the file from a backup does."""
    store = backend.services.store
    if isinstance(store, S3ObjectStore):
        store._client.put_object(store.bucket, key, io.BytesIO(data), len(data))
        return
    assert isinstance(store, LocalObjectStore)
    path = store._path(key)
    if path.exists():
        os.chmod(path, 0o600)
    path.write_bytes(data)
    os.chmod(path, 0o400)


def test_the_schedule_starts_one_pass_a_period_and_one_job_at_a_time(backend: Backend) -> None:
    services = backend.services
    assert fixity.fixity_upkeep(services) is True
    assert fixity.fixity_upkeep(services) is False  # a job is queued already
    # An archivist's "check now" meanwhile is refused: the check is under way.
    with services.sessions() as db, pytest.raises(Conflict) as refused:
        fixity.request_pass(db, services, actor_of(backend, "archivista"))
    assert refused.value.code == "fixity_running"
    with services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(FixityPass)) == 1
    fixity.run_audit(services, job_context())
    with services.sessions() as db:
        db.execute(delete(Job).where(Job.kind == fixity.KIND))
        db.commit()
    # The pass is over and the next is not due yet.
    assert fixity.fixity_upkeep(services) is False
    later = utcnow() + timedelta(days=services.settings.fixity_every_days, minutes=1)
    assert fixity.fixity_upkeep(services, now=later) is True
    with services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(FixityPass)) == 2
