"""Queries for users and sessions.

The login counters are changed by single ``UPDATE ... RETURNING`` statements, never by
reading a value and writing it back: concurrent logins then count every attempt, on
PostgreSQL (the row is locked by the update) and on SQLite (one writer at a time).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from docsvc.models import AuthSession, Department, SigningSession, User


def user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def user_by_id(db: Session, user_id: uuid.UUID) -> User | None:
    return db.get(User, user_id)


def _not_locked(now: datetime) -> ColumnElement[bool]:
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def count_attempt(db: Session, user_id: uuid.UUID, now: datetime) -> int | None:
    """Count one login attempt as a failure before its password is checked, atomically.
    Returns the number of attempts counted so far (this one included), or None when the
    account is locked (then nothing is counted)."""
    return db.execute(
        update(User)
        .where(User.id == user_id, _not_locked(now))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()


def finish_login(db: Session, user_id: uuid.UUID, generation: int, now: datetime) -> bool:
    """Clear the counters of a successful attempt, unless the account was locked, or its
    password changed or it was disabled (its generation moved), since the attempt read it.
    Returns whether the login may proceed."""
    done = db.execute(
        update(User)
        .where(
            User.id == user_id,
            User.active.is_(True),
            User.session_generation == generation,
            _not_locked(now),
        )
        .values(failed_logins=0, locked_until=None)
        .returning(User.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    return done is not None


def lock(db: Session, user_id: uuid.UUID, until: datetime, now: datetime) -> bool:
    """Lock the account until ``until`` (an existing lock is kept, not extended); returns
    whether this call locked it."""
    locked = db.execute(
        update(User)
        .where(User.id == user_id, _not_locked(now))
        .values(locked_until=until, failed_logins=0)
        .returning(User.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    return locked is not None


def end_sessions(
    db: Session, user_id: uuid.UUID, now: datetime, keep: str | None = None
) -> tuple[int, int]:
    """End every session of a user: the generation moves on (so that even a login in
    flight is refused when it is used) and every live session is revoked, except ``keep``
    (a token digest), which moves to the new generation. Returns the new generation and
    how many sessions were revoked."""
    generation = db.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
        .returning(User.session_generation),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    revoke = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        revoke = revoke.where(AuthSession.token_sha256 != keep)
        db.execute(
            update(AuthSession)
            .where(AuthSession.token_sha256 == keep, AuthSession.user_id == user_id)
            .values(generation=generation),
            execution_options={"synchronize_session": False},
        )
    revoked = db.scalars(
        revoke.values(revoked_at=now).returning(AuthSession.token_sha256),
        execution_options={"synchronize_session": False},
    ).all()
    forget_signing_sessions(db, list(revoked))
    return generation, len(revoked)


def forget_signing_sessions(db: Session, session_ids: list[str]) -> None:
    """A login that ends takes its open signing session with it (the sealed key could no
    longer be opened without the token, but it should not outlive the login either)."""
    if session_ids:
        db.execute(
            delete(SigningSession).where(SigningSession.auth_session.in_(session_ids)),
            execution_options={"synchronize_session": False},
        )


def department_code(db: Session, department_id: uuid.UUID) -> str:
    return db.scalar(select(Department.code).where(Department.id == department_id)) or ""
