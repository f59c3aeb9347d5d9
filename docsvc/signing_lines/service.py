"""The signing-line state machine.

    draft ──submit──▶ in_signature ──last step signed──▶ signed
                        │    ▲
                 reject │    │ resubmit (requester, after correcting)
                        ▼    │
                      rejected
    draft, in_signature, rejected ──cancel (requester)──▶ cancelled

Every transition is an audit event, and the officials whose turn comes are notified in
their inbox. A signer is a person or a position; whoever holds the position, or the
stand-in of the person or holder on that day, may sign in their place.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents import service as documents
from docsvc.documents.access import can_author
from docsvc.dossiers.service import get_dossier, readable_dossier
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.locale import Translator
from docsvc.locale.labels import inbox_message
from docsvc.models import (
    Department,
    Document,
    Dossier,
    DossierItem,
    Position,
    Role,
    SigningStep,
    StandIn,
    StepMode,
    StepSigner,
    User,
)
from docsvc.models.signing_lines import InboxItem, LineStatus, SignerStatus, SigningLine
from docsvc.notifications import delivery
from docsvc.organisation.repository import usernames_of
from docsvc.runtime.signing import PdfSigner
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.credentials import active_credential, holds_kept_key, position_title
from docsvc.signatures.schemas import SignIn
from docsvc.signing_lines import seal_jobs, sealing
from docsvc.signing_lines.schemas import (
    InboxEntry,
    LineIn,
    LineOut,
    SignerIn,
    SignerOut,
    StandInIn,
    StandInOut,
    StepOut,
)

# --- who may sign -------------------------------------------------------------------------


def _principals(db: Session, signer: StepSigner) -> list[uuid.UUID]:
    """The person a signer slot names: the user, or the position's holder."""
    if signer.user_id is not None:
        return [signer.user_id]
    if signer.position_id is not None:
        position = db.get(Position, signer.position_id)
        if position is not None and position.holder_id is not None:
            return [position.holder_id]
    return []


def _standing_in_for(db: Session, substitute_id: uuid.UUID, today: date) -> set[uuid.UUID]:
    rows = db.scalars(
        select(StandIn.principal_id).where(
            StandIn.substitute_id == substitute_id,
            StandIn.revoked_at.is_(None),
            StandIn.starts_on <= today,
            StandIn.ends_on >= today,
        )
    )
    return set(rows)


@dataclass(frozen=True, slots=True)
class _Eligibility:
    signer: StepSigner
    on_behalf_of: uuid.UUID | None  # set when the actor signs as a stand-in


def _eligible(db: Session, actor: Actor, signer: StepSigner) -> _Eligibility | None:
    principals = _principals(db, signer)
    if actor.user_id in principals:
        return _Eligibility(signer, None)
    covered = _standing_in_for(db, actor.user_id, utcnow().date())
    for principal in principals:
        if principal in covered:
            return _Eligibility(signer, principal)
    return None


# --- building -----------------------------------------------------------------------------


def _resolve_signer(db: Session, spec: SignerIn) -> StepSigner:
    if spec.user is not None:
        user = db.scalar(select(User).where(User.username == spec.user))
        if user is None or not user.active:
            raise InvalidInput(f"No such active user: {spec.user}.", code="unknown_signer")
        if Role.official.value not in {r.role for r in user.roles}:
            raise InvalidInput(f"{spec.user} is not an official.", code="signer_not_official")
        return StepSigner(id=uuid.uuid4(), user_id=user.id)
    assert spec.position is not None
    department_code, _, code = spec.position.partition(":")
    position = db.scalar(
        select(Position)
        .join(Department, Department.id == Position.department_id)
        .where(Department.code == department_code, Position.code == code)
    )
    if position is None:
        raise InvalidInput(
            f"No such position: {spec.position} (use DEPT:CODE).", code="unknown_position"
        )
    return StepSigner(id=uuid.uuid4(), position_id=position.id)


def _require_write_access(actor: Actor, owning_department_id: uuid.UUID) -> None:
    """A line lets its signers sign, and each signature is a new version: asking for them
    needs the right to add versions, the owning department's."""
    if not can_author(actor, owning_department_id):
        raise PermissionDenied(
            "Only the owning department's officials and staff can ask for signatures on it.",
            code="not_owning_department",
        )


