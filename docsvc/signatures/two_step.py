"""Two-step signing for officials whose key is on their own card: *prepare* stores the
document with a reserved signature and returns what the card must sign; *finish* checks the
card's signature value and embeds it. The key never reaches the service.

Between the two steps the state sits in the database (it holds no secret: signed
attributes and digests) and the prepared file in the object store under its hash; both
expire, and a state is used at most once.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, Gone, InvalidInput, NotFound
from docsvc.models import CredentialKind, PendingExternalSignature
from docsvc.object_claims import claim_for_upload
from docsvc.runtime.signing import SigningRuntime
from docsvc.services import Services
from docsvc.signatures.credentials import active_credential, signer_chain_der
from docsvc.signatures.schemas import FinishIn, PrepareOut, SignatureOut, SignIn, SignResultOut
from docsvc.signatures.service import (
    fetch_version,
    plan_signature,
    record_signature,
    require_official,
    save_verification_code,
    signed_upload,
    signing_extras,
    verification_url,
)
from signing import SigningError
from signing.external import (
    PreparedSignature,
    SignatureValueRejected,
    finish_external,
    prepare_external,
)
from signing.pades import Level
from storage.files import save_chunks

SIGNATURE_ALGORITHM = "sha256WithRSAEncryption"


def prepare(
    db: Session,
    services: Services,
    runtime: SigningRuntime,
    actor: Actor,
    document_id: uuid.UUID,
    request: SignIn,
) -> PrepareOut:
    require_official(actor)
    credential = active_credential(db, actor.user_id)
    if credential.kind != CredentialKind.external.value:
        raise Conflict(
            "Your key is kept by the service or a token: sign in one step.",
            code="not_a_card_credential",
        )
    if request.certify or request.pin:
        raise InvalidInput(
            "Two-step signing makes approval signatures and takes no PIN.", code="bad_request"
        )
    plan = plan_signature(db, services, actor, document_id, request)
    _, material = signing_extras(
        db,
        services,
        plan.level,
        need_timestamper=False,
        signer_chain=signer_chain_der(credential),
    )
    tmp_root = services.settings.upload_tmp_dir
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as work:
        source, prepared = Path(work) / "in.pdf", Path(work) / "prepared.pdf"
        fetch_version(services, plan.base, source)
        try:
            state = runtime.run(
                prepare_external,
                source,
                prepared,
                signer_chain_der(credential),
                plan.level,
                reason=request.reason or "Firma electrónica",
                location=request.location,
                material=material,
                ttl=timedelta(minutes=services.settings.external_signing_minutes),
            )
        except SigningError as exc:
            raise Conflict(f"The document cannot be signed: {exc}", code="signing_failed") from exc
        prepared_sha256 = state.prepared_sha256.hex()
        claim_for_upload(db, prepared_sha256)
        services.store.put_file(prepared, sha256=prepared_sha256)
    pending = PendingExternalSignature(
        id=uuid.uuid4(),
        user_id=actor.user_id,
        document_id=plan.document.id,
        credential_id=credential.id,
        base_version=plan.base.number,
        prepared_sha256=prepared_sha256,
        state_json=state.to_json(),
        level=plan.level.value,
        expires_at=state.expires_at,
    )
    db.add(pending)
    db.flush()
    record_event(
        db,
        actor,
        "document.sign_prepare",
        object_type="document",
        object_id=str(plan.document.id),
        department_id=plan.document.owning_department_id,
        details={"pending": str(pending.id), "level": plan.level.value},
    )
    return PrepareOut(
        pending_id=pending.id,
        to_be_signed=base64.b64encode(state.to_be_signed).decode(),
        to_be_signed_sha256=state.to_be_signed_digest.hex(),
        signature_algorithm=SIGNATURE_ALGORITHM,
        expires_at=state.expires_at,
    )


def finish(
    db: Session,
    services: Services,
    runtime: SigningRuntime,
    actor: Actor,
    pending_id: uuid.UUID,
    body: FinishIn,
) -> SignResultOut:
    pending = db.get(PendingExternalSignature, pending_id)
    if pending is None or pending.user_id != actor.user_id:
        raise NotFound("No such signature in progress.", code="pending_not_found")
    if pending.finished_at is not None:
        raise Conflict("This signature was already finished.", code="already_finished")
    if pending.expires_at <= utcnow():
        raise Gone("This signature waited too long; prepare it again.", code="pending_expired")
    try:
        value = base64.b64decode(body.signature_value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("signature_value is not base64.", code="bad_signature_value") from exc
    credential = active_credential(db, actor.user_id)
    state = PreparedSignature.from_json(pending.state_json)
    if (
        credential.id != pending.credential_id
        or state.signer_certificate_sha256 != credential.certificate_sha256
    ):
        raise Conflict("Your signing credential changed since prepare.", code="credential_changed")
    plan = plan_signature(
        db, services, actor, pending.document_id, SignIn(base_version=pending.base_version)
    )
    level = Level(pending.level)
    timestamper, material = signing_extras(
        db, services, level, signer_chain=signer_chain_der(credential)
    )
    tmp_root = services.settings.upload_tmp_dir
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as work:
        prepared, target = Path(work) / "prepared.pdf", Path(work) / "signed.pdf"
        save_chunks(services.store.iter_chunks(pending.prepared_sha256), prepared)
        try:
            runtime.run(finish_external, prepared, state, value, target, timestamper, material)
        except SignatureValueRejected as exc:
            raise InvalidInput(
                "The signature value does not match what was prepared, or another key made it.",
                code="signature_rejected",
            ) from exc
        except SigningError as exc:
            raise Conflict(
                f"The signature cannot be finished: {exc}", code="signing_failed"
            ) from exc
        upload = signed_upload(target, plan.base.filename)
        record = record_signature(
            db,
            services,
            actor,
            plan.document,
            plan.base.number,
            upload,
            credential,
            state.field_name,
            level,
            False,
        )
    # Used once: a second finish racing this one finds the row already taken.
    taken = db.execute(
        update(PendingExternalSignature)
        .where(
            PendingExternalSignature.id == pending.id,
            PendingExternalSignature.finished_at.is_(None),
        )
        .values(finished_at=utcnow())
    )
    if getattr(taken, "rowcount", 1) != 1:
        raise Conflict("This signature was already finished.", code="already_finished")
    save_verification_code(db, plan)
    return SignResultOut(
        signature=SignatureOut.model_validate(record),
        verification_code=plan.code,
        verification_url=verification_url(services, plan.code),
    )
