"""Authentication rules: password login with lockout, opaque bearer tokens, web sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from docsvc.audit.service import record_event
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import NotAuthenticated
from docsvc.identity import repository
from docsvc.identity.actor import Actor, Origin
from docsvc.identity.passwords import hash_password, needs_rehash, verify_password
from docsvc.models import AuthSession, User

LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    csrf_token: str | None
    actor: Actor


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


def authenticate(
    db: Session, settings: Settings, username: str, password: str, origin: Origin
) -> User:
    """Check a password. Repeated failures lock the account for a while; the error never
    says whether the user exists.

    On failure the counters and the audit event are left in the session: the caller must
    commit them even though the request fails (see ``login_or_record_failure``).
    """
    now = utcnow()
    user = repository.user_by_username(db, username)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not user.active or locked or not ok:
        if user is not None and not locked and not ok:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
        record_event(
            db,
            None,
            "auth.login_failed",
            object_type="user",
            object_id=username[:64],
            origin=origin,
            outcome="denied",
            details={"reason": "locked" if locked else "bad_credentials"},
        )
        raise NotAuthenticated("Wrong username or password.", code="bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def open_session(
    db: Session, settings: Settings, user: User, kind: str, origin: Origin
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32) if kind == "web" else None
    minutes = settings.access_token_minutes if kind == "api" else settings.session_minutes
    db.add(
        AuthSession(
            token_sha256=token_digest(token),
            kind=kind,
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(minutes=minutes),
            client_ip=origin.client_ip[:64],
        )
    )
    actor = actor_for(user, origin)
    record_event(
        db, actor, "auth.login", object_type="user", object_id=str(user.id), details={"kind": kind}
    )
    return IssuedSession(token=token, csrf_token=csrf, actor=actor)


def resolve_session(
    db: Session, token: str, kind: str, origin: Origin
) -> tuple[Actor, AuthSession]:
    session = repository.live_session(db, token_digest(token), kind, utcnow())
    if session is None:
        raise NotAuthenticated("The token is missing, expired or revoked.", code="invalid_token")
    user = repository.user_by_id(db, session.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("The account is disabled.", code="account_disabled")
    return actor_for(user, origin), session


def close_session(db: Session, actor: Actor, session: AuthSession) -> None:
    session.revoked_at = utcnow()
    record_event(db, actor, "auth.logout", object_type="user", object_id=str(actor.user_id))


def login_or_record_failure(
    db: Session, settings: Settings, username: str, password: str, origin: Origin
) -> User:
    """``authenticate``, keeping the record of a failed attempt: a failed login is a fact
    the audit trail and the lockout must remember, so it is committed before the error
    propagates and the request's transaction rolls back."""
    try:
        return authenticate(db, settings, username, password, origin)
    except NotAuthenticated:
        db.commit()
        raise
