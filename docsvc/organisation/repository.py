"""Organisation queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from docsvc.models import Department, Institution, Position, Role
from docsvc.models.organisation import RoleRequest, RoleRequestStatus, User, UserRole


def the_institution(db: Session) -> Institution | None:
    # One deployment serves one institution; two institutions are two data dirs.
    return db.scalar(select(Institution).order_by(Institution.created_at).limit(1))


def department_by_code(db: Session, code: str) -> Department | None:
    return db.scalar(select(Department).where(Department.code == code))


def departments(db: Session) -> Sequence[Department]:
    return db.scalars(select(Department).order_by(Department.code)).all()


def users(db: Session) -> Sequence[User]:
    return db.scalars(select(User).order_by(User.username)).all()


def user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def positions(db: Session) -> Sequence[Position]:
    return db.scalars(select(Position).order_by(Position.code)).all()


def position_by_code(db: Session, department_id: uuid.UUID, code: str) -> Position | None:
    return db.scalar(
        select(Position).where(Position.department_id == department_id, Position.code == code)
    )


def department_codes(db: Session) -> dict[uuid.UUID, str]:
    return {d.id: d.code for d in departments(db)}


def usernames(db: Session) -> dict[uuid.UUID, str]:
    return {u.id: u.username for u in users(db)}


def usernames_of(db: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = db.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
    return {row.id: row.username for row in rows}


def active_admins(db: Session) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.admin.value, User.active.is_(True))
        )
        or 0
    )


def pending_request(db: Session, user_id: uuid.UUID, role: str) -> RoleRequest | None:
    return db.scalar(
        select(RoleRequest).where(
            RoleRequest.user_id == user_id,
            RoleRequest.role == role,
            RoleRequest.status == RoleRequestStatus.pending.value,
        )
    )


def role_requests(db: Session, only_pending: bool) -> Sequence[RoleRequest]:
    stmt = select(RoleRequest).order_by(RoleRequest.requested_at.desc())
    if only_pending:
        stmt = stmt.where(RoleRequest.status == RoleRequestStatus.pending.value)
    return db.scalars(stmt).all()


def pending_roles(db: Session) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    for request in role_requests(db, only_pending=True):
        found.setdefault(request.user_id, []).append(request.role)
    return found


def decide_request(
    db: Session,
    request_id: uuid.UUID,
    status: RoleRequestStatus,
    decided_by: uuid.UUID,
    now: datetime,
) -> bool:
    """Decide a pending request, atomically: of two administrators deciding at once, one
    wins and the other finds it decided. Returns whether this call decided it."""
    decided = db.execute(
        update(RoleRequest)
        .where(
            RoleRequest.id == request_id,
            RoleRequest.status == RoleRequestStatus.pending.value,
        )
        .values(status=status.value, decided_by=decided_by, decided_at=now)
        .returning(RoleRequest.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    return decided is not None
