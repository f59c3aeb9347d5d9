"""Archival packages asked for from the pages or the API: ``request_export`` records the
request and enqueues an ``archive.export`` job on the low ``exports`` queue, in the same
transaction; the job writes the package (``exports.export_dossier``), reporting its
progress on the request, and keeps the zip in the store's temporary area, shared by every
app process, for its download."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.archival.eni_export import export_eni
from docsvc.archival.export_scopes import ScopeKind, scope_of
from docsvc.archival.exports import export_scope
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.dossiers.service import readable_dossier
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.jobs.handlers import JobContext, JobGaveUp, JobHandler, JobResult
from docsvc.jobs.queue import enqueue
from docsvc.jobs.runner import wake_local
from docsvc.locale import translator
from docsvc.models import ArchiveExport, ExportStatus, Role
from docsvc.services import Services

KIND = "archive.export"
QUEUE = "exports"
# Who exports a dossier: the archive, and the administrators.
EXPORTERS = (Role.archivist, Role.admin)


def _file_name(export_id: uuid.UUID) -> str:
    return f"archive-export-{export_id}.zip"


FORMATS = ("eark", "eni")


def _may_export(actor: Actor) -> None:
    if not actor.has_any(*EXPORTERS):
        raise PermissionDenied(
            "Only archivists export a dossier as an archival package.", code="not_exporter"
        )


def _enqueue(db: Session, services: Services, actor: Actor, export: ArchiveExport) -> ArchiveExport:
    running = db.scalar(
        select(ArchiveExport.id).where(
            ArchiveExport.scope_kind == export.scope_kind,
            ArchiveExport.scope_id == export.scope_id,
            ArchiveExport.status.in_([ExportStatus.queued.value, ExportStatus.running.value]),
        )
    )
    if running is not None:
        raise Conflict(
            "This package is being made already; it appears here when ready.",
            code="export_running",
        )
    db.add(export)
    job = enqueue(
        db,
        KIND,
        {"export_id": str(export.id)},
        queue=QUEUE,
        owner=actor.user_id,
        max_attempts=3,
        on_commit=lambda: wake_local(services),
    )
    export.job_id = job.id
    record_event(
        db,
        actor,
        "archive.export.request",
        object_type=export.scope_kind,
        object_id=export.scope_id,
        details={"export": str(export.id), "format": export.format},
    )
    db.flush()
    return export


def request_export(
    db: Session, services: Services, actor: Actor, dossier_id: uuid.UUID, form: str = "eark"
) -> ArchiveExport:
    """A dossier's package. ``form``: ``eark`` (an E-ARK SIP in a BagIt bag) or ``eni``
    (an ENI expediente)."""
    dossier = readable_dossier(db, actor, dossier_id)
    if form not in FORMATS:
        raise InvalidInput("Choose the package's format: eark or eni.", code="bad_export_format")
    _may_export(actor)
    export = ArchiveExport(
        id=uuid.uuid4(),
        dossier_id=dossier.id,
        requested_by_id=actor.user_id,
        format=form,
        scope_kind=ScopeKind.dossier.value,
        scope_id=str(dossier.id),
        label=dossier.title[:500],
    )
    return _enqueue(db, services, actor, export)


def request_scope_export(
    db: Session, services: Services, actor: Actor, kind: str, ident: str
) -> ArchiveExport:
    """The E-ARK package of a case (its id or a registry number in it), a series (its full
    code) or an official (their username): every record in it, each dossier whole."""
    _may_export(actor)
    if kind == ScopeKind.dossier.value:
        try:
            return request_export(db, services, actor, uuid.UUID(ident.strip()))
        except ValueError as exc:
            raise NotFound("No such dossier.", code="dossier_not_found") from exc
    scope = scope_of(db, kind, ident)
    if not scope.dossiers and not scope.documents:
        raise InvalidInput("There is no record to export there.", code="export_empty")
    export = ArchiveExport(
        id=uuid.uuid4(),
        requested_by_id=actor.user_id,
        format="eark",
        scope_kind=scope.kind.value,
        # The case's id, not the registry number typed: the same case either way.
        scope_id=scope.ident,
        label=scope.label[:500],
    )
    return _enqueue(db, services, actor, export)


def _set(services: Services, export_id: uuid.UUID, **values: object) -> None:
    with services.sessions() as db:
        db.execute(update(ArchiveExport).where(ArchiveExport.id == export_id).values(**values))
        db.commit()


def run_export(services: Services, context: JobContext) -> JobResult:
    try:
        export_id = uuid.UUID(str(context.payload["export_id"]))
    except (KeyError, ValueError) as exc:
        raise JobGaveUp(f"no export in the payload: {exc}") from exc
    with services.sessions() as db:
        export = db.get(ArchiveExport, export_id)
        if export is None:
            raise JobGaveUp(f"export {export_id} is gone")
        form = export.format
        scope = scope_of(db, export.scope_kind, export.scope_id)
    _set(services, export_id, status=ExportStatus.running.value, done=0, error="")
    settings = services.settings

    def progress(done: int, total: int) -> None:
        _set(services, export_id, done=done, total=total)
        context.progress(done, total)

    try:
        with tempfile.TemporaryDirectory(prefix="docsvc-export-job-") as work:
            target = Path(work) / "package.zip"
            with services.sessions() as db:
                if form == "eni":
                    eni = export_eni(db, services, uuid.UUID(scope.ident), target)
                    counts = {"documents": eni.documents, "versions": eni.documents}
                else:
                    made = export_scope(
                        db,
                        services,
                        scope,
                        target,
                        translator(settings.default_language, settings.timezone),
                        progress,
                    )
                    counts = {"documents": made.documents, "versions": made.versions}
                # A checkpoint made for the proofs is the register's too.
                db.commit()
            size = target.stat().st_size
            with target.open("rb") as source:
                services.store.put_temporary(_file_name(export_id), source, size)
    except Exception as exc:
        if context.attempt >= context.max_attempts:
            _set(
                services,
                export_id,
                status=ExportStatus.failed.value,
                error=str(exc)[:2000] or type(exc).__name__,
                finished_at=utcnow(),
            )
        raise
    _set(
        services,
        export_id,
        status=ExportStatus.done.value,
        size=size,
        finished_at=utcnow(),
    )
    return {**counts, "size": size}


def exports_of(db: Session, dossier_id: uuid.UUID, limit: int = 10) -> list[ArchiveExport]:
    return list(
        db.scalars(
            select(ArchiveExport)
            .where(ArchiveExport.dossier_id == dossier_id)
            .order_by(ArchiveExport.created_at.desc())
            .limit(limit)
        )
    )


def download(
    db: Session,
    services: Services,
    actor: Actor,
    dossier_id: uuid.UUID | None,
    export_id: uuid.UUID,
) -> tuple[ArchiveExport, Iterator[bytes]]:
    """A finished package's bytes, for an exporter (who may read the dossier, for a
    dossier's package asked for by its id)."""
    if dossier_id is not None:
        readable_dossier(db, actor, dossier_id)
    export = db.get(ArchiveExport, export_id)
    if (
        export is None
        or (dossier_id is not None and export.dossier_id != dossier_id)
        or export.status != ExportStatus.done.value
        or not actor.has_any(*EXPORTERS)
    ):
        raise NotFound("No such archival package.", code="export_not_found")
    record_event(
        db,
        actor,
        "archive.export.download",
        object_type=export.scope_kind,
        object_id=export.scope_id,
        details={"export": str(export.id)},
    )
    return export, services.store.iter_temporary(_file_name(export.id))


def recent_exports(db: Session, actor: Actor, limit: int = 30) -> list[ArchiveExport]:
    """The latest packages asked for, of any scope (exporters)."""
    _may_export(actor)
    return list(
        db.scalars(select(ArchiveExport).order_by(ArchiveExport.created_at.desc()).limit(limit))
    )


JOB_HANDLERS = (JobHandler(KIND, run_export, queue=QUEUE),)


def file_name(export: ArchiveExport) -> str:
    """The name a downloaded package is saved under."""
    if export.scope_kind != ScopeKind.dossier.value:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in export.scope_id)
        return f"paquete-{export.scope_kind}-{safe[:80]}.zip"
    suffix = "-eni" if export.format == "eni" else ""
    return f"expediente-{export.dossier_id}{suffix}.zip"
