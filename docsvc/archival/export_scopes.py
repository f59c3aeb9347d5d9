"""What an archival package holds, beyond one dossier: a case (every dossier and document its
register entries and transfers name), a series of the classification scheme (every record
filed under it or under a series below it, but what was disposed of), or every record one
official opened (a handover when they leave the post).

A ``Scope`` is the dossiers, and the documents outside them, in a stable order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docsvc.archival.archive_transfers import dossier_documents
from docsvc.errors import InvalidInput, NotFound
from docsvc.models import (
    ArchiveHolding,
    ArchivePhase,
    ClassificationNode,
    Document,
    Dossier,
    RegisterEntry,
    User,
)
from docsvc.models.transfers import Transfer


class ScopeKind(StrEnum):
    dossier = "dossier"
    case = "case"
    series = "series"
    official = "official"


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind
    # What the reader typed and the package is named by: a dossier's or case's id, a
    # registry number, a series' full code, a username.
    ident: str
    label: str
    dossiers: tuple[uuid.UUID, ...]
    documents: tuple[uuid.UUID, ...]
    # Holdings whose disposal records belong in the package beyond those of the records
    # above (a series: every holding filed under it, the disposed ones too).
    holdings: tuple[uuid.UUID, ...] = ()

    def object_id(self) -> str:
        return f"urn:docsvc:{self.kind.value}:{self.ident}"


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _loose(db: Session, dossiers: list[uuid.UUID], documents: list[uuid.UUID]) -> list[uuid.UUID]:
    """``documents`` that none of ``dossiers`` holds, each once, in their first order."""
    inside: set[uuid.UUID] = set()
    for dossier_id in dossiers:
        dossier = db.get(Dossier, dossier_id)
        if dossier is not None:
            inside.update(dossier_documents(db, dossier))
    return list(dict.fromkeys(d for d in documents if d not in inside))


def _unique(ids: list[uuid.UUID | None]) -> list[uuid.UUID]:
    return list(dict.fromkeys(i for i in ids if i is not None))


def _case(db: Session, ident: str) -> Scope:
    case_id = _uuid(ident)
    if case_id is None:
        # A registry number (DAJ-E-2026-000042): its entry's case.
        case_id = db.scalar(select(RegisterEntry.case_id).where(RegisterEntry.number == ident))
    entries = (
        list(
            db.scalars(
                select(RegisterEntry)
                .where(RegisterEntry.case_id == case_id)
                .order_by(RegisterEntry.registered_at)
            )
        )
        if case_id
        else []
    )
    transfers = (
        list(
            db.scalars(
                select(Transfer).where(Transfer.case_id == case_id).order_by(Transfer.created_at)
            )
        )
        if case_id
        else []
    )
    if not entries and not transfers:
        raise NotFound("No case has that id or registry number.", code="case_not_found")
    dossiers = _unique([e.dossier_id for e in entries] + [t.dossier_id for t in transfers])
    documents = _unique([e.document_id for e in entries] + [t.document_id for t in transfers])
    label = entries[0].number if entries else str(case_id)
    return Scope(
        ScopeKind.case, str(case_id), label, tuple(dossiers), tuple(_loose(db, dossiers, documents))
    )


def _series(db: Session, ident: str) -> Scope:
    code = ident.strip()
    nodes = list(
        db.scalars(
            select(ClassificationNode.id).where(
                or_(
                    ClassificationNode.full_code == code,
                    ClassificationNode.full_code.startswith(f"{code}."),
                )
            )
        )
    )
    if not code or not nodes:
        raise NotFound("No series of the scheme has that code.", code="series_not_found")
    filed = list(
        db.scalars(
            select(ArchiveHolding)
            .where(ArchiveHolding.node_id.in_(nodes))
            .order_by(ArchiveHolding.filed_at, ArchiveHolding.id)
        )
    )
    holdings = [h for h in filed if h.phase != ArchivePhase.disposed.value]
    dossiers = _unique([h.dossier_id for h in holdings])
    documents = _unique([h.document_id for h in holdings])
    name = db.scalar(
        select(ClassificationNode.name).where(ClassificationNode.full_code == code).limit(1)
    )
    return Scope(
        ScopeKind.series,
        code,
        f"{code} {name or ''}".strip(),
        tuple(dossiers),
        tuple(_loose(db, dossiers, documents)),
        tuple(h.id for h in filed),
    )


def _official(db: Session, ident: str) -> Scope:
    user = db.scalar(select(User).where(User.username == ident.strip()))
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    dossiers = list(
        db.scalars(
            select(Dossier.id)
            .where(Dossier.created_by_id == user.id)
            .order_by(Dossier.created_at, Dossier.id)
        )
    )
    documents = list(
        db.scalars(
            select(Document.id)
            .where(Document.created_by_id == user.id)
            .order_by(Document.created_at, Document.id)
        )
    )
    return Scope(
        ScopeKind.official,
        user.username,
        user.full_name,
        tuple(dossiers),
        tuple(_loose(db, dossiers, documents)),
    )


def scope_of(db: Session, kind: str, ident: str) -> Scope:
    """The records of a ``kind`` (dossier, case, series, official) named by ``ident``."""
    if kind == ScopeKind.dossier.value:
        dossier_id = _uuid(ident)
        dossier = db.get(Dossier, dossier_id) if dossier_id else None
        if dossier is None:
            raise NotFound("No such dossier.", code="dossier_not_found")
        return Scope(ScopeKind.dossier, str(dossier.id), dossier.title, (dossier.id,), ())
    if kind == ScopeKind.case.value:
        return _case(db, ident)
    if kind == ScopeKind.series.value:
        return _series(db, ident)
    if kind == ScopeKind.official.value:
        return _official(db, ident)
    raise InvalidInput(
        "Say what the package holds: dossier, case, series or official.", code="bad_export_scope"
    )