def create_line(db: Session, services: Services, actor: Actor, data: LineIn) -> LineOut:
    if data.document_id is not None:
        document = documents.readable_document(db, actor, data.document_id)
        _require_write_access(actor, document.owning_department_id)
        title = data.title or document.title
    else:
        assert data.dossier_id is not None
        _require_write_access(
            actor, readable_dossier(db, actor, data.dossier_id).owning_department_id
        )
        dossier = get_dossier(db, actor, data.dossier_id)
        if not dossier.items:
            raise InvalidInput("The dossier has no documents to sign.", code="dossier_empty")
        title = data.title or dossier.title
    line = SigningLine(
        id=uuid.uuid4(),
        title=title,
        document_id=data.document_id,
        dossier_id=data.dossier_id,
        requester_id=actor.user_id,
        department_id=actor.department_id,
        status=LineStatus.draft.value,
        level=data.level,
        certify_first=data.certify_first,
    )
    db.add(line)
    db.flush()
    for number, step_in in enumerate(data.steps, start=1):
        step = SigningStep(
            id=uuid.uuid4(),
            line_id=line.id,
            position=number,
            mode=step_in.mode.value,
            role_label=step_in.role_label,
            deadline=step_in.deadline,
        )
        db.add(step)
        db.flush()
        for spec in step_in.signers:
            signer = _resolve_signer(db, spec)
            signer.step_id = step.id
            db.add(signer)
    db.flush()
    _event(db, actor, line, "signing_line.create", steps=len(data.steps))
    if data.submit:
        return submit(db, services, actor, line.id)
    return line_out(db, line)


# --- transitions --------------------------------------------------------------------------


def _line(db: Session, line_id: uuid.UUID, *, for_update: bool = False) -> SigningLine:
    line = db.get(SigningLine, line_id, with_for_update=for_update)
    if line is None:
        raise NotFound("No such signing line.", code="signing_line_not_found")
    return line


def _visible_line(db: Session, actor: Actor, line_id: uuid.UUID) -> SigningLine:
    line = _line(db, line_id)
    if not _sees(db, actor, line):
        raise NotFound("No such signing line.", code="signing_line_not_found")
    return line


def _sees(db: Session, actor: Actor, line: SigningLine) -> bool:
    """Its requester and signers see a line, and so does whoever may read what it signs."""
    if line.requester_id == actor.user_id or _involves(db, actor, line):
        return True
    try:
        if line.document_id is not None:
            documents.readable_document(db, actor, line.document_id)
            return True
        if line.dossier_id is not None:
            readable_dossier(db, actor, line.dossier_id)
            return True
    except NotFound:
        return False
    return False


def _involves(db: Session, actor: Actor, line: SigningLine) -> bool:
    return any(_eligible(db, actor, s) for step in _steps(db, line) for s in _signers(db, step))


def _requester_only(line: SigningLine, actor: Actor) -> None:
    if line.requester_id != actor.user_id:
        raise PermissionDenied(
            "Only the official who requested the signatures can do this.", code="not_requester"
        )


def submit(db: Session, services: Services, actor: Actor, line_id: uuid.UUID) -> LineOut:
    line = _line(db, line_id, for_update=True)
    _requester_only(line, actor)
    if line.status != LineStatus.draft.value:
        raise Conflict(f"The line is {line.status}, not a draft.", code="not_a_draft")
    line.status = LineStatus.in_signature.value
    line.current_step = 1
    line.submitted_at = utcnow()
    db.flush()
    _event(db, actor, line, "signing_line.submit")
    _notify_step(db, services, line, "to_sign")
    return line_out(db, line)


def cancel(db: Session, actor: Actor, line_id: uuid.UUID) -> LineOut:
    line = _line(db, line_id, for_update=True)
    _requester_only(line, actor)
    if line.status in (LineStatus.signed.value, LineStatus.cancelled.value):
        raise Conflict(f"The line is already {line.status}.", code=f"line_{line.status}")
    line.status = LineStatus.cancelled.value
    line.completed_at = utcnow()
    db.flush()
    _event(db, actor, line, "signing_line.cancel")
    return line_out(db, line)


