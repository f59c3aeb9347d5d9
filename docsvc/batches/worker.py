"""What the warm signing processes of a job runner run.

The pool is started once per runner (``docsvc.batches.processes``) and kept between
jobs. Each file comes with its run's ``KeyHandle`` (in memory, over the pool's pipe); a
process opens the key at the first file of a run and keeps it for the next ones, never
writing it anywhere, and forgets it when it sits unused. Keep this module's imports to the
``signing`` library, so that a fresh process starts quickly.
"""

from __future__ import annotations

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
    process signs it; each process opens it once per run (``run``). Holds secrets: never
    log or store it."""

    run: str  # the queued job's id and attempt: a new run, a new key
    pkcs12: bytes  # without a password; it only ever travels over the pool's pipes
    tsa_url: str | None = None  # an outside TSA, as configured
    tsa: LocalTsa | None = None  # else the development PKI's, in process

    def __repr__(self) -> str:
        return f"KeyHandle({self.run}, <secret>)"


@dataclass(frozen=True, slots=True)
class _Opened:
    run: str
    key: SigningKey
    timestamper: TimeStamperLike | None


# What one warm process holds: the key of the run it last signed for, forgotten when
# another run's file comes or after ``FORGET_AFTER_SECONDS`` without one. The serving
# process never sets them.
_opened: _Opened | None = None
_last_used = 0.0
_lock = threading.Lock()
# How often a process checks that its parent is still there, and how long an unused key
# stays in its memory.
ORPHAN_CHECK_SECONDS = 0.5
FORGET_AFTER_SECONDS = 30.0


def _watch(parent: int) -> None:
    """A process whose parent died (killed, or the service restarted without reaching the
    pool's shutdown) would keep an unlocked key in memory: it ends itself. A key unused for
    a while is forgotten, so that a warm pool between jobs holds none."""
    global _opened
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
        with _lock:
            if _opened is not None and time.monotonic() - _last_used > FORGET_AFTER_SECONDS:
                _opened = None


def initialise() -> None:
    """Run once in each new process of the warm pool: what every later file needs."""
    threading.Thread(target=_watch, args=(os.getppid(),), name="watch", daemon=True).start()
    stamp_font_bytes()  # subset the stamp font once per process, not in its first signature


def forget() -> None:
    global _opened
    with _lock:
        _opened = None


def _open(handle: KeyHandle) -> _Opened:
    global _opened, _last_used
    with _lock:
        _last_used = time.monotonic()
        if _opened is not None and _opened.run == handle.run:
            return _opened
    key = unlock_pkcs12(handle.pkcs12, None)
    timestamper: TimeStamperLike | None = None
    if handle.tsa_url:
        timestamper = http_timestamper(handle.tsa_url)
    elif handle.tsa is not None:
        timestamper = handle.tsa.timestamper()
    opened = _Opened(handle.run, key, timestamper)
    with _lock:
        _opened = opened
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
