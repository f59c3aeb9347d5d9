"""Loans (préstamos) of archived records: an office asks for a record the archive holds,
an archivist approves it with a return date (or refuses it), the office reads it until it
is returned; every step is audited and a register leaf, and overdue loans are listed."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.archival.schemas import LoanOut
from docsvc.audit.service import record_event
from docsvc.calendar.local import end_of_local_day, local_date
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import (
    ArchiveHolding,
    ArchiveLoan,
    ArchivePhase,
    Department,
    Document,
    Dossier,
    LoanStatus,
    Role,
    User,
)

ARCHIVED = (ArchivePhase.central.value, ArchivePhase.historical.value)
MAX_LOAN_DAYS = 365


def request_loan(db: Session, actor: Actor, holding_id: uuid.UUID, reason: str) -> LoanOut:
    """An office asks for an archived record (any official or legal staff of it)."""
    if not actor.has_any(Role.official, Role.legal, Role.registry_clerk):
        raise PermissionDenied("An office's staff ask for a loan.", code="not_an_official")
    holding = db.get(ArchiveHolding, holding_id)
    if holding is None or holding.phase not in ARCHIVED:
        raise NotFound("The archive holds no such record.", code="holding_not_found")
    if not reason.strip():
        raise InvalidInput("Say why the record is needed.", code="reason_required")
    open_loan = db.scalar(
        select(ArchiveLoan.id).where(
            ArchiveLoan.holding_id == holding.id,
            ArchiveLoan.department_id == actor.department_id,
            ArchiveLoan.status.in_([LoanStatus.requested.value, LoanStatus.lent.value]),
        )
    )
    if open_loan is not None:
        raise Conflict("Your office has asked for it already.", code="loan_open")
    loan = ArchiveLoan(
        holding_id=holding.id,
        department_id=actor.department_id,
        requested_by_id=actor.user_id,
        reason=reason.strip(),
    )
    db.add(loan)
    db.flush()
    _record(db, actor, loan, "request")
    return loans_out(db, [loan])[0]


def decide(
    db: Session,
    actor: Actor,
    settings: Settings,
    loan_id: uuid.UUID,
    approve: bool,
    due_on: date | None,
) -> LoanOut:
    """An archivist lends the record until ``due_on``, or refuses the loan."""
    if not actor.has_any(Role.archivist):
        raise PermissionDenied("An archivist decides on a loan.", code="not_an_archivist")
    loan = _loan(db, loan_id)
    if loan.status != LoanStatus.requested.value:
        raise Conflict("The loan was decided already.", code="loan_decided")
    if approve:
        _lend_until(loan, settings, due_on)
        loan.status = LoanStatus.lent.value
    else:
        loan.status = LoanStatus.refused.value
    loan.decided_by_id, loan.decided_at = actor.user_id, utcnow()
    db.flush()
    _record(db, actor, loan, "lend" if approve else "refuse")
    return loans_out(db, [loan])[0]


def _lend_until(loan: ArchiveLoan, settings: Settings, due_on: date | None) -> None:
    today = local_date(settings)
    if due_on is None or due_on < today or (due_on - today).days > MAX_LOAN_DAYS:
        raise InvalidInput("Give a return date within a year from today.", code="loan_bad_due_date")
    loan.due_on, loan.lent_until = due_on, end_of_local_day(settings, due_on)


def extend(
    db: Session, actor: Actor, settings: Settings, loan_id: uuid.UUID, due_on: date | None
) -> LoanOut:
    """An archivist gives a lent record a new return date (prórroga), overdue or not: the
    borrowing office reads it again until then."""
    if not actor.has_any(Role.archivist):
        raise PermissionDenied("An archivist extends a loan.", code="not_an_archivist")
    loan = _loan(db, loan_id)
    if loan.status != LoanStatus.lent.value:
        raise Conflict("The record is not on loan.", code="loan_not_lent")
    _lend_until(loan, settings, due_on)
    db.flush()
    _record(db, actor, loan, "extend")
    return loans_out(db, [loan])[0]


def return_loan(db: Session, actor: Actor, loan_id: uuid.UUID) -> LoanOut:
    """The record comes back: the borrowing office or an archivist says so."""
    loan = _loan(db, loan_id)
    if loan.status != LoanStatus.lent.value:
        raise Conflict("The record is not on loan.", code="loan_not_lent")
    if actor.department_id != loan.department_id and not actor.has_any(Role.archivist):
        raise PermissionDenied(
            "The borrowing office or an archivist returns a loan.", code="not_borrower"
        )
    loan.status, loan.returned_at = LoanStatus.returned.value, utcnow()
    db.flush()
    _record(db, actor, loan, "return")
    return loans_out(db, [loan])[0]


def _loan(db: Session, loan_id: uuid.UUID) -> ArchiveLoan:
    loan = db.get(ArchiveLoan, loan_id)
    if loan is None:
        raise NotFound("No such loan.", code="loan_not_found")
    return loan


def _record(db: Session, actor: Actor, loan: ArchiveLoan, step: str) -> None:
    department = db.get(Department, loan.department_id)
    record_leaf(
        db,
        f"archive.loan.{step}",
        "archive_loan",
        loan.id,
        LeafData(
            public={
                "holding_id": str(loan.holding_id),
                "department": department.code if department else "",
                "status": loan.status,
                "due_on": loan.due_on.isoformat() if loan.due_on else None,
            },
            private={"reason": loan.reason, "by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        f"archive.loan.{step}",
        object_type="archive_loan",
        object_id=str(loan.id),
        department_id=loan.department_id,
    )


def loans_for(
    db: Session, actor: Actor, settings: Settings, overdue_only: bool = False
) -> list[LoanOut]:
    """An office's loans, or every loan for the archive; overdue ones on request."""
    query = select(ArchiveLoan).order_by(ArchiveLoan.requested_at.desc()).limit(500)
    if not actor.has_any(Role.archivist, Role.archive_committee, Role.auditor, Role.admin):
        query = query.where(ArchiveLoan.department_id == actor.department_id)
    if overdue_only:
        query = query.where(
            ArchiveLoan.status == LoanStatus.lent.value,
            ArchiveLoan.due_on < local_date(settings),
        )
    return loans_out(db, list(db.scalars(query)), local_date(settings))


