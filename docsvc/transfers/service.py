"""Transfers: a document or dossier sent from one department to another with a signed
transfer note; the receiving department answers with a signed receipt, or returns it with
a reason. Forwarding makes a linked transfer; a reply links back to the request it answers.

Each note and receipt is a record (RFC 8785 canonical JSON) signed with the official's own
key (CAdES, time-stamped when a TSA is configured), kept byte for byte with its signature
and entered in the register's log, so that it can be verified offline, years later."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.calendar.business_days import add_business_days
from docsvc.calendar.local import local_date
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.documents import repository as documents_repository
from docsvc.documents.service import readable_document
from docsvc.dossiers import repository as dossiers_repository
from docsvc.dossiers.service import readable_dossier
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.identity.repository import department_code
from docsvc.ledger.events import receipt_leaf, record_leaf, transfer_leaf
from docsvc.models import (
    Department,
    Document,
    DocumentAccess,
    Dossier,
    DossierItem,
    Holiday,
)
from docsvc.models.transfers import Receipt, Transfer, TransferPurpose, TransferStatus
from docsvc.organisation import repository as organisation
from docsvc.register import cases
from docsvc.register.access import READ_ALL_ROLES, sees_transfer
from docsvc.register.service import registry_numbers
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.transfers.answers import Answers, answers_of
from docsvc.transfers.schemas import (
    Deadlines,
    ReceiptOut,
    TransferIn,
    TransferOut,
    TransferPage,
)
from transparency import canonical

RECORD_VERSION = 1


def holidays(db: Session) -> set[date]:
    return set(db.scalars(select(Holiday.day)))


def _department(db: Session, code: str) -> Department:
    department = organisation.department_by_code(db, code)
    if department is None or not department.active:
        raise NotFound(f"No department {code!r}.", code="department_not_found")
    return department


def _require_sendable(actor: Actor, owner: uuid.UUID, received: bool) -> None:
    """A department sends only what it owns or was sent: reading a document (every internal
    one is readable) is not enough to pass it on in its owner's name."""
    if owner != actor.department_id and not received:
        raise PermissionDenied(
            "Your department can send only what it owns or received in a transfer.",
            code="not_owned_or_received",
        )


def _what(db: Session, actor: Actor, body: TransferIn) -> tuple[dict[str, Any], list[uuid.UUID]]:
    """The record's description of what is sent, pinned by hash; and the documents in it."""
    if body.document_id is not None:
        document = readable_document(db, actor, body.document_id)
        _require_sendable(
            actor,
            document.owning_department_id,
            # Every transfer grants its receiving department access (``_grant``): a grant
            # is the record that the document was sent there, acknowledged or not.
            actor.department_id in documents_repository.granted_departments(db, document.id),
        )
        version = documents_repository.version_of(db, document.id, document.latest_version)
        assert version is not None
        described = {
            "type": "document",
            "id": str(document.id),
            "version": version.number,
            "sha256": version.sha256,
        }
        return described, [document.id]
    assert body.dossier_id is not None
    dossier = readable_dossier(db, actor, body.dossier_id)
    _require_sendable(
        actor,
        dossier.owning_department_id,
        db.scalar(
            select(Transfer.id)
            .where(
                Transfer.dossier_id == dossier.id,
                Transfer.to_department_id == actor.department_id,
            )
            .limit(1)
        )
        is not None,
    )
    rows = dossiers_repository.items_of(db, dossier.id)
    items = [
        {"id": str(document.id), "version": version.number, "sha256": version.sha256}
        for _, document, version in rows
    ]
    documents = [document.id for _, document, _ in rows]
    return {"type": "dossier", "id": str(dossier.id), "documents": items}, documents


def _received_by_me(db: Session, actor: Actor, transfer_id: uuid.UUID, what: str) -> Transfer:
    previous = db.get(Transfer, transfer_id)
    if previous is None or previous.to_department_id != actor.department_id:
        raise NotFound(
            f"No transfer received by your department to {what}.", code="transfer_not_found"
        )
    if previous.status != TransferStatus.acknowledged.value:
        raise Conflict(
            f"Acknowledge the transfer with a signed receipt before you {what} it.",
            code="not_acknowledged",
        )
    return previous


