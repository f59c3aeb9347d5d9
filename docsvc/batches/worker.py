"""What a batch job's worker processes run.

Each worker receives the official's PKCS#12 and PIN once, through the pool's initializer
(in memory, over the pipe), unlocks the key and keeps it in this module for the job. The
pool is shut down when the job ends, and the key goes with its processes; it is never
written anywhere. Keep this module's imports to the ``signing`` library, so that a freshly
spawned worker starts quickly.
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
class WorkerSetup:
    """Everything a worker needs for the whole job. Holds secrets: never log or store it."""

    pkcs12: bytes
    pin: str
    tsa_url: str | None = None  # an outside TSA, as configured
    tsa: LocalTsa | None = None  # else the development PKI's, in process

    def __repr__(self) -> str:
        return "WorkerSetup(<secret>)"


# Set by ``initialise`` inside each worker process of a job's pool, and gone with it: the
# way a process pool hands its workers what they keep. The serving process never sets them.
_key: SigningKey | None = None
_timestamper: TimeStamperLike | None = None
# How often a worker checks that the job's process is still there.
ORPHAN_CHECK_SECONDS = 0.5


def _exit_when_orphaned(parent: int) -> None:
    """A worker whose parent died (killed, or the machine's service restarted without
    reaching the pool's shutdown) would keep the unlocked key in memory: it ends itself."""
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def initialise(setup: WorkerSetup) -> None:
    global _key, _timestamper
    threading.Thread(
        target=_exit_when_orphaned, args=(os.getppid(),), name="orphan-check", daemon=True
    ).start()
    _key = unlock_pkcs12(setup.pkcs12, setup.pin)
    if setup.tsa_url:
        _timestamper = http_timestamper(setup.tsa_url)
    elif setup.tsa is not None:
        _timestamper = setup.tsa.timestamper()
    stamp_font_bytes()  # subset the stamp font once per worker, not in its first signature


def sign(
    source: str,
    target: str,
    request: SignatureRequest,
    timestamped: bool,
    material: ValidationMaterial | None,
) -> str:
    """Sign ``source`` into ``target`` with the job's key; return the field's name."""
    if _key is None:
        raise SigningError("the worker has no key")
    if timestamped and _timestamper is None:
        raise SigningError("no timestamp authority is configured")
    timestamper = _timestamper if timestamped else None
    return sign_file(Path(source), Path(target), _key, request, timestamper, material)