def loans_out(db: Session, rows: list[ArchiveLoan], today: date | None = None) -> list[LoanOut]:
    if not rows:
        return []
    holdings = {
        h.id: h
        for h in db.scalars(
            select(ArchiveHolding).where(ArchiveHolding.id.in_({r.holding_id for r in rows}))
        )
    }
    titles = {
        **{
            row.id: row.title
            for row in db.execute(
                select(Dossier.id, Dossier.title).where(
                    Dossier.id.in_({h.dossier_id for h in holdings.values() if h.dossier_id})
                )
            )
        },
        **{
            row.id: row.title
            for row in db.execute(
                select(Document.id, Document.title).where(
                    Document.id.in_({h.document_id for h in holdings.values() if h.document_id})
                )
            )
        },
    }
    codes = {row.id: row.code for row in db.execute(select(Department.id, Department.code))}
    people = {row.id: row.username for row in db.execute(select(User.id, User.username))}
    shown = []
    for loan in rows:
        holding = holdings[loan.holding_id]
        item = holding.dossier_id or holding.document_id
        shown.append(
            LoanOut(
                id=loan.id,
                holding_id=loan.holding_id,
                dossier_id=holding.dossier_id,
                document_id=holding.document_id,
                title=titles.get(item, "") if item else "",
                department=codes.get(loan.department_id, ""),
                requested_by=people.get(loan.requested_by_id, ""),
                requested_at=loan.requested_at,
                reason=loan.reason,
                status=loan.status,
                decided_by=people.get(loan.decided_by_id, "") if loan.decided_by_id else None,
                due_on=loan.due_on,
                returned_at=loan.returned_at,
                overdue=bool(
                    today is not None
                    and loan.status == LoanStatus.lent.value
                    and loan.due_on is not None
                    and loan.due_on < today
                ),
            )
        )
    return shown
