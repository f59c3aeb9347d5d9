"""Archival packages sent for import from the pages or the API: ``request_import`` keeps
the uploaded package in the store's temporary area (shared by every app process), records
the request and enqueues an ``archive.import`` job on the low ``exports`` queue in the
same transaction. The job reads, judges and imports it (``imports.import_package``),
reporting its progress on the request, then drops the kept package."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.errors import ArchiveError
from archive.package_check import Line, PackageReport
from docsvc.actors.actor import Actor
from docsvc.archival.imports import PackageRefused, import_package
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from docsvc.identity.repository import user_by_id
from docsvc.jobs.handlers import JobContext, JobGaveUp, JobHandler, JobResult
from docsvc.jobs.queue import enqueue
from docsvc.jobs.runner import wake_local
from docsvc.models import ArchiveImport, DossierItem, ImportedDocument, ImportStatus, Role
from docsvc.services import Services
from storage.files import save_chunks

KIND = "archive.import"
QUEUE = "exports"
# Who imports a package: the archive, and the administrators.
IMPORTERS = (Role.archivist, Role.admin)


def _file_name(import_id: uuid.UUID) -> str:
    return f"archive-import-{import_id}.zip"


def _may_import(actor: Actor) -> None:
    if not actor.has_any(*IMPORTERS):
        raise PermissionDenied("Only archivists import archival packages.", code="not_importer")


def new_import(actor: Actor, filename: str, register_key: str = "") -> ArchiveImport:
    """A request row for ``actor``'s department (not added to any session)."""
    _may_import(actor)
    key = register_key.strip()
    if key and (len(key) > 500 or "+" not in key):
        raise InvalidInput(
            "The register key is written name+hash+key, as the origin publishes it.",
            code="bad_register_key",
        )
    return ArchiveImport(
        id=uuid.uuid4(),
        requested_by_id=actor.user_id,
        department_id=actor.department_id,
        filename=filename[:255],
        given_register_key=key,
        report={},
        dossier_ids=[],
        origin_proofs={},
    )


def request_import(
    db: Session,
    services: Services,
    actor: Actor,
    upload: ReceivedFile,
    register_key: str = "",
) -> ArchiveImport:
    """Keep the package and enqueue its import; the upload's file is the caller's to
    remove."""
    record = new_import(actor, upload.filename, register_key)
    if upload.size == 0:
        raise InvalidInput("The package is empty.", code="empty_file")
    record.package_size = upload.size
    record.package_sha256 = upload.sha256
    with upload.path.open("rb") as source:
        services.store.put_temporary(_file_name(record.id), source, upload.size)
    db.add(record)
    job = enqueue(
        db,
        KIND,
        {"import_id": str(record.id)},
        queue=QUEUE,
        owner=actor.user_id,
        max_attempts=2,
        on_commit=lambda: wake_local(services),
    )
    record.job_id = job.id
    record_event(
        db,
        actor,
        "archive.import.request",
        object_type="archive_import",
        object_id=str(record.id),
        details={"filename": record.filename, "sha256": upload.sha256, "size": upload.size},
    )
    db.flush()
    return record


def _set(services: Services, import_id: uuid.UUID, **values: object) -> None:
    with services.sessions() as db:
        db.execute(update(ArchiveImport).where(ArchiveImport.id == import_id).values(**values))
        db.commit()


def run_import(services: Services, context: JobContext) -> JobResult:
    try:
        import_id = uuid.UUID(str(context.payload["import_id"]))
    except (KeyError, ValueError) as exc:
        raise JobGaveUp(f"no import in the payload: {exc}") from exc
    with services.sessions() as db:
        record = db.get(ArchiveImport, import_id)
        if record is None:
            raise JobGaveUp(f"import {import_id} is gone")
        if record.status in (ImportStatus.done.value, ImportStatus.refused.value):
            return {"status": record.status}
        user = user_by_id(db, record.requested_by_id)
        if user is None:
            raise JobGaveUp("the importer is gone")
        actor = Actor(
            user_id=user.id,
            username=user.username,
            full_name=user.full_name,
            department_id=record.department_id,
            roles=user.role_set,
        )
    _set(services, import_id, status=ImportStatus.running.value, done=0, error="")

    def progress(done: int, total: int) -> None:
        _set(services, import_id, done=done, total=total)
        context.progress(done, total)

    try:
        with tempfile.TemporaryDirectory(prefix="docsvc-import-job-") as work:
            package = Path(work) / "package.zip"
            save_chunks(services.store.iter_temporary(_file_name(import_id)), package)
            with services.sessions() as db:
                record = db.get(ArchiveImport, import_id)
                assert record is not None
                try:
                    import_package(
                        db, services, actor, record, package, Path(work) / "read", progress
                    )
                except PackageRefused:
                    db.commit()  # the refusal and its report; nothing else was written
                    services.store.delete_temporary(_file_name(import_id))
                    return {"status": ImportStatus.refused.value}
                except (DomainError, ArchiveError) as exc:
                    db.rollback()
                    _refuse(services, import_id, exc.code, exc.message)
                    return {"status": ImportStatus.refused.value}
                db.commit()
                result = {"status": record.status, "dossier_id": str(record.dossier_id)}
    except Exception as exc:
        if context.attempt >= context.max_attempts:
            _set(
                services,
                import_id,
                status=ImportStatus.failed.value,
                error=str(exc)[:2000] or type(exc).__name__,
                finished_at=utcnow(),
            )
        raise
    services.store.delete_temporary(_file_name(import_id))
    return result


def _refuse(services: Services, import_id: uuid.UUID, code: str, message: str) -> None:
    """A package that is not one, or that holds a file this service does not keep."""
    report = PackageReport()
    report.problems.append(Line(code, "%(detail)s", detail=message))
    _set(
        services,
        import_id,
        status=ImportStatus.refused.value,
        verdict="invalid",
        report=report.settle().as_json(),
        error=message[:2000],
        finished_at=utcnow(),
    )
    services.store.delete_temporary(_file_name(import_id))


def imports_for(db: Session, actor: Actor, limit: int = 50) -> list[ArchiveImport]:
    _may_import(actor)
    return list(
        db.scalars(select(ArchiveImport).order_by(ArchiveImport.created_at.desc()).limit(limit))
    )


def get_import(db: Session, actor: Actor, import_id: uuid.UUID) -> ArchiveImport:
    _may_import(actor)
    record = db.get(ArchiveImport, import_id)
    if record is None:
        raise NotFound("No such import.", code="import_not_found")
    return record


def import_of_dossier(db: Session, dossier_id: uuid.UUID) -> ArchiveImport | None:
    """The import a dossier came from, if it came from one."""
    found = db.scalar(select(ArchiveImport).where(ArchiveImport.dossier_id == dossier_id))
    if found is not None:
        return found
    return db.scalar(
        select(ArchiveImport)
        .join(ImportedDocument, ImportedDocument.import_id == ArchiveImport.id)
        .join(DossierItem, DossierItem.document_id == ImportedDocument.document_id)
        .where(DossierItem.dossier_id == dossier_id)
        .limit(1)
    )


def imported_documents(db: Session, import_id: uuid.UUID) -> list[ImportedDocument]:
    return list(db.scalars(select(ImportedDocument).where(ImportedDocument.import_id == import_id)))


JOB_HANDLERS = (JobHandler(KIND, run_import, queue=QUEUE),)