def send(db: Session, services: Services, actor: Actor, body: TransferIn) -> TransferOut:
    signatures.require_official(actor)
    described, document_ids = _what(db, actor, body)
    to_department = _department(db, body.to_department)
    if to_department.id == actor.department_id:
        raise Conflict("A transfer goes to another department.", code="same_department")
    to_user = None
    if body.to_user is not None:
        to_user = organisation.user_by_username(db, body.to_user)
        if to_user is None or to_user.department_id != to_department.id or not to_user.active:
            raise NotFound(
                f"No official {body.to_user!r} in {to_department.code}.", code="user_not_found"
            )
    previous = None
    if body.forwarded_from is not None:
        previous = _received_by_me(db, actor, body.forwarded_from, "forward")
    if body.reply_to is not None:
        previous = _received_by_me(db, actor, body.reply_to, "answer")
        if previous.from_department_id != to_department.id:
            raise Conflict(
                "A reply goes back to the department that sent the request.",
                code="reply_goes_back",
            )
    # A forward or a reply stays in the case of the transfer received (which the department
    # sees, having received it); otherwise only a case the sender sees is joined, since the
    # transfer opens the case's history to the receiving department.
    case_id = (
        previous.case_id
        if previous is not None
        else cases.case_for(db, actor, body.case_id, body.document_id, body.dossier_id)
    )
    settings = services.settings
    now = utcnow()
    due_on = (
        add_business_days(local_date(settings, now), body.deadline_days, holidays(db))
        if body.deadline_days
        else None
    )
    transfer_id = uuid.uuid4()
    record = {
        "type": "docsvc.transfer",
        "v": RECORD_VERSION,
        "id": str(transfer_id),
        "institution": settings.institution_code,
        "case": str(case_id),
        "from": {
            "department": department_code(db, actor.department_id),
            "official": actor.username,
            "name": actor.full_name,
        },
        "to": {"department": to_department.code, "official": body.to_user},
        "what": described,
        "purpose": body.purpose,
        "instructions": body.instructions,
        "deadline": (
            {"business_days": body.deadline_days, "due_on": due_on.isoformat()}
            if due_on is not None
            else None
        ),
        "forwarded_from": str(body.forwarded_from) if body.forwarded_from else None,
        "reply_to": str(body.reply_to) if body.reply_to else None,
        "sent_at": now.astimezone(UTC).isoformat(),
    }
    data = canonical(record)
    signature, level = signatures.sign_record_as(db, services, actor, data, body.pin)
    transfer = Transfer(
        id=transfer_id,
        case_id=case_id,
        document_id=body.document_id,
        dossier_id=body.dossier_id,
        from_department_id=actor.department_id,
        from_user_id=actor.user_id,
        to_department_id=to_department.id,
        to_user_id=to_user.id if to_user else None,
        purpose=body.purpose,
        instructions=body.instructions,
        deadline_days=body.deadline_days,
        due_on=due_on,
        status=TransferStatus.sent.value,
        forwarded_from_id=body.forwarded_from,
        reply_to_id=body.reply_to,
        record=data,
        signature=signature,
        signature_level=level.value,
        created_at=now,
    )
    db.add(transfer)
    _grant(db, document_ids, to_department.id)
    db.flush()
    leaf = transfer_leaf(
        transfer,
        record["from"]["department"],  # type: ignore[index]
        to_department.code,
        actor.username,
    )
    record_leaf(db, "transfer", "transfer", transfer.id, leaf, now)
    record_event(
        db,
        actor,
        "transfer.send",
        object_type="transfer",
        object_id=str(transfer.id),
        department_id=actor.department_id,
        details={"to": to_department.code, "purpose": body.purpose, "case": str(case_id)},
    )
    return transfer_out(db, transfer, settings)


