"""Secrets handed to jobs, sealed to the workers that may run them.

A batch of signatures needs the official's key in whichever worker runs it, and the key
must never be readable at rest. Each job runner makes an X25519 key pair when it starts;
the private half stays in its memory, the public half is published in ``job_workers``.
A job enqueued with a secret gets one sealed copy per live worker serving its queue
(``job_secrets``): an ephemeral X25519 agreement, HKDF-SHA256 and AES-256-GCM, bound to
the job and the worker. The database then holds nothing that opens without a running
worker's memory; when every worker a job was sealed for has gone, the secret is gone with
them, and the job's owner provides it again (a batch is resumed with the PIN).
"""

from __future__ import annotations

import os
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_PUBLIC = 32
_NONCE = 12


def _bound_to(job_id: uuid.UUID, worker_id: str) -> bytes:
    return f"docsvc-job-secret:{job_id}:{worker_id}".encode()


def _key(shared: bytes, bound: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=bound).derive(shared)


class WorkerKey:
    """A runner's key pair; the private half is never written anywhere."""

    def __init__(self) -> None:
        self._private = X25519PrivateKey.generate()

    def __repr__(self) -> str:
        return "WorkerKey(<secret>)"

    @property
    def public(self) -> bytes:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def open(self, sealed: bytes, job_id: uuid.UUID, worker_id: str) -> bytes:
        """The secret sealed to this worker for this job; ``InvalidTag`` otherwise."""
        ephemeral = X25519PublicKey.from_public_bytes(sealed[:_PUBLIC])
        bound = _bound_to(job_id, worker_id)
        key = _key(self._private.exchange(ephemeral), bound)
        nonce = sealed[_PUBLIC : _PUBLIC + _NONCE]
        return AESGCM(key).decrypt(nonce, sealed[_PUBLIC + _NONCE :], bound)


def seal(public: bytes, secret: bytes, job_id: uuid.UUID, worker_id: str) -> bytes:
    """``secret`` sealed to the worker whose public key is ``public``, for this job."""
    ephemeral = X25519PrivateKey.generate()
    bound = _bound_to(job_id, worker_id)
    key = _key(ephemeral.exchange(X25519PublicKey.from_public_bytes(public)), bound)
    nonce = os.urandom(_NONCE)
    return (
        ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        + nonce
        + AESGCM(key).encrypt(nonce, secret, bound)
    )
