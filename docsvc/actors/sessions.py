"""Turning a session token into the ``Actor`` behind it. Only reads: logging in, locking
and auditing stay in ``docsvc.identity``."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor, Origin
from docsvc.db.base import utcnow
from docsvc.errors import NotAuthenticated
from docsvc.models import AuthSession, User


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User, origin: Origin) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        department_id=user.department_id,
        roles=user.role_set,
        client_ip=origin.client_ip,
        user_agent=origin.user_agent,
    )


def resolve_session(
    db: Session, token: str, kind: str, origin: Origin
) -> tuple[Actor, AuthSession]:
    now = utcnow()
    session = db.scalar(
        select(AuthSession).where(
            AuthSession.token_sha256 == token_digest(token),
            AuthSession.kind == kind,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )
    if session is None:
        raise NotAuthenticated("The token is missing, expired or revoked.", code="invalid_token")
    user = db.get(User, session.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("The account is disabled.", code="account_disabled")
    if session.generation != user.session_generation:
        raise NotAuthenticated("The token is missing, expired or revoked.", code="invalid_token")
    return actor_for(user, origin), session
