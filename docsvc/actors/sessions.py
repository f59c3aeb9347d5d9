"""Turning a session token into the ``Actor`` behind it. Only reads: logging in, locking
and auditing stay in ``docsvc.identity``."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor, Origin
from docsvc.db.base import utcnow
from docsvc.errors import NotAuthenticated
from docsvc.models import AuthSession, User


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_key(token: str) -> bytes:
    """A 256-bit key only the token's holder can derive (the database keeps the token's
    SHA-256, a different function of it): what seals the login's signing session."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"docsvc signing session"
    ).derive(token.encode())


def actor_for(
    user: User, origin: Origin, session: AuthSession | None = None, token: str = ""
) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        department_id=user.department_id,
        roles=user.role_set,
        client_ip=origin.client_ip,
        user_agent=origin.user_agent,
        session_id=session.token_sha256 if session is not None else None,
        session_key=token_key(token) if session is not None and token else None,
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
    return actor_for(user, origin, session, token), session
