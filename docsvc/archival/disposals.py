"""Supervised disposal (eliminación documental): the archivist lists the records of the
central archive whose retention has ended and appraises them; the archive committee (a
second person) approves the proposal with its signature; the archivist executes it: for
elimination the stored content is deleted where storage allows and a metadata stub remains;
conservation (total, or the records kept by selection, or digitization) keeps the record
for the historical archive, to which the central archive hands it with a secondary
transfer. The signed disposal record (acta de eliminación) lists every item, what was done
and under which table and approval. Held records can never be selected, and a hold placed
after the approval keeps its record out of the execution."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from archive.retention import Disposition
from docsvc.actors.actor import Actor
from docsvc.archival.archive_transfers import KEPT_FOR_HISTORY, object_keys
from docsvc.archival.holdings import holdings_out, refresh_schedules
from docsvc.archival.schemas import DisposalItemOut, HoldingOut, ProposalOut
from docsvc.audit.service import record_event
from docsvc.calendar.local import local_date
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import (
    ArchiveHolding,
    ArchivePhase,
    DisposalItem,
    DisposalProposal,
    DisposalStatus,
    RetentionTable,
    Role,
    User,
)
from docsvc.services import Services
from docsvc.signatures import service as signatures
from storage import StorageError
from transparency.leaves import canonical

RECORD_TYPE = "docsvc.archive.disposal_record"
APPROVAL_TYPE = "docsvc.archive.disposal_approval"
DESTROYED, HISTORICAL, HELD = "destroyed", KEPT_FOR_HISTORY, "held"


def _open_items() -> Select[uuid.UUID]:
    return (
        select(DisposalItem.holding_id)
        .join(DisposalProposal, DisposalProposal.id == DisposalItem.proposal_id)
        .where(DisposalProposal.status != DisposalStatus.executed.value)
    )


def due_for_disposal(
    db: Session, actor: Actor, services: Services, limit: int = 1000
) -> list[HoldingOut]:
    """Central-archive records whose retention has ended, not held, not in a proposal."""
    _require(actor, Role.archivist, Role.archive_committee)
    refresh_schedules(db, services.settings)
    rows = db.scalars(
        select(ArchiveHolding)
        .where(_due(services))
        .order_by(ArchiveHolding.disposal_on, ArchiveHolding.id)
        .limit(limit)
    )
    return holdings_out(db, list(rows))


def _due(services: Services) -> ColumnElement[bool]:
    """A condition on ``ArchiveHolding``: its retention in the central archive has ended,
    it is not held, no open proposal lists it, and no executed one kept it already."""
    return and_(
        ArchiveHolding.phase == ArchivePhase.central.value,
        ArchiveHolding.disposal_on <= local_date(services.settings),
        ArchiveHolding.on_hold.is_(False),
        ArchiveHolding.id.not_in(_open_items()),
        ArchiveHolding.id.not_in(_kept_items()),
    )


def _kept_items() -> Select[uuid.UUID]:
    return (
        select(DisposalItem.holding_id)
        .join(DisposalProposal, DisposalProposal.id == DisposalItem.proposal_id)
        .where(
            DisposalProposal.status == DisposalStatus.executed.value,
            DisposalItem.outcome == HISTORICAL,
        )
    )


def _require(actor: Actor, *roles: Role) -> None:
    if not actor.has_any(*roles):
        raise PermissionDenied(
            "The archive and its committee supervise disposal.", code="not_an_archivist"
        )


def propose(
    db: Session,
    services: Services,
    actor: Actor,
    holding_ids: list[uuid.UUID],
    appraisal: str,
    keep_ids: list[uuid.UUID],
) -> ProposalOut:
    """The archivist's proposal: every record chosen must be due and free of holds."""
    _require(actor, Role.archivist)
    if not holding_ids:
        raise InvalidInput("Choose what to dispose of.", code="archive_nothing_chosen")
    if not appraisal.strip():
        raise InvalidInput("Write the appraisal.", code="appraisal_required")
    chosen = set(holding_ids)
    refresh_schedules(db, services.settings)
    due = set(
        db.scalars(select(ArchiveHolding.id).where(ArchiveHolding.id.in_(chosen), _due(services)))
    )
    if not chosen <= due:
        raise Conflict(
            "A record chosen is not due for disposal, is held, or is in another proposal.",
            code="archive_not_due",
        )
    number = (db.scalar(select(func.max(DisposalProposal.number))) or 0) + 1
    proposal = DisposalProposal(
        number=number, appraisal=appraisal.strip(), proposed_by_id=actor.user_id
    )
    db.add(proposal)
    db.flush()
    keep = set(keep_ids)
    for row in db.scalars(select(ArchiveHolding).where(ArchiveHolding.id.in_(chosen))):
        disposition = row.disposition or Disposition.keep.value
        if disposition == Disposition.sample.value:
            disposition = Disposition.keep.value if row.id in keep else Disposition.destroy.value
        db.add(DisposalItem(proposal_id=proposal.id, holding_id=row.id, disposition=disposition))
    db.flush()
    record_event(
        db,
        actor,
        "archive.disposal.propose",
        object_type="disposal",
        object_id=str(proposal.id),
        details={"items": len(chosen)},
    )
    return proposal_out(db, proposal)


