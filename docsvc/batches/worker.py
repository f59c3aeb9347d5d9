"""What the warm signing processes of a job runner run.

The pool is started once per runner (``docsvc.batches.processes``) and kept between
jobs. Each file comes with its run's ``KeyHandle`` (in memory, over the pool's pipe); a
process opens the key at the first file that brings it and keeps it open for the next ones
(of this run, and of the next run with the same key: opening costs as much as signing a
few files, which a batch of twelve on two processes would otherwise pay again each time),
never writing it anywhere, and forgets it when it sits unused. Keep this module's imports
to the ``signing`` library, so that a fresh process starts quickly.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key

from signing import SigningError
from signing.appearance import stamp_font_bytes
from signing.dev_pki import Identity
from signing.pades import (
    LocalTimeStamper,
    SignatureRequest,
    SigningKey,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.remote import TimeStamperLike, http_timestamper
from signing.tsa import tsa_config


@dataclass(frozen=True, slots=True)
class LocalTsa:
    """The development PKI's TSA as bytes (its parsed form does not pickle): certificate,
    unencrypted PKCS#8 key (in memory only), issuing CA and root, policy OID."""

    certificate: bytes
    key: bytes
    chain: tuple[bytes, ...]
    policy: str

    def __repr__(self) -> str:
        return "LocalTsa(<secret>)"

    def timestamper(self) -> LocalTimeStamper:
        key = load_der_private_key(self.key, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        identity = Identity(x509.load_der_x509_certificate(self.certificate), key)
        return LocalTimeStamper(tsa_config(identity, list(self.chain), self.policy))


@dataclass(frozen=True, slots=True)
class KeyHandle:
    """A batch run's key and timestamp authority, sent with each file to whichever warm
    process signs it; a process opens it once and keeps it open while files keep bringing
    it (``digest``). Holds secrets: never log or store it."""

    run: str  # the queued job's id and attempt: a new run, a new key
    pkcs12: bytes  # without a password; it only ever travels over the pool's pipes
    tsa_url: str | None = None  # an outside TSA, as configured
    tsa: LocalTsa | None = None  # else the development PKI's, in process

    def __repr__(self) -> str:
        return f"KeyHandle({self.run}, <secret>)"

    def digest(self) -> bytes:
        """What tells this key and authority apart from any other: a run with the same
        ones finds them open."""
        parts = [self.pkcs12, (self.tsa_url or "").encode()]
        if self.tsa is not None:
            parts += [self.tsa.certificate, self.tsa.key, *self.tsa.chain, self.tsa.policy.encode()]
        digest = hashlib.sha256()
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.digest()


@dataclass(slots=True)
class _Opened:
    key: SigningKey
    timestamper: TimeStamperLike | None
    last_used: float


# What one warm process holds: the keys it signed with lately, by ``KeyHandle.digest``,
# each forgotten after ``FORGET_AFTER_SECONDS`` without a file, and the least recently
# used one when a new key would make more than ``KEPT_KEYS``. The serving process never
# sets them.
_opened: dict[bytes, _Opened] = {}
_lock = threading.Lock()
# How often a process checks that its parent is still there, and how long an unused key
# stays in its memory.
ORPHAN_CHECK_SECONDS = 0.5
FORGET_AFTER_SECONDS = 30.0
KEPT_KEYS = 4


def _watch(parent: int) -> None:
    """A process whose parent died (killed, or the service restarted without reaching the
    pool's shutdown) would keep an unlocked key in memory: it ends itself. A key unused for
    a while is forgotten, so that a warm pool between jobs holds none."""
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
        with _lock:
            now = time.monotonic()
            for digest in [
                d for d, o in _opened.items() if now - o.last_used > FORGET_AFTER_SECONDS
            ]:
                del _opened[digest]


def initialise() -> None:
    """Run once in each new process of the warm pool: what every later file needs."""
    threading.Thread(target=_watch, args=(os.getppid(),), name="watch", daemon=True).start()
    stamp_font_bytes()  # subset the stamp font once per process, not in its first signature


def forget() -> None:
    with _lock:
        _opened.clear()


def held_keys() -> int:
    """How many keys this process holds open (for the tests)."""
    with _lock:
        return len(_opened)


def _open(handle: KeyHandle) -> _Opened:
    digest = handle.digest()
    with _lock:
        opened = _opened.get(digest)
        if opened is not None:
            opened.last_used = time.monotonic()
            return opened
    key = unlock_pkcs12(handle.pkcs12, None)
    timestamper: TimeStamperLike | None = None
    if handle.tsa_url:
        timestamper = http_timestamper(handle.tsa_url)
    elif handle.tsa is not None:
        timestamper = handle.tsa.timestamper()
    opened = _Opened(key, timestamper, time.monotonic())
    with _lock:
        _opened[digest] = opened
        while len(_opened) > KEPT_KEYS:
            del _opened[min(_opened, key=lambda d: _opened[d].last_used)]
    return opened


def sign(
    handle: KeyHandle,
    source: str,
    target: str,
    request: SignatureRequest,
    timestamped: bool,
    material: ValidationMaterial | None,
) -> str:
    """Sign ``source`` into ``target`` with the run's key; return the field's name."""
    opened = _open(handle)
    if timestamped and opened.timestamper is None:
        raise SigningError("no timestamp authority is configured")
    timestamper = opened.timestamper if timestamped else None
    return sign_file(Path(source), Path(target), opened.key, request, timestamper, material)
