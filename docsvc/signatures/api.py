"""Signing routes: the official's signing session, and signatures on documents.

The endpoints are plain functions, so FastAPI runs them on its thread pool; pyHanko's work
runs on the signing pool behind them. Neither blocks the event loop.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from docsvc.deps import ActorDep, DbSession, ServicesDep
from docsvc.signatures import service, two_step
from docsvc.signatures.credentials import active_credential
from docsvc.signatures.schemas import (
    CredentialOut,
    FinishIn,
    PrepareOut,
    SessionOut,
    SignatureOut,
    SignIn,
    SignResultOut,
    UnlockIn,
)

router = APIRouter(prefix="/api/v1", tags=["signing"])

DocumentId = Annotated[uuid.UUID, Path(description="The document's id.")]


@router.get("/signing/credential")
def my_credential(db: DbSession, actor: ActorDep) -> CredentialOut:
    """The caller's active signing credential (certificate, kind, lockout)."""
    return CredentialOut.model_validate(active_credential(db, actor.user_id))


@router.get("/signing/session")
def session_state(db: DbSession, actor: ActorDep) -> SessionOut:
    """Whether this login's signing session is open, and until when."""
    return service.session_state(db, actor)


@router.post("/signing/session")
def unlock(body: UnlockIn, db: DbSession, services: ServicesDep, actor: ActorDep) -> SessionOut:
    """Type the PIN once; the key stays unlocked for this login for a few minutes, in
    every app process, sealed under a key only this login's token gives."""
    return service.unlock_session(db, services, services.signing, actor, body.pin)


@router.delete("/signing/session")
def lock(db: DbSession, services: ServicesDep, actor: ActorDep) -> SessionOut:
    """Lock every signing session of the caller's (each of her logins), in every process."""
    return service.lock_session(db, services.signing, actor)


@router.post("/documents/{document_id}/signatures", status_code=201)
def sign(
    document_id: DocumentId,
    body: SignIn,
    db: DbSession,
    services: ServicesDep,
    actor: ActorDep,
) -> SignResultOut:
    """Sign the document's latest version; the signed file becomes its next version."""
    return service.sign_document(db, services, actor, document_id, body)


@router.get("/documents/{document_id}/signatures")
def signatures(document_id: DocumentId, db: DbSession, actor: ActorDep) -> list[SignatureOut]:
    return service.list_signatures(db, actor, document_id)


@router.post("/documents/{document_id}/signatures/prepare", status_code=201)
def prepare(
    document_id: DocumentId,
    body: SignIn,
    db: DbSession,
    services: ServicesDep,
    actor: ActorDep,
) -> PrepareOut:
    """Two-step signing, step one: returns the bytes the official's card must sign."""
    return two_step.prepare(db, services, services.signing, actor, document_id, body)


@router.post("/signatures/pending/{pending_id}/finish", status_code=201)
def finish(
    pending_id: uuid.UUID,
    body: FinishIn,
    db: DbSession,
    services: ServicesDep,
    actor: ActorDep,
) -> SignResultOut:
    """Two-step signing, step two: the card's signature value, checked and embedded."""
    return two_step.finish(db, services, services.signing, actor, pending_id, body)
