"""Queries for users and sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.models import AuthSession, User


def user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def user_by_id(db: Session, user_id: uuid.UUID) -> User | None:
    return db.get(User, user_id)


def live_session(db: Session, token_sha256: str, kind: str, now: datetime) -> AuthSession | None:
    return db.scalar(
        select(AuthSession).where(
            AuthSession.token_sha256 == token_sha256,
            AuthSession.kind == kind,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )
