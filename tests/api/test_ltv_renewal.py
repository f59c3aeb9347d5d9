"""Long-term validation renewal of the archive (docsvc/archival/renewal.py) on both
backends: a B-LT document entering the archive is raised to B-LTA at the next run, as a
new version made by the service with its register leaf; a B-LTA one is left alone until
its renewal date comes within the horizon; an interrupted run goes on where it stopped; a
renewal that fails is noted, shown to the archivist in Spanish and tried again; documents
outside the archive are never touched. (The clock moved past the authority's expiry is
signing/test_ltv.py's: the chain these renewals build is verified there link by link.)"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from docsvc.archival import renewal
from docsvc.archival.renewal_queue import KIND, request_run
from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PIN
from docsvc.jobs.handlers import RetryLater
from docsvc.jobs.runner import runs_in_app
from docsvc.ledger.audit import Findings
from docsvc.models import (
    ArchiveHolding,
    ArchivePhase,
    AuditEvent,
    ClassificationNode,
    Document,
    DocumentVersion,
    Job,
    LogLeaf,
    RenewalState,
    RenewalStatus,
)
from docsvc.organisation.repository import user_by_username
from docsvc.pki.authorities import trust_anchors
from docsvc.register.metadata_check import check_metadata
from signing.verification import VerificationPolicy, verify
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.documents import upload
from tests.support.jobs import job_context, wait_for_job
from tests.support.pages import page_text, redirected, submit
from tests.support.pdfs import unique_pdf

Browser = Callable[[str], TestClient]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"ltv-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(autouse=True)
def nothing_archived_yet(backend: Backend) -> None:
    with backend.services.sessions() as db:
        db.execute(delete(RenewalState))
        db.execute(delete(ArchiveHolding).where(ArchiveHolding.document_id.is_not(None)))
        db.execute(delete(Job).where(Job.kind == KIND))
        db.commit()


def _signed(client: TestClient, level: str) -> uuid.UUID:
    me = login(client, "ministra")
    document = upload(client, me, unique_pdf(f"Resolución {level}"), title=f"Resolución {level}")
    signed = client.post(
        f"/api/v1/documents/{document['id']}/signatures",
        headers=me,
        json={"pin": DEMO_PIN, "level": level},
    )
    assert signed.status_code == 201, signed.text
    return uuid.UUID(str(document["id"]))


def _archive(backend: Backend, document_id: uuid.UUID) -> None:
    """File the document in the central archive (what an acknowledged archival transfer
    does; test_archive_transfer.py walks that path and sees the run asked for)."""
    with backend.services.sessions() as db:
        document = db.get(Document, document_id)
        user = user_by_username(db, "archivista")
        node = db.scalar(select(ClassificationNode.id).limit(1))
        assert document is not None and user is not None and node is not None
        db.add(
            ArchiveHolding(
                document_id=document_id,
                node_id=node,
                department_id=document.owning_department_id,
                phase=ArchivePhase.central.value,
                filed_by_id=user.id,
            )
        )
        db.commit()


def _versions(backend: Backend, document_id: uuid.UUID) -> list[DocumentVersion]:
    with backend.services.sessions() as db:
        rows = list(
            db.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.document_id == document_id)
                .order_by(DocumentVersion.number)
            )
        )
        for row in rows:
            db.expunge(row)
        return rows


def _state(backend: Backend, document_id: uuid.UUID) -> RenewalState | None:
    with backend.services.sessions() as db:
        state = db.get(RenewalState, document_id)
        if state is not None:
            db.expunge(state)
        return state


def _report(backend: Backend, key: str, tmp_path: Path) -> tuple[str, str, int]:
    path = tmp_path / f"{key}.pdf"
    path.write_bytes(b"".join(backend.services.store.iter_chunks(key)))
    report = verify(path, VerificationPolicy(trust_anchors(backend.settings))).report
    return report.verdict, report.signatures[0].level, len(report.signatures)


def test_a_b_lt_document_entering_the_archive_is_raised_to_b_lta(
    backend: Backend, client: TestClient, tmp_path: Path
) -> None:
    raised, kept, outside = (_signed(client, level) for level in ("B-LT", "B-LTA", "B-LT"))
    _archive(backend, raised)
    _archive(backend, kept)
    before = {doc: _versions(backend, doc) for doc in (raised, kept, outside)}

    result = renewal.run_renewal(backend.services, job_context())
    assert result == {"read": 2, "renewed": 1, "failed": 0}

    # The B-LT one has a new version, made by the service, B-LTA and valid.
    versions = _versions(backend, raised)
    assert len(versions) == len(before[raised]) + 1
    new = versions[-1]
    assert new.author_id is None and new.reason == renewal.RENEWAL_REASON
    assert _report(backend, new.sha256, tmp_path) == ("valid", "B-LTA", 1)
    state = _state(backend, raised)
    assert state is not None and state.version == new.number
    assert state.status == RenewalStatus.current and state.archive_timestamps == 1
    assert state.renew_by is not None and state.renewed_at is not None
    with backend.services.sessions() as db:
        leaves = list(
            db.scalars(
                select(LogLeaf).where(
                    LogLeaf.kind == "document.version", LogLeaf.object_id == str(raised)
                )
            )
        )
        assert len(leaves) == len(versions)
        events = {
            (e.action, e.object_id)
            for e in db.scalars(select(AuditEvent).where(AuditEvent.action.like("preservation.%")))
        }
        assert ("preservation.renewed", str(raised)) in events
        # The register still agrees with the rows: the service's version is "by" docsvc.
        findings = Findings()
        check_metadata(db, findings)
        assert findings.ok, findings.problems
    # The B-LTA one is protected for years: left alone. The one outside: never read.
    assert len(_versions(backend, kept)) == len(before[kept])
    kept_state = _state(backend, kept)
    assert kept_state is not None and kept_state.status == RenewalStatus.current
    assert _state(backend, outside) is None
    assert len(_versions(backend, outside)) == len(before[outside])

    # Nothing changed since: the next run reads nothing and renews nothing.
    assert renewal.run_renewal(backend.services, job_context()) == {
        "read": 0,
        "renewed": 0,
        "failed": 0,
    }

    # Its date within the horizon, the B-LTA one is renewed: a second archive timestamp.
    near = backend.settings.model_copy(update={"ltv_horizon_days": 3650})
    services = dataclasses.replace(backend.services, settings=near)
    assert renewal.run_renewal(services, job_context()) == {"read": 0, "renewed": 2, "failed": 0}
    kept_now = _state(backend, kept)
    assert kept_now is not None and kept_now.archive_timestamps == 2
    assert _report(backend, _versions(backend, kept)[-1].sha256, tmp_path)[:2] == (
        "valid",
        "B-LTA",
    )


def test_an_interrupted_run_goes_on_where_it_stopped(backend: Backend, client: TestClient) -> None:
    documents = [_signed(client, "B-LT") for _ in range(3)]
    for document in documents:
        _archive(backend, document)
    # Stopping at the fifth look: after reading the three and renewing the first.
    with pytest.raises(RetryLater):
        renewal.run_renewal(backend.services, job_context(stop_after=4))
    states = [_state(backend, d) for d in documents]
    assert all(state is not None for state in states)
    done = [s for s in states if s is not None and s.renewed_at is not None]
    assert len(done) == 1
    result = renewal.run_renewal(backend.services, job_context())
    assert result == {"read": 0, "renewed": 2, "failed": 0}
    for document in documents:
        state = _state(backend, document)
        assert state is not None and state.archive_timestamps == 1


def test_a_failed_renewal_is_noted_shown_and_tried_again(
    backend: Backend, client: TestClient, browser_as: Browser
) -> None:
    document = _signed(client, "B-LT")
    _archive(backend, document)
    # A timestamp authority that does not answer.
    down = backend.settings.model_copy(update={"tsa_url": "http://127.0.0.1:9/tsa"})
    services = dataclasses.replace(backend.services, settings=down)
    failed = renewal.run_renewal(services, job_context())
    assert failed is not None and failed["failed"] == 1
    state = _state(backend, document)
    assert state is not None and state.status == RenewalStatus.failed and state.problem

    archivist = browser_as("archivista")
    text = page_text(archivist.get("/archivo/integridad").text)
    assert "Firmas a largo plazo" in text and "Resellados fallidos" in text
    assert "Resolución B-LT" in text

    # The archivist asks for a review from the page; the job is queued once.
    started = submit(archivist, "/archivo/integridad", "/archivo/integridad/resellar")
    redirected(started, r"/archivo/integridad\?hecho=renewal_requested#firmas")
    with backend.services.sessions() as db:
        job = db.scalar(select(Job.id).where(Job.kind == KIND))
    assert job is not None
    # With the authority back, the run renews it.
    if runs_in_app(backend.settings):  # the serving process runs the queue (make run)
        assert wait_for_job(backend.services.sessions, job).result == {
            "read": 0,
            "renewed": 1,
            "failed": 0,
        }
    else:  # a docsvc worker would; none runs here
        again = renewal.run_renewal(backend.services, job_context())
        assert again is not None and again["renewed"] == 1
    renewed = _state(backend, document)
    assert renewed is not None and renewed.status == RenewalStatus.current
    text = page_text(archivist.get("/archivo/integridad").text)
    assert "Protegido hasta" in text and "Resellados fallidos" not in text
    assert utcnow().date() < renewed.renew_by  # type: ignore[operator]


def test_the_daily_task_asks_for_one_run_at_a_time(backend: Backend) -> None:
    # A run queued (not yet committed, so no runner takes it meanwhile) is enough.
    with backend.services.sessions() as db:
        assert request_run(db, backend.services) is True
        assert request_run(db, backend.services) is False
        db.rollback()
    assert renewal.renewal_upkeep(backend.services) is True
    with backend.services.sessions() as db:
        job = db.scalar(select(Job.id).where(Job.kind == KIND))
    assert job is not None
    if runs_in_app(backend.settings):  # the app's own runner takes it at once
        assert wait_for_job(backend.services.sessions, job).state == "succeeded"