def _grant(db: Session, document_ids: list[uuid.UUID], department_id: uuid.UUID) -> None:
    """The receiving department may read what it was sent, confidential or not."""
    for document_id in document_ids:
        if db.get(DocumentAccess, (document_id, department_id)) is None:
            db.add(
                DocumentAccess(
                    document_id=document_id, department_id=department_id, reason="transfer"
                )
            )


def answer(
    db: Session,
    services: Services,
    actor: Actor,
    transfer_id: uuid.UUID,
    pin: str | None,
    returned_reason: str | None = None,
) -> TransferOut:
    """The receiving department's signed receipt, or its signed return with a reason."""
    transfer = _visible(db, actor, transfer_id)
    if transfer.to_department_id != actor.department_id or (
        transfer.to_user_id is not None and transfer.to_user_id != actor.user_id
    ):
        raise PermissionDenied(
            "Only the department (or the official) it was sent to answers a transfer.",
            code="not_recipient",
        )
    if transfer.status != TransferStatus.sent.value:
        raise Conflict(f"The transfer was already {transfer.status}.", code="already_answered")
    kind = TransferStatus.returned if returned_reason is not None else TransferStatus.acknowledged
    now = utcnow()
    receipt_id = uuid.uuid4()
    record = {
        "type": "docsvc.receipt",
        "v": RECORD_VERSION,
        "id": str(receipt_id),
        "institution": services.settings.institution_code,
        "transfer": {
            "id": str(transfer.id),
            "record_sha256": hashlib.sha256(transfer.record).hexdigest(),
        },
        "kind": kind.value,
        "reason": returned_reason,
        "department": department_code(db, actor.department_id),
        "official": actor.username,
        "name": actor.full_name,
        "at": now.astimezone(UTC).isoformat(),
    }
    data = canonical(record)
    signature, level = signatures.sign_record_as(db, services, actor, data, pin)
    receipt = Receipt(
        id=receipt_id,
        transfer_id=transfer.id,
        kind=kind.value,
        reason=returned_reason,
        user_id=actor.user_id,
        department_id=actor.department_id,
        record=data,
        signature=signature,
        signature_level=level.value,
        created_at=now,
    )
    transfer.status = kind.value
    db.add(receipt)
    db.flush()
    leaf = receipt_leaf(receipt, transfer, str(record["department"]), actor.username)
    record_leaf(db, "receipt", "receipt", receipt.id, leaf, now)
    record_event(
        db,
        actor,
        f"transfer.{'return' if returned_reason is not None else 'acknowledge'}",
        object_type="transfer",
        object_id=str(transfer.id),
        department_id=actor.department_id,
        details={"reason": returned_reason or ""},
    )
    return transfer_out(db, transfer, services.settings)


def _visible(db: Session, actor: Actor, transfer_id: uuid.UUID) -> Transfer:
    transfer = db.get(Transfer, transfer_id)
    if transfer is None or not sees_transfer(actor, transfer):
        raise NotFound("No such transfer.", code="transfer_not_found")
    return transfer


def sent_for_signature(db: Session, actor: Actor, document_id: uuid.UUID) -> bool:
    """Whether the document was sent to ``actor``'s department for signature, alone or in a
    dossier, by a transfer that is still waiting: not returned, and not yet answered with a
    reply (acknowledging it is not answering it)."""
    candidates = db.scalars(
        select(Transfer).where(
            Transfer.to_department_id == actor.department_id,
            Transfer.purpose == TransferPurpose.signature.value,
            Transfer.status != TransferStatus.returned.value,
            or_(
                Transfer.document_id == document_id,
                Transfer.dossier_id.in_(
                    select(DossierItem.dossier_id).where(DossierItem.document_id == document_id)
                ),
            ),
        )
    )
    asking = list(candidates)
    replied = answers_of(db, asking).replied
    return any(
        _pins_document(transfer, document_id)
        and _sender_may_send(db, transfer, document_id)
        and transfer.id not in replied
        for transfer in asking
    )