def _proposal(db: Session, proposal_id: uuid.UUID) -> DisposalProposal:
    proposal = db.get(DisposalProposal, proposal_id)
    if proposal is None:
        raise NotFound("No such disposal proposal.", code="disposal_not_found")
    return proposal


def _items(db: Session, proposal: DisposalProposal) -> list[tuple[DisposalItem, ArchiveHolding]]:
    return [
        (item, holding)
        for item, holding in db.execute(
            select(DisposalItem, ArchiveHolding)
            .join(ArchiveHolding, ArchiveHolding.id == DisposalItem.holding_id)
            .where(DisposalItem.proposal_id == proposal.id)
            .order_by(DisposalItem.id)
        )
    ]


def approve(
    db: Session, services: Services, actor: Actor, proposal_id: uuid.UUID, pin: str | None
) -> ProposalOut:
    """The archive committee approves, signing what it approves (not whoever proposed)."""
    _require(actor, Role.archive_committee)
    proposal = _proposal(db, proposal_id)
    if proposal.status != DisposalStatus.proposed.value:
        raise Conflict("The proposal was approved already.", code="disposal_decided")
    if proposal.proposed_by_id == actor.user_id:
        raise Conflict("Another person approves a disposal.", code="archive_same_person")
    record = canonical(
        {
            "type": APPROVAL_TYPE,
            "version": 1,
            "institution": services.settings.institution_code,
            "proposal": proposal.number,
            "appraisal_sha256": hashlib.sha256(proposal.appraisal.encode()).hexdigest(),
            "items": [
                {"holding": str(holding.id), "disposition": item.disposition}
                for item, holding in _items(db, proposal)
            ],
            "by": actor.username,
            "at": utcnow().isoformat(),
        }
    )
    signature, _ = signatures.sign_record_as(db, services, actor, record, pin)
    proposal.status = DisposalStatus.approved.value
    proposal.approved_by_id, proposal.approved_at = actor.user_id, utcnow()
    proposal.approval_record, proposal.approval_signature = record, signature
    db.flush()
    record_event(
        db, actor, "archive.disposal.approve", object_type="disposal", object_id=str(proposal.id)
    )
    return proposal_out(db, proposal)


