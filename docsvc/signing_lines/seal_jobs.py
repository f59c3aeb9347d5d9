"""Sealing a dossier on the job queue: ``dossier.seal`` jobs of the ``signing`` queue.

The signature that completes a signing line over a dossier records the line's signatures
and, in the same transaction, asks for the seal (``ask_for_seal``): the dossier keeps what
its index needs (``Dossier.seal_request``: who completed the line and for whom, the level,
the version of each document the line signed), its composition frozen until the index is
recorded, and a job makes the index (HTML to PDF, slow) and signs it with her key, sealed
to the live job runners as a batch's is (``docsvc.jobs.keyed``). The signing request
answers once the signatures are recorded; the dossier's page and API show the seal queued,
running, then sealed.

The signature always stands. When no runner is alive, or her key is not at hand, or the
job fails or loses every runner it was sealed to, the seal waits for a PIN
(``SealStatus.needs_pin``): the official who completed the line, or another official of
the owning department, seals it from the dossier's page (``seal_again``). A key the
service does not keep (a PKCS#11 token) cannot travel to a runner: such a seal is made in
the request, as it always was, and so is one made inside a batch (already on a runner).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents.access import can_author
from docsvc.dossiers import repository as dossiers
from docsvc.dossiers.schemas import SealStatus
from docsvc.dossiers.service import readable_dossier, seal_status
from docsvc.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from docsvc.jobs import keyed
from docsvc.jobs.handlers import JobContext, JobGaveUp, JobHandler, JobResult
from docsvc.models import Dossier
from docsvc.runtime.signing import KeySigner
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from docsvc.signing_lines import sealing
from signing.pades import unlock_pkcs12

log = logging.getLogger("docsvc.signing_lines")

SEAL_KIND = "dossier.seal"
# A failed run is tried again (the store or the TSA away for a moment); after that the
# seal waits for a PIN.
MAX_ATTEMPTS = 3


def ask_for_seal(
    db: Session,
    services: Services,
    actor: Actor,
    dossier: Dossier,
    on_behalf: signatures.OnBehalf | None,
    level: str | None,
    key: bytes | None,
) -> None:
    """Record, in the caller's transaction, that the dossier is to be sealed as it stands
    now (the versions just recorded), and queue the job with ``key`` (her kept key, from
    ``signatures.kept_key_for_job``). Without a key, or without a live runner, the seal
    waits for a PIN; the caller's work stands either way."""
    dossier.seal_request = {
        "by": str(actor.user_id),
        "on_behalf": [on_behalf.full_name, on_behalf.position] if on_behalf else None,
        "level": level,
        "versions": {
            str(document.id): version.number
            for _, document, version in dossiers.items_of(db, dossier.id)
        },
        "asked_at": utcnow().isoformat(),
    }
    dossier.seal_job_id = None
    if key is not None:
        try:
            dossier.seal_job_id = _enqueue(db, services, actor, dossier, key)
        except keyed.NoLiveWorker:
            log.warning(
                "no job runner is alive: dossier %s waits for a PIN to be sealed", dossier.id
            )
    _audit(db, actor, dossier)


def _enqueue(
    db: Session, services: Services, actor: Actor, dossier: Dossier, key: bytes
) -> uuid.UUID:
    job = keyed.enqueue_with_key(
        db,
        services,
        actor,
        SEAL_KIND,
        {"dossier_id": str(dossier.id)},
        queue_name="signing",
        key=key,
        max_attempts=MAX_ATTEMPTS,
    )
    # Written now, so the dossier's answer in this transaction finds its job.
    db.flush()
    return job.id


def _audit(db: Session, actor: Actor, dossier: Dossier) -> None:
    record_event(
        db,
        actor,
        "dossier.seal_request",
        object_type="dossier",
        object_id=str(dossier.id),
        department_id=dossier.owning_department_id,
        details={"job_id": str(dossier.seal_job_id or "")},
    )


