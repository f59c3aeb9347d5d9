"""Long-term validation renewal of the archive's signed documents (``signing.ltv``).

A run, a job of the low ``preservation`` queue:

1. **Reads** every archived document (central or historical phase: its own holding, or in
   an archived dossier, the dossier's signed index included) whose latest version it has
   not read yet, and notes by when its last timestamp must be renewed: the authority
   certificate's expiry or an algorithm's sunset (``DOCSVC_LTV_SUNSET`` over the table of
   ``signing.algorithm_sunset``), whichever comes first.
2. **Renews** what is due: a document whose date falls within ``DOCSVC_LTV_HORIZON_DAYS``,
   and at once a B-LT document entering the archive (raised to B-LTA). Each renewal adds
   an archive timestamp as a new version made by the service itself, with its register
   leaf and an audit event; its object is put under the holding's retention.

Every document is committed on its own, so an interrupted run loses at most one; the next
goes on with what is still out of date or due. A renewal that fails is noted on the
document (the archivist's page lists it) and tried again by the next run. The daily
periodic task asks for a run; so does the archive when it receives a transfer."""

from __future__ import annotations

import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Subquery, and_, func, or_, select, union
from sqlalchemy.orm import Session

from docsvc.archival.archive_transfers import retain
from docsvc.archival.renewal_queue import KIND, QUEUE, pending_run, request_run
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents import service as documents
from docsvc.errors import Conflict
from docsvc.jobs.handlers import JobContext, JobHandler, JobResult, RetryLater
from docsvc.models import (
    ArchiveHolding,
    ArchivePhase,
    Document,
    DocumentVersion,
    Dossier,
    DossierItem,
    Job,
    RenewalState,
    RenewalStatus,
)
from docsvc.periodic import PeriodicTask
from docsvc.pki.authorities import material_for, timestamper_for
from docsvc.services import Services
from docsvc.signatures.service import signed_upload
from signing.algorithm_sunset import Suite, table
from signing.errors import SigningError
from signing.ltv import RenewalError, extend, last_timestamp, renewal_date
from signing.pades import Level
from storage.files import save_chunks

log = logging.getLogger("docsvc.renewal")

ARCHIVED = (ArchivePhase.central.value, ArchivePhase.historical.value)
RENEWAL_REASON = "archive timestamp renewal (B-LTA)"
UPKEEP_INTERVAL = timedelta(days=1)


def archived_documents() -> Subquery:
    """The ids of the documents in the archive, as a selectable."""
    archived = ArchiveHolding.phase.in_(ARCHIVED)
    alone = select(ArchiveHolding.document_id.label("id")).where(
        archived, ArchiveHolding.document_id.is_not(None)
    )
    in_dossiers = (
        select(DossierItem.document_id.label("id"))
        .join(ArchiveHolding, ArchiveHolding.dossier_id == DossierItem.dossier_id)
        .where(archived)
    )
    indexes = (
        select(Dossier.sealed_index_id.label("id"))
        .join(ArchiveHolding, ArchiveHolding.dossier_id == Dossier.id)
        .where(archived, Dossier.sealed_index_id.is_not(None))
    )
    return union(alone, in_dossiers, indexes).subquery()


def _out_of_date(db: Session) -> list[uuid.UUID]:
    """Archived documents whose latest version has not been read."""
    ids = archived_documents()
    return list(
        db.scalars(
            select(Document.id)
            .join(ids, ids.c.id == Document.id)
            .outerjoin(RenewalState, RenewalState.document_id == Document.id)
            .where(
                or_(
                    RenewalState.document_id.is_(None),
                    RenewalState.version != Document.latest_version,
                )
            )
            .order_by(Document.id)
        )
    )


def _due(db: Session, today: date, horizon: timedelta) -> list[uuid.UUID]:
    return list(
        db.scalars(
            select(RenewalState.document_id)
            .where(
                or_(
                    RenewalState.status.in_([RenewalStatus.due.value, RenewalStatus.failed.value]),
                    and_(
                        RenewalState.status == RenewalStatus.current.value,
                        RenewalState.renew_by <= today + horizon,
                    ),
                )
            )
            .order_by(RenewalState.renew_by, RenewalState.document_id)
        )
    )