def _pins_document(transfer: Transfer, document_id: uuid.UUID) -> bool:
    """Whether the signed transfer note sends this document: itself, or in the dossier's
    list of documents as it was when sent."""
    if transfer.document_id is not None:
        return transfer.document_id == document_id
    what = json.loads(transfer.record).get("what", {})
    return str(document_id) in {item.get("id") for item in what.get("documents", [])}


def _sender_may_send(db: Session, transfer: Transfer, document_id: uuid.UUID) -> bool:
    """Whether the sending department owns the document or received it (``_what``'s rule
    for a document sent alone). A dossier may hold other departments' documents: sending
    the dossier for signature does not make those signable by its receiver."""
    owner = db.scalar(select(Document.owning_department_id).where(Document.id == document_id))
    return (
        owner == transfer.from_department_id
        or db.get(DocumentAccess, (document_id, transfer.from_department_id)) is not None
    )


def get(db: Session, actor: Actor, settings: Settings, transfer_id: uuid.UUID) -> TransferOut:
    return transfer_out(db, _visible(db, actor, transfer_id), settings)


def signed_record(
    db: Session, actor: Actor, transfer_id: uuid.UUID, receipt: bool
) -> tuple[bytes, bytes]:
    """The record's bytes and its signature: the transfer note's, or its receipt's."""
    transfer = _visible(db, actor, transfer_id)
    if not receipt:
        return transfer.record, transfer.signature
    row = db.scalar(select(Receipt).where(Receipt.transfer_id == transfer.id))
    if row is None:
        raise NotFound("The transfer has no receipt yet.", code="receipt_not_found")
    return row.record, row.signature


def list_transfers(
    db: Session,
    actor: Actor,
    settings: Settings,
    box: str,
    status: str | None,
    limit: int,
    offset: int,
) -> TransferPage:
    column = Transfer.to_department_id if box == "incoming" else Transfer.from_department_id
    query = select(Transfer).where(column == actor.department_id)
    if status is not None:
        query = query.where(Transfer.status == status)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Transfer.created_at.desc()).limit(limit).offset(offset))
    return TransferPage(items=transfers_out(db, list(rows), settings), total=total)


def awaiting_answer(db: Session, actor: Actor, settings: Settings) -> list[TransferOut]:
    """What the actor's department received and has not answered yet: those it has not
    acknowledged, and those it acknowledged that ask for action, a signature or a reply
    not given yet; soonest due first."""
    rows = db.scalars(
        select(Transfer)
        .where(
            Transfer.to_department_id == actor.department_id,
            Transfer.status.in_([TransferStatus.sent.value, TransferStatus.acknowledged.value]),
        )
        .order_by(Transfer.created_at.desc())
        .limit(500)
    )
    received = list(rows)
    answers = answers_of(db, received)
    waiting = [t for t in received if answers.awaits_answer(t)]
    waiting.sort(key=lambda t: (t.due_on is None, t.due_on or date.max))
    return transfers_out(db, waiting, settings, answers)


def deadlines(
    db: Session, actor: Actor, settings: Settings, department_code: str | None, soon_days: int
) -> Deadlines:
    """A department's open transfers: overdue, and due within ``soon_days`` business days."""
    department = (
        _department(db, department_code)
        if department_code
        else db.get(Department, actor.department_id)
    )
    assert department is not None
    if department.id != actor.department_id and not actor.roles & READ_ALL_ROLES:
        raise PermissionDenied(
            "You may see your own department's deadlines.", code="other_department"
        )
    today = local_date(settings)
    horizon = add_business_days(today, soon_days, holidays(db))
    rows = db.scalars(
        select(Transfer)
        .where(
            Transfer.to_department_id == department.id,
            Transfer.due_on.is_not(None),
            Transfer.due_on <= horizon,
            or_(
                Transfer.status == TransferStatus.sent.value,
                Transfer.status == TransferStatus.acknowledged.value,
            ),
        )
        .order_by(Transfer.due_on)
    )
    due = list(rows)
    answers = answers_of(db, due)
    open_rows = [t for t in due if answers.is_open(t)]
    shown = transfers_out(db, open_rows, settings, answers)
    return Deadlines(
        department=department.code,
        today=today,
        overdue=[out for out in shown if out.due_on and out.due_on < today],
        due_soon=[out for out in shown if out.due_on and out.due_on >= today],
    )


