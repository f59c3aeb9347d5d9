"""Organisation queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.models import Department, Institution, Position, User


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