def _latest(db: Session, document_id: uuid.UUID) -> tuple[Document, DocumentVersion] | None:
    document = db.get(Document, document_id)
    if document is None:
        return None
    version = db.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id,
            DocumentVersion.number == document.latest_version,
        )
    )
    return None if version is None else (document, version)


def _fetch(services: Services, key: str, target: Path) -> None:
    save_chunks(services.store.iter_chunks(key), target)


def _state(db: Session, document_id: uuid.UUID) -> RenewalState:
    state = db.get(RenewalState, document_id)
    if state is None:
        state = RenewalState(document_id=document_id, version=0, status="", problem="")
        db.add(state)
    return state


def examine(
    services: Services, document_id: uuid.UUID, rows: tuple[Suite, ...], horizon: timedelta
) -> RenewalState | None:
    """Read the document's latest version and note what protects it, and until when."""
    with services.sessions() as db, tempfile.TemporaryDirectory(prefix="docsvc-ltv-") as work:
        found = _latest(db, document_id)
        if found is None:
            return None
        _document, version = found
        path = Path(work) / "current.pdf"
        _fetch(services, version.sha256, path)
        state = _state(db, document_id)
        state.version, state.checked_at, state.problem = version.number, utcnow(), ""
        try:
            facts = last_timestamp(path)
        except RenewalError as exc:
            facts, state.problem = None, str(exc)
        if facts is None:
            state.status, state.renew_by, state.archive_timestamps = (
                RenewalStatus.untimestamped.value,
                None,
                0,
            )
        else:
            state.renew_by = renewal_date(facts, rows)
            state.archive_timestamps = facts.archive_count
            due = not facts.archive or state.renew_by <= utcnow().date() + horizon
            state.status = (RenewalStatus.due if due else RenewalStatus.current).value
        db.commit()
        db.refresh(state)
        db.expunge(state)
        return state


def renew(services: Services, document_id: uuid.UUID) -> bool | None:
    """Add an archive timestamp to the document's latest version, as its next version.
    False (the problem noted on its state) when it cannot be done; None when there was
    nothing to do (the document is gone, or gained a version meanwhile)."""
    with services.sessions() as db, tempfile.TemporaryDirectory(prefix="docsvc-ltv-") as work:
        found = _latest(db, document_id)
        if found is None:
            return None
        document, version = found
        source, target = Path(work) / "current.pdf", Path(work) / "renewed.pdf"
        _fetch(services, version.sha256, source)
        try:
            timestamper = timestamper_for(services.keys, Level.B_LTA)
            material = material_for(db, services.keys, Level.B_LTA)
            assert timestamper is not None and material is not None
            extend(source, target, timestamper, material)
        except (SigningError, RenewalError) as exc:
            return _failed(db, document, str(exc))
        except Exception as exc:  # a TSA that is down, a configuration that is missing
            log.exception("renewal of %s failed", document_id)
            return _failed(db, document, str(exc) or type(exc).__name__)
        try:
            renewed = documents.add_signed_version(
                db,
                services.store,
                services.settings,
                None,
                document,
                signed_upload(target, version.filename),
                version.number,
                RENEWAL_REASON,
            )
        except Conflict:
            # A new version came meanwhile (a signature, or a second run that renewed it
            # first): the next run reads that one.
            db.rollback()
            return None
        state = _state(db, document_id)
        state.renewed_at, state.problem = utcnow(), ""
        record_event(
            db,
            None,
            "preservation.renewed",
            object_type="document",
            object_id=str(document.id),
            department_id=document.owning_department_id,
            details={"version": renewed.number, "sha256": renewed.sha256},
        )
        for holding in _holdings_of(db, document.id):
            retain(db, services, holding)
        db.commit()
        return True


def _failed(db: Session, document: Document, problem: str) -> bool:
    db.rollback()
    state = _state(db, document.id)
    state.status, state.problem, state.checked_at = RenewalStatus.failed.value, problem, utcnow()
    record_event(
        db,
        None,
        "preservation.renewal_failed",
        object_type="document",
        object_id=str(document.id),
        department_id=document.owning_department_id,
        outcome="failed",
        details={"problem": problem[:500]},
    )
    db.commit()
    log.error("renewal of document %s failed: %s", document.id, problem)
    return False


def _holdings_of(db: Session, document_id: uuid.UUID) -> list[ArchiveHolding]:
    dossiers = select(DossierItem.dossier_id).where(DossierItem.document_id == document_id)
    indexed = select(Dossier.id).where(Dossier.sealed_index_id == document_id)
    return list(
        db.scalars(
            select(ArchiveHolding).where(
                or_(
                    ArchiveHolding.document_id == document_id,
                    ArchiveHolding.dossier_id.in_(dossiers),
                    ArchiveHolding.dossier_id.in_(indexed),
                )
            )
        )
    )


def run_renewal(services: Services, context: JobContext) -> JobResult:
    """Read what is out of date, then renew what is due (see the module's docstring)."""
    settings = services.settings
    rows = table(settings.ltv_sunset)
    horizon = timedelta(days=settings.ltv_horizon_days)
    with services.sessions() as db:
        unread = _out_of_date(db)
    read = renewed = failed = 0
    for document_id in unread:
        if context.stopping():
            raise RetryLater("stopping: the next run goes on")
        examine(services, document_id, rows, horizon)
        read += 1
        context.progress(read, len(unread))
    with services.sessions() as db:
        due = _due(db, utcnow().date(), horizon)
    for done, document_id in enumerate(due, start=1):
        if context.stopping():
            raise RetryLater("stopping: the next run goes on")
        outcome = renew(services, document_id)
        if outcome:
            renewed += 1
            # The renewed version is read again at once: its new date is on the page.
            examine(services, document_id, rows, horizon)
        elif outcome is False:
            failed += 1
        context.progress(len(unread) + done, len(unread) + len(due))
    return {"read": read, "renewed": renewed, "failed": failed}


def renewal_upkeep(services: Services) -> bool:
    with services.sessions() as db:
        asked = request_run(db, services)
        db.commit()
    return asked


@dataclass(frozen=True, slots=True)
class RenewalOverview:
    """What the archivist's preservation page shows."""

    counts: dict[str, int]
    soonest: list[tuple[uuid.UUID, str, date | None]]
    failures: list[tuple[uuid.UUID, str, str]]
    run: Job | None
    last_run: Job | None


def overview(db: Session, limit: int = 10) -> RenewalOverview:
    counts = dict(
        db.execute(select(RenewalState.status, func.count()).group_by(RenewalState.status)).all()
    )
    soonest = [
        (doc_id, title, renew_by)
        for doc_id, title, renew_by in db.execute(
            select(RenewalState.document_id, Document.title, RenewalState.renew_by)
            .join(Document, Document.id == RenewalState.document_id)
            .where(RenewalState.status.in_([RenewalStatus.current.value, RenewalStatus.due.value]))
            .order_by(RenewalState.renew_by)
            .limit(limit)
        )
    ]
    failures = [
        (doc_id, title, problem)
        for doc_id, title, problem in db.execute(
            select(RenewalState.document_id, Document.title, RenewalState.problem)
            .join(Document, Document.id == RenewalState.document_id)
            .where(RenewalState.status == RenewalStatus.failed.value)
            .order_by(RenewalState.checked_at.desc())
            .limit(limit)
        )
    ]
    last = db.scalar(select(Job).where(Job.kind == KIND).order_by(Job.created_at.desc()).limit(1))
    return RenewalOverview(counts, soonest, failures, pending_run(db), last)


JOB_HANDLERS = (JobHandler(KIND, run_renewal, queue=QUEUE),)
TASKS = (PeriodicTask("ltv renewal", UPKEEP_INTERVAL, renewal_upkeep, wait_first=True),)