def _current_turn(db: Session, actor: Actor, line: SigningLine) -> _Eligibility:
    """The actor's pending slot in the step now waiting, or the right refusal."""
    if line.status == LineStatus.cancelled.value:
        raise Conflict("This signing line was cancelled.", code="line_cancelled")
    if line.status != LineStatus.in_signature.value:
        raise Conflict(f"This signing line is {line.status}.", code="line_not_in_signature")
    steps = _steps(db, line)
    current = next(s for s in steps if s.position == line.current_step)
    mine = [e for s in _signers(db, current) if (e := _eligible(db, actor, s))]
    pending = [e for e in mine if e.signer.status == SignerStatus.pending.value]
    if pending:
        return pending[0]
    if mine:
        raise Conflict("You already signed this step.", code="already_signed")
    later = [s for s in steps if s.position > line.current_step]
    if any(_eligible(db, actor, x) for step in later for x in _signers(db, step)):
        raise Conflict("It is not your turn yet.", code="not_your_turn")
    earlier = [s for s in steps if s.position < line.current_step]
    if any(x.signed_by_id == actor.user_id for step in earlier for x in _signers(db, step)):
        raise Conflict("You already signed this line.", code="already_signed")
    raise PermissionDenied("You are not a signer of this line.", code="not_a_signer")


def sign(
    db: Session,
    services: Services,
    actor: Actor,
    line_id: uuid.UUID,
    pin: str | None,
    signer: PdfSigner | None = None,
) -> LineOut:
    """Sign the actor's turn in the line; ``signer`` stands in for the official's key when
    the key is held elsewhere (a batch job's processes). The signature that completes a
    line over a dossier seals it (``seal_jobs``): on a job runner for a key the service
    keeps, here for a token's or inside a batch."""
    line = _line(db, line_id, for_update=True)
    turn = _current_turn(db, actor, line)
    on_behalf = None
    if turn.on_behalf_of is not None:
        principal = db.get(User, turn.on_behalf_of)
        assert principal is not None
        on_behalf = signatures.OnBehalf(principal.full_name, position_title(db, principal.id))
    first = line.current_step == 1 and not any(
        s.status == SignerStatus.signed.value
        for step in _steps(db, line)
        for s in _signers(db, step)
    )
    request = SignIn(
        pin=pin,
        level=line.level,
        certify=line.certify_first and first and line.round == 1,
        reason=_step(db, line).role_label,
    )
    seals = line.dossier_id is not None and _completes(db, line, turn)
    # The key for the seal's job is opened before anything is written (on SQLite the PIN's
    # count is written aside); None for a key that cannot travel, sealed here instead.
    seal_key = None
    if seals and signer is None:
        seal_key = signatures.kept_key_for_job(db, services, actor, pin)
    services.settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=services.settings.upload_tmp_dir) as work:
        # Every document is signed and stored before any row is written: one failure
        # leaves the line as it was, and SQLite's single writer is taken only at the end.
        signed = [
            signatures.sign_and_store(
                db, services, actor, document_id, request, Path(work), on_behalf, signer
            )
            for document_id in _documents_of(db, line)
        ]
        # Sealed here, its index signed and stored with the documents before any row: it
        # lists the versions just signed.
        seal = None
        if seals and seal_key is None and (signer is not None or _key_stays_here(db, actor)):
            assert line.dossier_id is not None
            seal = sealing.prepare_seal(
                db,
                services,
                actor,
                line.dossier_id,
                request,
                Path(work),
                on_behalf,
                signed,
                signer,
            )
        for item in signed:
            signatures.record_signed(db, services, actor, item)
    slot = turn.signer
    slot.status = SignerStatus.signed.value
    slot.signed_by_id = actor.user_id
    slot.on_behalf_of_id = turn.on_behalf_of
    slot.signed_at = utcnow()
    _event(
        db,
        actor,
        line,
        "signing_line.sign",
        step=line.current_step,
        on_behalf_of=str(turn.on_behalf_of) if turn.on_behalf_of else "",
    )
    _advance(db, services, actor, line)
    if seals:
        assert line.status == LineStatus.signed.value and line.dossier_id is not None
        if seal is not None:
            sealing.record_seal(db, services, actor, seal)
        else:
            dossier = db.get(Dossier, line.dossier_id)
            assert dossier is not None
            db.flush()
            seal_jobs.ask_for_seal(db, services, actor, dossier, on_behalf, line.level, seal_key)
    db.flush()
    return line_out(db, line)


def _completes(db: Session, line: SigningLine, turn: _Eligibility) -> bool:
    """Whether the actor's signature of ``turn`` completes the line."""
    if line.current_step != len(_steps(db, line)):
        return False
    step = _step(db, line)
    others = [s for s in _signers(db, step) if s.id != turn.signer.id]
    return step.mode == StepMode.any.value or all(
        s.status != SignerStatus.pending.value for s in others
    )


def _key_stays_here(db: Session, actor: Actor) -> bool:
    """A key the service does not keep (a token's) signs the index in the request."""
    return not holds_kept_key(active_credential(db, actor.user_id))