def transfer_out(db: Session, transfer: Transfer, settings: Settings) -> TransferOut:
    return transfers_out(db, [transfer], settings)[0]


def transfers_out(
    db: Session,
    transfers: Sequence[Transfer],
    settings: Settings,
    answers: Answers | None = None,
) -> list[TransferOut]:
    """Transfers as the API and the pages show them, with a fixed number of queries
    however many there are (an inbox lists dozens)."""
    if not transfers:
        return []
    answers = answers if answers is not None else answers_of(db, transfers)
    ids = [t.id for t in transfers]
    receipts = {
        r.transfer_id: r for r in db.scalars(select(Receipt).where(Receipt.transfer_id.in_(ids)))
    }
    document_ids = {t.document_id for t in transfers if t.document_id is not None}
    dossier_ids = {t.dossier_id for t in transfers if t.dossier_id is not None}
    titles = (
        dict(
            db.execute(
                select(Document.id, Document.title).where(Document.id.in_(document_ids))
            ).all()
        )
        if document_ids
        else {}
    )
    dossier_titles = (
        dict(db.execute(select(Dossier.id, Dossier.title).where(Dossier.id.in_(dossier_ids))).all())
        if dossier_ids
        else {}
    )
    numbers = registry_numbers(db, document_ids)
    departments = organisation.department_codes(db)
    people = organisation.usernames_of(
        db,
        {t.from_user_id for t in transfers}
        | {t.to_user_id for t in transfers if t.to_user_id is not None}
        | {r.user_id for r in receipts.values()},
    )
    today = local_date(settings)
    shown = []
    for transfer in transfers:
        receipt = receipts.get(transfer.id)
        still_open = answers.is_open(transfer)
        title = (
            titles.get(transfer.document_id)
            if transfer.document_id is not None
            else dossier_titles.get(transfer.dossier_id)
            if transfer.dossier_id is not None
            else None
        )
        shown.append(
            TransferOut(
                title=title,
                registry_numbers=numbers.get(transfer.document_id, [])
                if transfer.document_id is not None
                else [],
                answered=transfer.id in answers.replied,
                signature_made=transfer.id in answers.signed,
                id=transfer.id,
                case_id=transfer.case_id,
                document_id=transfer.document_id,
                dossier_id=transfer.dossier_id,
                from_department=departments.get(transfer.from_department_id, ""),
                from_user=people.get(transfer.from_user_id, ""),
                to_department=departments.get(transfer.to_department_id, ""),
                to_user=people.get(transfer.to_user_id, "") if transfer.to_user_id else None,
                purpose=transfer.purpose,
                instructions=transfer.instructions,
                deadline_days=transfer.deadline_days,
                due_on=transfer.due_on,
                status=transfer.status,
                forwarded_from=transfer.forwarded_from_id,
                reply_to=transfer.reply_to_id,
                signature_level=transfer.signature_level,
                created_at=transfer.created_at,
                receipt=(
                    ReceiptOut(
                        id=receipt.id,
                        kind=receipt.kind,
                        reason=receipt.reason,
                        by=people.get(receipt.user_id, ""),
                        department=departments.get(receipt.department_id, ""),
                        signature_level=receipt.signature_level,
                        created_at=receipt.created_at,
                    )
                    if receipt is not None
                    else None
                ),
                open=still_open,
                overdue=bool(still_open and transfer.due_on and transfer.due_on < today),
            )
        )
    return shown


def check_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("Say why the transfer is returned.", code="reason_required")
    return reason.strip()
