"""Signing-line routes, stand-ins and the inbox."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from docsvc.deps import ActorDep, DbSession, ServicesDep
from docsvc.dossiers.schemas import DossierOut
from docsvc.dossiers.service import get_dossier
from docsvc.locale import translator
from docsvc.signing_lines import seal_jobs, service
from docsvc.signing_lines.schemas import (
    InboxEntry,
    LineActionIn,
    LineIn,
    LineOut,
    RejectIn,
    SealIn,
    StandInIn,
    StandInOut,
)

router = APIRouter(prefix="/api/v1", tags=["signing lines"])


@router.post("/signing-lines", status_code=201)
def create(body: LineIn, db: DbSession, services: ServicesDep, actor: ActorDep) -> LineOut:
    """Ask for signatures on a document or a dossier; submitted at once unless
    ``"submit": false`` keeps it a draft."""
    return service.create_line(db, services, actor, body)


@router.get("/signing-lines/{line_id}")
def get(line_id: uuid.UUID, db: DbSession, actor: ActorDep) -> LineOut:
    return service.get_line(db, actor, line_id)


@router.post("/signing-lines/{line_id}/submit")
def submit(line_id: uuid.UUID, db: DbSession, services: ServicesDep, actor: ActorDep) -> LineOut:
    return service.submit(db, services, actor, line_id)


@router.post("/signing-lines/{line_id}/sign")
def sign(
    line_id: uuid.UUID, body: LineActionIn, db: DbSession, services: ServicesDep, actor: ActorDep
) -> LineOut:
    """Sign your step: every document of the line gets your signature, as a new version."""
    return service.sign(db, services, actor, line_id, body.pin)


@router.post("/signing-lines/{line_id}/reject")
def reject(
    line_id: uuid.UUID, body: RejectIn, db: DbSession, services: ServicesDep, actor: ActorDep
) -> LineOut:
    return service.reject(db, services, actor, line_id, body.reason)


@router.post("/signing-lines/{line_id}/resubmit")
def resubmit(line_id: uuid.UUID, db: DbSession, services: ServicesDep, actor: ActorDep) -> LineOut:
    return service.resubmit(db, services, actor, line_id)


@router.post("/signing-lines/{line_id}/cancel")
def cancel(line_id: uuid.UUID, db: DbSession, actor: ActorDep) -> LineOut:
    return service.cancel(db, actor, line_id)


@router.post("/dossiers/{dossier_id}/seal")
def seal(
    dossier_id: uuid.UUID, body: SealIn, db: DbSession, services: ServicesDep, actor: ActorDep
) -> DossierOut:
    """Seal a dossier whose seal waits for a PIN (``seal_status`` ``needs_pin``: no job
    runner could take the key, or its job failed) with your key: queued again for a key
    the service keeps (503 ``no_job_worker`` when no runner is alive), made at once for a
    token's. The index lists the versions the signing line signed."""
    seal_jobs.seal_again(db, services, actor, dossier_id, body.pin)
    return get_dossier(db, actor, dossier_id)


@router.post("/stand-ins", status_code=201)
def name_stand_in(body: StandInIn, db: DbSession, actor: ActorDep) -> StandInOut:
    """Name who signs for you, from one date to another (inclusive)."""
    return service.name_stand_in(db, actor, body)


@router.get("/inbox")
def inbox(
    db: DbSession,
    actor: ActorDep,
    view: Annotated[Literal["awaiting", "requested", "overdue"], Query()] = "awaiting",
) -> list[InboxEntry]:
    """What awaits me (by deadline), what I requested, or what is overdue."""
    return service.inbox(db, actor, view)


@router.get("/inbox/notifications")
def notifications(
    db: DbSession,
    actor: ActorDep,
    services: ServicesDep,
    unread: Annotated[bool, Query()] = False,
    lang: Literal["es", "en"] | None = None,
) -> list[dict[str, object]]:
    """My notices, newest first: ``kind`` and ``params`` for programs, ``message`` in
    ``lang`` (the institution's language by default)."""
    settings = services.settings
    t = translator(lang or settings.default_language, settings.timezone)
    return service.notifications(db, actor, unread, t)
