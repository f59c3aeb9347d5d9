"""Legal holds (retención legal, congelamiento): on one record or on a whole series, with
the reason, the authority that ordered it and its reference. A held record can never be
selected for disposal, and every stored object under it carries the storage's legal hold
(S3 object lock; the local store enforces it itself). Releasing a hold needs a second
person: not whoever placed it."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.archival.archive_transfers import object_keys
from docsvc.archival.schemas import HoldOut
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import (
    ArchiveHolding,
    ClassificationNode,
    Document,
    Dossier,
    LegalHold,
    Role,
    User,
)
from docsvc.services import Services

HOLD_ROLES = (Role.archivist, Role.legal)


def _require(actor: Actor) -> None:
    if not actor.has_any(*HOLD_ROLES):
        raise PermissionDenied(
            "Archivists and legal staff place and release holds.", code="not_hold_role"
        )


def covered(db: Session, hold: LegalHold) -> list[ArchiveHolding]:
    """The holdings a hold covers: its own, or every one filed under the series or its
    subseries (in any version of the scheme)."""
    if hold.holding_id is not None:
        row = db.get(ArchiveHolding, hold.holding_id)
        return [row] if row is not None else []
    code = hold.series_code or ""
    return list(
        db.scalars(
            select(ArchiveHolding)
            .join(ClassificationNode, ClassificationNode.id == ArchiveHolding.node_id)
            .where(
                or_(
                    ClassificationNode.full_code == code,
                    ClassificationNode.full_code.startswith(code + ".", autoescape=True),
                )
            )
        )
    )


def place_hold(
    db: Session,
    services: Services,
    actor: Actor,
    *,
    holding_id: uuid.UUID | None,
    series_code: str | None,
    reason: str,
    authority: str,
    reference: str = "",
) -> HoldOut:
    _require(actor)
    if (holding_id is None) == (not series_code):
        raise InvalidInput("Hold a record or a series.", code="hold_one_target")
    if not reason.strip() or not authority.strip():
        raise InvalidInput("Say why, and who ordered the hold.", code="hold_reason_required")
    if holding_id is not None and db.get(ArchiveHolding, holding_id) is None:
        raise NotFound("No such filed record.", code="holding_not_found")
    if series_code and not db.scalar(
        select(ClassificationNode.id).where(ClassificationNode.full_code == series_code).limit(1)
    ):
        raise NotFound("No such series.", code="node_not_found")
    hold = LegalHold(
        holding_id=holding_id,
        series_code=series_code or None,
        reason=reason.strip(),
        authority=authority.strip(),
        reference=reference.strip(),
        placed_by_id=actor.user_id,
    )
    db.add(hold)
    db.flush()
    rows = covered(db, hold)
    for row in rows:
        row.on_hold = True
    db.flush()
    _set_storage_hold(db, services, rows, on=True)
    _record(db, actor, hold, "place", len(rows))
    return holds_out(db, [hold])[0]


def release_hold(
    db: Session, services: Services, actor: Actor, hold_id: uuid.UUID, reason: str
) -> HoldOut:
    _require(actor)
    hold = db.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound("No such hold.", code="hold_not_found")
    if hold.released_at is not None:
        raise Conflict("The hold was released already.", code="hold_released")
    if hold.placed_by_id == actor.user_id:
        raise Conflict("Another person releases a hold.", code="hold_same_person")
    if not reason.strip():
        raise InvalidInput("Say why the hold ends.", code="hold_reason_required")
    hold.released_by_id, hold.released_at = actor.user_id, utcnow()
    hold.release_reason = reason.strip()
    db.flush()
    freed = [row for row in covered(db, hold) if not _still_held(db, row)]
    for row in freed:
        row.on_hold = False
    db.flush()  # the sessions do not autoflush: the query below must see these
    _set_storage_hold(db, services, freed, on=False)
    _record(db, actor, hold, "release", len(freed))
    return holds_out(db, [hold])[0]


def _still_held(db: Session, row: ArchiveHolding) -> bool:
    active = db.scalars(select(LegalHold).where(LegalHold.released_at.is_(None)))
    return any(row.id in {r.id for r in covered(db, hold)} for hold in active)


def _set_storage_hold(
    db: Session, services: Services, rows: list[ArchiveHolding], *, on: bool
) -> None:
    store = services.store
    if not store.capabilities.legal_hold:
        return
    keys = {key for row in rows for key in object_keys(db, row)}
    if not on:
        # An object shared with a record still held keeps its hold.
        held = db.scalars(select(ArchiveHolding).where(ArchiveHolding.on_hold.is_(True)))
        keys -= {key for row in held for key in object_keys(db, row)}
    for key in sorted(keys):
        store.set_legal_hold(key, on)


def _record(db: Session, actor: Actor, hold: LegalHold, step: str, count: int) -> None:
    record_leaf(
        db,
        f"archive.hold.{step}",
        "legal_hold",
        hold.id,
        LeafData(
            public={
                "holding_id": str(hold.holding_id) if hold.holding_id else None,
                "series": hold.series_code,
                "authority": hold.authority,
                "reference": hold.reference,
                "records": count,
            },
            private={
                "reason": hold.reason if step == "place" else hold.release_reason,
                "by": actor.username,
            },
        ),
    )
    record_event(
        db,
        actor,
        f"archive.hold.{step}",
        object_type="legal_hold",
        object_id=str(hold.id),
        details={"records": count},
    )


def holds(db: Session, active_only: bool = False) -> list[HoldOut]:
    query = select(LegalHold).order_by(LegalHold.placed_at.desc()).limit(500)
    if active_only:
        query = query.where(LegalHold.released_at.is_(None))
    return holds_out(db, list(db.scalars(query)))


def holds_out(db: Session, rows: list[LegalHold]) -> list[HoldOut]:
    people = {row.id: row.username for row in db.execute(select(User.id, User.username))}
    shown = []
    for hold in rows:
        title = hold.series_code or ""
        if hold.holding_id is not None:
            holding = db.get(ArchiveHolding, hold.holding_id)
            if holding is not None and holding.dossier_id is not None:
                dossier = db.get(Dossier, holding.dossier_id)
                title = dossier.title if dossier else ""
            elif holding is not None and holding.document_id is not None:
                document = db.get(Document, holding.document_id)
                title = document.title if document else ""
        shown.append(
            HoldOut(
                id=hold.id,
                holding_id=hold.holding_id,
                series_code=hold.series_code,
                title=title,
                reason=hold.reason,
                authority=hold.authority,
                reference=hold.reference,
                placed_by=people.get(hold.placed_by_id, ""),
                placed_at=hold.placed_at,
                released_by=people.get(hold.released_by_id, "") if hold.released_by_id else None,
                released_at=hold.released_at,
                release_reason=hold.release_reason,
            )
        )
    return shown
