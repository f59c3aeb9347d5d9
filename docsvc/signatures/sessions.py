"""Open signing sessions, shared by every app process of a deployment.

An official who types her PIN once may sign for a while without it. The key her PIN
opened is kept in ``signing_sessions``, sealed with AES-256-GCM under a key derived from
her login token (``docsvc.actors.sessions.token_key``). The database keeps only the
token's SHA-256, so the sealed key is useless to whoever reads the database or a backup,
and any app process that receives her next request (which carries the token) can open
it. Locking deletes the rows, and expiry is a column: both take effect in every process
at once. Each process caches the key it parsed, bound to the sealed value it came from
(``docsvc.runtime.signing.UnlockedKeys``).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.errors import Conflict
from docsvc.models import SigningCredential, SigningSession
from docsvc.runtime.signing import SigningRuntime, UnlockedKey
from signing.pades import SigningKey, unlock_pkcs12

_NONCE = 12


def _bound_to(session_id: str, credential_id: uuid.UUID, user_id: uuid.UUID) -> bytes:
    """What a sealed key is bound to (AES-GCM's associated data): this login session, this
    credential, this official. A row copied onto another session does not open."""
    return f"docsvc-signing-session:{session_id}:{credential_id}:{user_id}".encode()


def _login(actor: Actor) -> tuple[str, bytes]:
    if actor.session_id is None or actor.session_key is None:
        raise Conflict(
            "A signing session belongs to a login session; log in to open one.",
            code="no_login_session",
        )
    return actor.session_id, actor.session_key


def open_session(
    db: Session,
    runtime: SigningRuntime,
    actor: Actor,
    credential: SigningCredential,
    plain_pkcs12: bytes,
    now: datetime,
) -> SigningSession:
    """Keep the key a PIN just opened for this login session until the session's lifetime
    ends (a session already open is renewed)."""
    session_id, session_key = _login(actor)
    key = runtime.run(unlock_pkcs12, plain_pkcs12, None)
    nonce = os.urandom(_NONCE)
    sealed = nonce + AESGCM(session_key).encrypt(
        nonce, plain_pkcs12, _bound_to(session_id, credential.id, actor.user_id)
    )
    expires_at = now + runtime.session_lifetime
    row = db.get(SigningSession, session_id)
    if row is None:
        row = SigningSession(auth_session=session_id, user_id=actor.user_id)
        db.add(row)
    row.credential_id = credential.id
    row.sealed = sealed
    row.opened_at = now
    row.expires_at = expires_at
    db.flush()
    runtime.keys.put(
        session_id, UnlockedKey(credential.id, hashlib.sha256(sealed).digest(), key, expires_at)
    )
    return row


def open_row(db: Session, actor: Actor, now: datetime) -> SigningSession | None:
    """This login session's signing session, if it is open."""
    if actor.session_id is None:
        return None
    return db.scalar(
        select(SigningSession).where(
            SigningSession.auth_session == actor.session_id,
            SigningSession.user_id == actor.user_id,
            SigningSession.expires_at > now,
        )
    )


def session_key(
    db: Session,
    runtime: SigningRuntime,
    actor: Actor,
    credential: SigningCredential,
    now: datetime,
) -> SigningKey | None:
    """The key of this login session's open signing session, for this credential; None
    when it is not open, has expired, was locked, or was opened for another credential."""
    row = open_row(db, actor, now)
    if row is None or row.credential_id != credential.id or actor.session_key is None:
        return None
    digest = hashlib.sha256(row.sealed).digest()
    cached = runtime.keys.get(row.auth_session, credential.id, digest, now)
    if cached is not None:
        return cached
    plain = _open_row(row, actor, credential)
    if plain is None:
        return None
    key = runtime.run(unlock_pkcs12, plain, None)
    runtime.keys.put(row.auth_session, UnlockedKey(credential.id, digest, key, row.expires_at))
    return key


def session_pkcs12(
    db: Session, actor: Actor, credential: SigningCredential, now: datetime
) -> bytes | None:
    """The key of this login session's open signing session as a PKCS#12 without a
    password, to hand on to a job (``docsvc.jobs.keyed``); None as for ``session_key``."""
    row = open_row(db, actor, now)
    if row is None or row.credential_id != credential.id:
        return None
    return _open_row(row, actor, credential)


def _open_row(row: SigningSession, actor: Actor, credential: SigningCredential) -> bytes | None:
    if actor.session_key is None:
        return None
    try:
        return AESGCM(actor.session_key).decrypt(
            row.sealed[:_NONCE],
            row.sealed[_NONCE:],
            _bound_to(row.auth_session, credential.id, actor.user_id),
        )
    except InvalidTag:
        return None


def close_sessions(db: Session, runtime: SigningRuntime, user_id: uuid.UUID, now: datetime) -> int:
    """Lock every signing session of this official's, in every process; how many were
    still open."""
    rows = list(db.scalars(select(SigningSession).where(SigningSession.user_id == user_id)))
    for row in rows:
        db.delete(row)
    db.flush()
    runtime.keys.drop(row.auth_session for row in rows)
    return sum(1 for row in rows if row.expires_at > now)


def sweep(db: Session, now: datetime) -> int:
    """Delete the sealed keys of expired sessions (they no longer open anything)."""
    result = db.execute(delete(SigningSession).where(SigningSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
