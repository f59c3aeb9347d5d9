"""Per-process signing state: the pool that runs pyHanko, and caches of keys.

Open signing sessions are kept in the database, sealed under the client's token, so that
every app process serves them (``docsvc.signatures.sessions``); what this process keeps
is only what spares work: keys it has parsed for a session, and keys a PIN opened a moment
ago. Neither is ever written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from signing.pades import SignatureRequest, SigningKey, ValidationMaterial, sign_file
from signing.remote import TimeStamperLike

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UnlockedKey:
    credential_id: uuid.UUID
    sealed_digest: bytes
    key: SigningKey
    expires_at: datetime


class UnlockedKeys:
    """Keys of open signing sessions this process has parsed, by login session.

    The session itself is in the database (``docsvc.signatures.sessions``), sealed under a
    key only the client's token gives; this only spares re-parsing the PKCS#12 at each
    signature. An entry is used only for the very sealed value the database still holds
    (its digest), so a session locked, replaced or expired elsewhere is never served from
    here."""

    def __init__(self) -> None:
        self._keys: dict[str, UnlockedKey] = {}
        self._lock = threading.Lock()

    def put(self, session_id: str, unlocked: UnlockedKey) -> None:
        with self._lock:
            self._keys[session_id] = unlocked

    def get(
        self, session_id: str, credential_id: uuid.UUID, sealed_digest: bytes, now: datetime
    ) -> SigningKey | None:
        with self._lock:
            unlocked = self._keys.get(session_id)
            if unlocked is None:
                return None
            if (
                unlocked.expires_at <= now
                or unlocked.credential_id != credential_id
                or not hmac.compare_digest(unlocked.sealed_digest, sealed_digest)
            ):
                # Expired, re-opened or the credential replaced: forget the parsed key.
                del self._keys[session_id]
                return None
            return unlocked.key

    def drop(self, session_ids: Iterable[str]) -> None:
        with self._lock:
            for session_id in session_ids:
                self._keys.pop(session_id, None)

    def sweep(self, now: datetime) -> int:
        with self._lock:
            expired = [s for s, k in self._keys.items() if k.expires_at <= now]
            for session_id in expired:
                del self._keys[session_id]
        return len(expired)


@dataclass(frozen=True, slots=True)
class _Opened:
    verifier: bytes
    plain_pkcs12: bytes
    expires_at: datetime


class RecentlyOpened:
    """Kept keys opened with a PIN within the signing session's lifetime, by credential,
    with a verifier of the PIN that opened them.

    Opening a sealed key costs an Argon2id run of 64 MiB (``signing.key_envelope``), which
    protects a stolen database, not the running process. An official who types the same
    PIN again for her next signature gets the key without that derivation: the PIN is
    compared with an HMAC under a random key of this process's (constant time), and still
    counted against the lockout by the caller. Any other PIN goes through the derivation.
    Like ``UnlockedKeys`` this lives only in this process's memory."""

    def __init__(self, lifetime: timedelta) -> None:
        self._lifetime = lifetime
        self._secret = os.urandom(32)
        self._opened: dict[uuid.UUID, _Opened] = {}
        self._lock = threading.Lock()
        self._opening: dict[uuid.UUID, threading.Lock] = {}

    def opening(self, credential_id: uuid.UUID) -> threading.Lock:
        """Held while a credential's key is derived: a burst of signatures with the same
        PIN then waits for one derivation instead of running one each (64 MiB apiece)."""
        with self._lock:
            return self._opening.setdefault(credential_id, threading.Lock())

    def _verifier(self, credential_id: uuid.UUID, pin: str) -> bytes:
        return hmac.new(self._secret, credential_id.bytes + pin.encode(), hashlib.sha256).digest()

    def get(self, credential_id: uuid.UUID, pin: str, now: datetime) -> bytes | None:
        verifier = self._verifier(credential_id, pin)
        with self._lock:
            opened = self._opened.get(credential_id)
            if opened is None:
                return None
            if opened.expires_at <= now:
                del self._opened[credential_id]
                return None
        return opened.plain_pkcs12 if hmac.compare_digest(opened.verifier, verifier) else None

    def put(self, credential_id: uuid.UUID, pin: str, plain_pkcs12: bytes, now: datetime) -> None:
        opened = _Opened(self._verifier(credential_id, pin), plain_pkcs12, now + self._lifetime)
        with self._lock:
            self._opened[credential_id] = opened

    def drop(self, credential_ids: Iterable[uuid.UUID]) -> None:
        with self._lock:
            for credential_id in credential_ids:
                self._opened.pop(credential_id, None)

    def sweep(self, now: datetime) -> int:
        with self._lock:
            expired = [c for c, o in self._opened.items() if o.expires_at <= now]
            for credential_id in expired:
                del self._opened[credential_id]
            for credential_id in [c for c in self._opening if c not in self._opened]:
                if not self._opening[credential_id].locked():
                    del self._opening[credential_id]
        return len(expired)


class SigningRuntime:
    """Runs pyHanko's CPU work on a bounded pool, so that request threads (and never the
    event loop) wait for it, and a burst of signing requests cannot take every thread."""

    def __init__(self, workers: int, session_lifetime: timedelta) -> None:
        self.workers = workers or (os.cpu_count() or 1)
        self.keys = UnlockedKeys()
        self.session_lifetime = session_lifetime
        self.recent = RecentlyOpened(session_lifetime)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="signing")

    def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return self._pool.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class PdfJob:
    """One PDF to sign: ``source`` into ``target`` as asked, with what the level needs."""

    source: Path
    target: Path
    request: SignatureRequest
    timestamper: TimeStamperLike | None
    material: ValidationMaterial | None


class PdfSigner(Protocol):
    """Where a PDF signature is made. ``KeySigner`` signs with a key this process holds; a
    batch job hands in one whose processes hold the key (``docsvc.batches.service``)."""

    def sign_pdf(self, job: PdfJob) -> str:
        """Sign the job's file; return the signature field's name."""
        ...


@dataclass(frozen=True, slots=True)
class KeySigner:
    """Signs with an unlocked key of this process's, on the runtime's pool."""

    runtime: SigningRuntime
    key: SigningKey

    def sign_pdf(self, job: PdfJob) -> str:
        return self.runtime.run(
            sign_file, job.source, job.target, self.key, job.request, job.timestamper, job.material
        )