def _advance(db: Session, services: Services, actor: Actor, line: SigningLine) -> None:
    step = _step(db, line)
    signers = _signers(db, step)
    done = [s for s in signers if s.status == SignerStatus.signed.value]
    if step.mode == StepMode.any.value and done:
        for other in signers:
            if other.status == SignerStatus.pending.value:
                other.status = SignerStatus.not_needed.value
    if any(s.status == SignerStatus.pending.value for s in signers):
        return
    step.completed_at = utcnow()
    if line.current_step < len(_steps(db, line)):
        line.current_step += 1
        db.flush()
        _notify_step(db, services, line, "to_sign")
        return
    line.status = LineStatus.signed.value
    line.completed_at = utcnow()
    db.flush()
    _event(db, actor, line, "signing_line.complete")
    _notify(db, services, line.requester_id, line, "signed", title=line.title)


def reject(
    db: Session, services: Services, actor: Actor, line_id: uuid.UUID, reason: str
) -> LineOut:
    line = _line(db, line_id, for_update=True)
    _current_turn(db, actor, line)
    line.status = LineStatus.rejected.value
    line.rejection_reason = reason.strip()
    line.rejected_by_id = actor.user_id
    db.flush()
    _event(db, actor, line, "signing_line.reject", reason=reason.strip()[:500])
    _notify(
        db,
        services,
        line.requester_id,
        line,
        "rejected",
        title=line.title,
        who=actor.full_name,
        reason=reason.strip(),
    )
    return line_out(db, line)


def resubmit(db: Session, services: Services, actor: Actor, line_id: uuid.UUID) -> LineOut:
    """After the requester corrected the document (a new version), the line starts again
    from its first step; signatures already made stay in the document's history."""
    line = _line(db, line_id, for_update=True)
    _requester_only(line, actor)
    if line.status != LineStatus.rejected.value:
        raise Conflict("Only a rejected line can be resubmitted.", code="not_rejected")
    for step in _steps(db, line):
        step.completed_at = None
        for signer in _signers(db, step):
            signer.status = SignerStatus.pending.value
            signer.signed_by_id = None
            signer.on_behalf_of_id = None
            signer.signed_at = None
    line.status = LineStatus.in_signature.value
    line.current_step = 1
    line.round += 1
    line.rejection_reason = None
    line.rejected_by_id = None
    db.flush()
    _event(db, actor, line, "signing_line.resubmit", round=line.round)
    _notify_step(db, services, line, "to_sign")
    return line_out(db, line)


# --- stand-ins ----------------------------------------------------------------------------


def stand_ins_of(db: Session, actor: Actor) -> list[StandInOut]:
    """The actor's stand-ins that have not ended: those she named, and those who named
    her, soonest first."""
    today = utcnow().date()
    found = db.scalars(
        select(StandIn)
        .where(
            or_(StandIn.principal_id == actor.user_id, StandIn.substitute_id == actor.user_id),
            StandIn.revoked_at.is_(None),
            StandIn.ends_on >= today,
        )
        .order_by(StandIn.starts_on)
    ).all()
    names = usernames_of(db, {s.principal_id for s in found} | {s.substitute_id for s in found})
    return [
        StandInOut(
            id=s.id,
            principal=names.get(s.principal_id, "?"),
            substitute=names.get(s.substitute_id, "?"),
            starts_on=s.starts_on,
            ends_on=s.ends_on,
        )
        for s in found
    ]