def seal_again(
    db: Session, services: Services, actor: Actor, dossier_id: uuid.UUID, pin: str
) -> None:
    """Seal a dossier whose seal waits for a PIN, with this official's key: on a job
    runner for a key the service keeps (503 ``no_job_worker`` when none runs), here for a
    token's. The index lists the versions the signing line signed."""
    signatures.require_official(actor)
    if not pin:
        raise InvalidInput("Type your signing PIN.", code="pin_required")
    dossier = readable_dossier(db, actor, dossier_id)
    request = dossier.seal_request
    status = seal_status(db, dossier)
    if request is None or status is not SealStatus.needs_pin:
        if status in (SealStatus.queued, SealStatus.running):
            raise Conflict("The dossier is being sealed already.", code="seal_in_progress")
        raise Conflict("The dossier has no seal waiting for a PIN.", code="no_seal_pending")
    if str(actor.user_id) != request["by"] and not can_author(actor, dossier.owning_department_id):
        raise PermissionDenied(
            "Only the official who completed the signatures, or the owning department, can "
            "seal this dossier.",
            code="not_owning_department",
        )
    # Before anything is written: on SQLite the PIN's count is written aside.
    key = signatures.kept_key_for_job(db, services, actor, pin)
    if key is None:
        _seal_here(db, services, actor, dossier, pin)
        return
    try:
        dossier.seal_job_id = _enqueue(db, services, actor, dossier, key)
    except keyed.NoLiveWorker as exc:
        raise keyed.no_worker(
            "No job worker is running to seal the dossier; try again in a moment."
        ) from exc
    _audit(db, actor, dossier)


def _on_behalf(request: Mapping[str, Any], actor: Actor) -> signatures.OnBehalf | None:
    """The stand-in's principal, when the one sealing is the stand-in who completed it."""
    named = request.get("on_behalf")
    if not named or request.get("by") != str(actor.user_id):
        return None
    return signatures.OnBehalf(str(named[0]), str(named[1]) if named[1] else None)


def _versions(request: Mapping[str, Any]) -> dict[uuid.UUID, int]:
    return {uuid.UUID(k): int(v) for k, v in dict(request.get("versions") or {}).items()}


def _seal_here(db: Session, services: Services, actor: Actor, dossier: Dossier, pin: str) -> None:
    """A token's key signs the index in the request (it cannot travel to a runner)."""
    request = dossier.seal_request
    assert request is not None
    services.settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=services.settings.upload_tmp_dir) as work:
        prepared = sealing.prepare_seal(
            db,
            services,
            actor,
            dossier.id,
            SignIn(pin=pin, level=request.get("level")),
            Path(work),
            _on_behalf(request, actor),
            versions=_versions(request),
        )
        sealing.record_seal(db, services, actor, prepared)
    dossier.seal_request = None


# --- the job ---------------------------------------------------------------------------------


def run_seal(services: Services, context: JobContext) -> JobResult:
    """Make, sign and record the index the dossier's ``seal_request`` asks for. A run that
    finds the seal recorded already (an earlier run died before saying so) or asked of
    another job since does nothing: a dossier is sealed once per request."""
    dossier_id = uuid.UUID(str(context.payload["dossier_id"]))
    if context.secret is None:
        raise JobGaveUp("the seal's job carries no key")
    actor = keyed.actor_of(services, context.payload)
    signer = KeySigner(services.signing, services.signing.run(unlock_pkcs12, context.secret, None))
    services.settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    with (
        services.sessions() as db,
        tempfile.TemporaryDirectory(dir=services.settings.upload_tmp_dir) as work,
    ):
        dossier = db.get(Dossier, dossier_id)
        if dossier is None:
            raise JobGaveUp("the dossier is gone")
        request = dossier.seal_request
        if request is None or dossier.seal_job_id != context.job_id:
            return {"dossier_id": str(dossier_id), "sealed": False}
        try:
            # Signed and stored first, writing no row (as every signature).
            prepared = sealing.prepare_seal(
                db,
                services,
                actor,
                dossier_id,
                SignIn(level=request.get("level")),
                Path(work),
                _on_behalf(request, actor),
                signer=signer,
                versions=_versions(request),
            )
        except DomainError as exc:  # her credential revoked or locked, signing refused
            raise JobGaveUp(f"the index cannot be signed: {exc.code}") from exc
        # The row is locked (on PostgreSQL) and read again: a run of the same job that was
        # handed on meanwhile records nothing twice.
        db.refresh(dossier, with_for_update=True)
        if dossier.seal_request is None or dossier.seal_job_id != context.job_id:
            db.rollback()
            return {"dossier_id": str(dossier_id), "sealed": False}
        index = sealing.record_seal(db, services, actor, prepared)
        dossier.seal_request = None
        result = {
            "dossier_id": str(dossier_id),
            "sealed": True,
            "index_id": str(index.id),
            "index_version": index.latest_version,
        }
        db.commit()
    return result


JOB_HANDLERS = (JobHandler(SEAL_KIND, run_seal, queue="signing"),)