def execute(
    db: Session, services: Services, actor: Actor, proposal_id: uuid.UUID, pin: str | None
) -> ProposalOut:
    """Carry out an approved proposal and sign its record (the acta)."""
    _require(actor, Role.archivist)
    proposal = _proposal(db, proposal_id)
    if proposal.status != DisposalStatus.approved.value:
        raise Conflict("Only an approved proposal is executed.", code="disposal_not_approved")
    store = services.store
    items = _items(db, proposal)
    tables = {
        row.id: row.number for row in db.execute(select(RetentionTable.id, RetentionTable.number))
    }
    planned: list[tuple[DisposalItem, ArchiveHolding, str, list[str]]] = []
    for item, holding in items:
        keys = object_keys(db, holding)
        if holding.on_hold:
            outcome = HELD
        elif item.disposition == Disposition.destroy.value:
            for key in keys:
                info = store.stat(key) if store.exists(key) else None
                if info is not None and (info.legal_hold or _retained(info.retain_until)):
                    raise Conflict(
                        "The storage still retains a record to destroy.",
                        code="archive_still_retained",
                    )
            outcome = DESTROYED
        else:
            outcome = HISTORICAL
        planned.append((item, holding, outcome, keys))
    shown = {h.id: h for h in holdings_out(db, [holding for _, holding in items])}
    approval_sha256 = hashlib.sha256(proposal.approval_record or b"").hexdigest()
    record = canonical(
        {
            "type": RECORD_TYPE,
            "version": 1,
            "institution": services.settings.institution_code,
            "proposal": proposal.number,
            "approval_sha256": approval_sha256,
            "executed_by": actor.username,
            "executed_at": utcnow().isoformat(),
            "items": [
                {
                    "holding": str(holding.id),
                    "record": str(holding.dossier_id or holding.document_id),
                    "title": shown[holding.id].title,
                    "series": shown[holding.id].series_code,
                    "disposition": item.disposition,
                    "table": tables.get(holding.table_id) if holding.table_id else None,
                    "outcome": outcome,
                    "sha256s": sorted(keys),
                }
                for item, holding, outcome, keys in planned
            ],
        }
    )
    # The signature first: it counts its PIN attempt in a transaction of its own.
    signature, _ = signatures.sign_record_as(db, services, actor, record, pin)
    for item, holding, outcome, keys in planned:
        item.outcome = outcome
        if outcome == DESTROYED:
            for key in keys:
                try:
                    if store.exists(key):
                        store.delete(key)
                except StorageError as exc:
                    raise Conflict(
                        f"The storage refused to delete a record: {exc}",
                        code="archive_delete_refused",
                    ) from exc
            holding.phase = ArchivePhase.disposed.value
        elif outcome == HISTORICAL:
            # Kept for good: the central archive hands it to the historical archive with
            # a secondary transfer (docsvc.archival.archive_transfers.prepare_secondary).
            holding.disposition = Disposition.keep.value
    proposal.status = DisposalStatus.executed.value
    proposal.executed_by_id, proposal.executed_at = actor.user_id, utcnow()
    proposal.record, proposal.signature = record, signature
    record_leaf(
        db,
        "archive.disposal",
        "disposal",
        proposal.id,
        LeafData(
            public={
                "proposal": proposal.number,
                "record_sha256": hashlib.sha256(record).hexdigest(),
                "signature_sha256": hashlib.sha256(signature).hexdigest(),
                "destroyed": sum(1 for plan in planned if plan[2] == DESTROYED),
                "historical": sum(1 for plan in planned if plan[2] == HISTORICAL),
            },
            private={"by": actor.username},
        ),
    )
    record_event(
        db, actor, "archive.disposal.execute", object_type="disposal", object_id=str(proposal.id)
    )
    db.flush()
    return proposal_out(db, proposal)


def _retained(until: datetime | None) -> bool:
    return until is not None and until > datetime.now(UTC)


def proposals(db: Session) -> list[DisposalProposal]:
    return list(db.scalars(select(DisposalProposal).order_by(DisposalProposal.number.desc())))


def proposal_by_id(db: Session, proposal_id: uuid.UUID) -> DisposalProposal:
    return _proposal(db, proposal_id)


def proposal_out(db: Session, proposal: DisposalProposal) -> ProposalOut:
    people = {row.id: row.username for row in db.execute(select(User.id, User.username))}
    items = _items(db, proposal)
    shown = {h.id: h for h in holdings_out(db, [holding for _, holding in items])}
    return ProposalOut(
        id=proposal.id,
        number=proposal.number,
        status=proposal.status,
        appraisal=proposal.appraisal,
        proposed_by=people.get(proposal.proposed_by_id, ""),
        proposed_at=proposal.proposed_at,
        approved_by=people.get(proposal.approved_by_id) if proposal.approved_by_id else None,
        approved_at=proposal.approved_at,
        executed_by=people.get(proposal.executed_by_id) if proposal.executed_by_id else None,
        executed_at=proposal.executed_at,
        record_sha256=hashlib.sha256(proposal.record).hexdigest() if proposal.record else None,
        items=[
            DisposalItemOut(
                holding_id=holding.id,
                title=shown[holding.id].title,
                series_code=shown[holding.id].series_code,
                disposition=item.disposition,
                outcome=item.outcome,
            )
            for item, holding in items
        ],
    )