def name_stand_in(db: Session, actor: Actor, data: StandInIn) -> StandInOut:
    substitute = db.scalar(select(User).where(User.username == data.substitute))
    if substitute is None or not substitute.active:
        raise InvalidInput(f"No such active user: {data.substitute}.", code="unknown_user")
    if substitute.id == actor.user_id:
        raise InvalidInput("You cannot stand in for yourself.", code="self_stand_in")
    if Role.official.value not in {r.role for r in substitute.roles}:
        raise InvalidInput(f"{data.substitute} is not an official.", code="signer_not_official")
    stand_in = StandIn(
        id=uuid.uuid4(),
        principal_id=actor.user_id,
        substitute_id=substitute.id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    db.add(stand_in)
    db.flush()
    record_event(
        db,
        actor,
        "stand_in.name",
        object_type="user",
        object_id=str(actor.user_id),
        details={
            "substitute": data.substitute,
            "from": data.starts_on.isoformat(),
            "to": data.ends_on.isoformat(),
        },
    )
    return StandInOut(
        id=stand_in.id,
        principal=actor.username,
        substitute=substitute.username,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )


# --- inbox --------------------------------------------------------------------------------


def inbox(db: Session, actor: Actor, view: str) -> list[InboxEntry]:
    now = utcnow()
    if view == "requested":
        lines: Sequence[SigningLine] = db.scalars(
            select(SigningLine)
            .where(SigningLine.requester_id == actor.user_id)
            .order_by(SigningLine.created_at.desc())
        ).all()
    else:
        open_lines = db.scalars(
            select(SigningLine).where(SigningLine.status == LineStatus.in_signature.value)
        ).all()
        lines = [line for line in open_lines if _awaits(db, actor, line)]
        if view == "overdue":
            requested = db.scalars(
                select(SigningLine).where(
                    SigningLine.requester_id == actor.user_id,
                    SigningLine.status == LineStatus.in_signature.value,
                )
            ).all()
            lines = list({line.id: line for line in [*lines, *requested]}.values())
    entries = []
    for line in lines:
        deadline = (
            _step(db, line).deadline if line.status == LineStatus.in_signature.value else None
        )
        overdue = deadline is not None and deadline < now
        if view == "overdue" and not overdue:
            continue
        entries.append(InboxEntry(line=line_out(db, line), deadline=deadline, overdue=overdue))
    if view != "requested":
        entries.sort(key=lambda e: (e.deadline is None, e.deadline or now))
    return entries


def awaits_signature_on(db: Session, actor: Actor, document_id: uuid.UUID) -> bool:
    """Whether a line in signature asks ``actor`` (as the person or position named, or as
    their stand-in) to sign this document, alone or in the line's dossier, in the step now
    waiting. Only lines asked for by the department that owns the document (or dossier)
    count, as only it may create them."""
    lines = db.scalars(
        select(SigningLine).where(
            SigningLine.status == LineStatus.in_signature.value,
            or_(
                SigningLine.document_id == document_id,
                SigningLine.dossier_id.in_(
                    select(DossierItem.dossier_id).where(DossierItem.document_id == document_id)
                ),
            ),
        )
    )
    for line in lines:
        owner = db.scalar(
            select(Document.owning_department_id).where(Document.id == line.document_id)
            if line.document_id is not None
            else select(Dossier.owning_department_id).where(Dossier.id == line.dossier_id)
        )
        if owner == line.department_id and _awaits(db, actor, line):
            return True
    return False


def _awaits(db: Session, actor: Actor, line: SigningLine) -> bool:
    step = _step(db, line)
    return any(
        s.status == SignerStatus.pending.value and _eligible(db, actor, s)
        for s in _signers(db, step)
    )


def notifications(
    db: Session, actor: Actor, unread_only: bool, t: Translator
) -> list[dict[str, object]]:
    """The actor's notices, newest first, each worded in ``t``'s language."""
    query = select(InboxItem).where(InboxItem.user_id == actor.user_id)
    if unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    rows = db.scalars(query.order_by(InboxItem.created_at.desc()).limit(200))
    return [
        {
            "id": str(r.id),
            "line_id": str(r.line_id) if r.line_id else None,
            "transfer_id": str(r.transfer_id) if r.transfer_id else None,
            "kind": r.kind,
            "params": r.params or {},
            "message": inbox_message(t, r.kind, r.params, r.message),
            "created_at": r.created_at.isoformat(),
            "read": r.read_at is not None,
        }
        for r in rows
    ]


# --- helpers ------------------------------------------------------------------------------


def _steps(db: Session, line: SigningLine) -> list[SigningStep]:
    return list(
        db.scalars(
            select(SigningStep).where(SigningStep.line_id == line.id).order_by(SigningStep.position)
        )
    )


def _step(db: Session, line: SigningLine) -> SigningStep:
    step = db.scalar(
        select(SigningStep).where(
            SigningStep.line_id == line.id, SigningStep.position == max(line.current_step, 1)
        )
    )
    assert step is not None
    return step


def _signers(db: Session, step: SigningStep) -> list[StepSigner]:
    return list(
        db.scalars(select(StepSigner).where(StepSigner.step_id == step.id).order_by(StepSigner.id))
    )


def _documents_of(db: Session, line: SigningLine) -> list[uuid.UUID]:
    if line.document_id is not None:
        return [line.document_id]
    return list(
        db.scalars(
            select(DossierItem.document_id)
            .where(DossierItem.dossier_id == line.dossier_id)
            .order_by(DossierItem.position)
        )
    )


def _notify_step(db: Session, services: Services, line: SigningLine, kind: str) -> None:
    step = _step(db, line)
    for signer in _signers(db, step):
        for principal in _principals(db, signer):
            _notify(db, services, principal, line, kind, title=line.title)
            for substitute in db.scalars(
                select(StandIn.substitute_id).where(
                    StandIn.principal_id == principal,
                    StandIn.revoked_at.is_(None),
                    StandIn.starts_on <= utcnow().date(),
                    StandIn.ends_on >= utcnow().date(),
                )
            ):
                _notify(db, services, substitute, line, kind, title=line.title, stand_in="yes")


def _notify(
    db: Session,
    services: Services,
    user_id: uuid.UUID,
    line: SigningLine,
    kind: str,
    **params: str,
) -> None:
    # Marked here, in the transition's transaction, with the job that mails it after the
    # commit: the mail server can never hold up or undo a transition. Left NULL while
    # e-mail is off, so that turning SMTP on later does not mail old notifications.
    notify_by_email = services.settings.smtp_enabled
    db.add(
        InboxItem(
            id=uuid.uuid4(),
            user_id=user_id,
            line_id=line.id,
            kind=kind,
            params=params,
            email_status="pending" if notify_by_email else None,
        )
    )
    if notify_by_email:
        delivery.mail_after_commit(db, services)


def _event(db: Session, actor: Actor, line: SigningLine, action: str, **details: object) -> None:
    record_event(
        db,
        actor,
        action,
        object_type="signing_line",
        object_id=str(line.id),
        department_id=line.department_id,
        details={"status": line.status, **{k: str(v) for k, v in details.items()}},
    )


def _username(db: Session, user_id: uuid.UUID | None) -> str | None:
    if user_id is None:
        return None
    return db.scalar(select(User.username).where(User.id == user_id))


def _position_label(db: Session, position_id: uuid.UUID | None) -> str | None:
    if position_id is None:
        return None
    row = db.execute(
        select(Department.code, Position.code)
        .join(Position, Position.department_id == Department.id)
        .where(Position.id == position_id)
    ).first()
    return f"{row[0]}:{row[1]}" if row else None


def line_out(db: Session, line: SigningLine) -> LineOut:
    steps = []
    for step in _steps(db, line):
        steps.append(
            StepOut(
                position=step.position,
                mode=StepMode(step.mode),
                role_label=step.role_label,
                deadline=step.deadline,
                completed_at=step.completed_at,
                signers=[
                    SignerOut(
                        id=s.id,
                        user=_username(db, s.user_id),
                        position=_position_label(db, s.position_id),
                        status=s.status,
                        signed_by=_username(db, s.signed_by_id),
                        on_behalf_of=_username(db, s.on_behalf_of_id),
                        signed_at=s.signed_at,
                    )
                    for s in _signers(db, step)
                ],
            )
        )
    return LineOut(
        id=line.id,
        title=line.title,
        document_id=line.document_id,
        dossier_id=line.dossier_id,
        requester=_username(db, line.requester_id) or "",
        status=LineStatus(line.status),
        current_step=line.current_step,
        round=line.round,
        level=line.level,
        certify_first=line.certify_first,
        rejection_reason=line.rejection_reason,
        created_at=line.created_at,
        submitted_at=line.submitted_at,
        completed_at=line.completed_at,
        steps=steps,
    )


def get_line(db: Session, actor: Actor, line_id: uuid.UUID) -> LineOut:
    return line_out(db, _visible_line(db, actor, line_id))


def awaits_turn(db: Session, actor: Actor, line_id: uuid.UUID) -> bool:
    """Whether the line in signature waits for the actor now (as named, or standing in)."""
    line = _visible_line(db, actor, line_id)
    return line.status == LineStatus.in_signature.value and _awaits(db, actor, line)


def lines_for(
    db: Session,
    actor: Actor,
    *,
    document_id: uuid.UUID | None = None,
    dossier_id: uuid.UUID | None = None,
) -> list[LineOut]:
    """The signing lines over a document or a dossier that the actor may see, newest
    first (the caller has checked that she may read the document or dossier)."""
    query = select(SigningLine)
    if document_id is not None:
        query = query.where(SigningLine.document_id == document_id)
    if dossier_id is not None:
        query = query.where(SigningLine.dossier_id == dossier_id)
    found = db.scalars(query.order_by(SigningLine.created_at.desc()).limit(100))
    return [line_out(db, line) for line in found if _sees(db, actor, line)]
