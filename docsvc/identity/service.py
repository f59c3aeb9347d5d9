"""Authentication rules: password login with lockout, opaque bearer tokens, web sessions.
(A token is turned back into its actor in ``docsvc.actors.sessions``.)

Lockout: every attempt on an existing account is counted in the database, atomically,
before its password is checked, and committed at once; an attempt beyond
``login_max_failures`` is refused without checking and locks the account, and a failure
that reaches the limit locks it too. A locked account refuses even the right password
until the lock expires. Concurrent attempts therefore cannot outrun the counter.

Sessions: each carries the generation of its user's sessions when it was issued. Changing
or resetting a password and disabling the account move the generation on and revoke the
live sessions, so that none of them (nor a login in flight at that moment) works again,
and enabling the account later revives nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import actor_for, token_digest
from docsvc.audit.service import record_event
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import InvalidInput, NotAuthenticated, PermissionDenied
from docsvc.identity import repository
from docsvc.identity.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from docsvc.models import AuthSession, User

LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    csrf_token: str | None
    actor: Actor


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password"
        )


def authenticate(
    db: Session, settings: Settings, username: str, password: str, origin: Origin
) -> User:
    """Check a password. Repeated failures lock the account for a while; the error never
    says whether the user exists, nor whether it is locked.

    The attempt is counted and committed before the password is checked, and a failure is
    recorded (audit event, lock) and committed before the error is raised, so both
    survive the failed request's rollback. The caller's transaction must therefore hold
    nothing else yet.
    """
    now = utcnow()
    user = repository.user_by_username(db, username)
    attempt: int | None = None
    if user is not None:
        attempt = repository.count_attempt(db, user.id, now)
        db.commit()
    budget = settings.login_max_failures
    checkable = user is not None and attempt is not None and attempt <= budget
    # A refused attempt still pays for one hash, so that its timing tells nothing.
    ok = verify_password(user.password_hash if user is not None and checkable else None, password)
    if (
        ok
        and user is not None
        and user.active
        and repository.finish_login(db, user.id, user.session_generation, now)
    ):
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user

    if user is None:
        reason = "bad_credentials"
    elif not checkable:
        reason = "locked"
    elif not ok:
        reason = "bad_credentials"
    elif not user.active:
        reason = "disabled"
    else:  # the right password, but the account was locked or changed meanwhile
        reason = "locked"
    locked_now = (
        user is not None
        and attempt is not None
        and attempt >= budget
        and not ok
        and repository.lock(db, user.id, now + LOCKOUT, now)
    )
    record_event(
        db,
        None,
        "auth.login_failed",
        object_type="user",
        object_id=username[:64],
        origin=origin,
        outcome="denied",
        details={"reason": reason},
    )
    if locked_now and user is not None:
        record_event(
            db,
            None,
            "auth.account_locked",
            object_type="user",
            object_id=str(user.id),
            department_id=user.department_id,
            origin=origin,
            outcome="denied",
            details={
                "username": user.username,
                "failures": attempt,
                "minutes": int(LOCKOUT.total_seconds()) // 60,
            },
        )
    db.commit()
    raise NotAuthenticated("Wrong username or password.", code="bad_credentials")


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
            # The generation read with the password hash that was checked: if the password
            # changed since, this session is born dead.
            generation=user.session_generation,
        )
    )
    actor = actor_for(user, origin)
    record_event(
        db, actor, "auth.login", object_type="user", object_id=str(user.id), details={"kind": kind}
    )
    return IssuedSession(token=token, csrf_token=csrf, actor=actor)


def close_session(db: Session, actor: Actor, session: AuthSession) -> None:
    session.revoked_at = utcnow()
    repository.forget_signing_sessions(db, [session.token_sha256])
    record_event(db, actor, "auth.logout", object_type="user", object_id=str(actor.user_id))


def end_sessions(
    db: Session, actor: Actor | None, user: User, reason: str, keep_token: str | None = None
) -> int:
    """End every session and token of ``user`` (but ``keep_token``'s, if given), for good:
    see the module's docstring. Returns how many live sessions were revoked."""
    generation, revoked = repository.end_sessions(
        db, user.id, utcnow(), keep=token_digest(keep_token) if keep_token else None
    )
    set_committed_value(user, "session_generation", generation)
    record_event(
        db,
        actor,
        "auth.sessions_ended",
        object_type="user",
        object_id=str(user.id),
        department_id=user.department_id,
        details={"reason": reason, "revoked": revoked, "kept_current": keep_token is not None},
    )
    return revoked


def change_own_password(
    db: Session,
    settings: Settings,
    actor: Actor,
    current_token: str,
    current_password: str,
    new_password: str,
    origin: Origin,
) -> int:
    """A user changes their own password, proving the current one (counted like a login,
    so a stolen token cannot guess it). Every other session and token of the user ends;
    the one making the change stays. Returns how many sessions ended."""
    check_password_strength(new_password)
    try:
        user = authenticate(db, settings, actor.username, current_password, origin)
    except NotAuthenticated:
        raise PermissionDenied(
            "The current password is wrong.", code="wrong_current_password"
        ) from None
    user.password_hash = hash_password(new_password)
    record_event(
        db,
        actor,
        "user.password_change",
        object_type="user",
        object_id=str(user.id),
        department_id=user.department_id,
    )
    return end_sessions(db, actor, user, "password_changed", keep_token=current_token)


def login_or_record_failure(
    db: Session, settings: Settings, username: str, password: str, origin: Origin
) -> User:
    """``authenticate``: a failed login is a fact the audit trail and the lockout must
    remember, so it is committed before the error propagates and the request's
    transaction rolls back (``authenticate`` commits it itself)."""
    return authenticate(db, settings, username, password, origin)
