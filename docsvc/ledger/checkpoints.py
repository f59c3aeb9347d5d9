"""Signed checkpoints of the register's log: made on a schedule and on demand, signed with
the institution's register seal key (Ed25519, as C2SP signed notes need) and time-stamped
by the institution's TSA (RFC 3161), then kept. The formats are the ``transparency``
library's (``transparency.checkpoints``, ``transparency.notes``).

The seal key is made at first use and kept in ``DOCSVC_DATA_DIR/register/seal-key.pem``,
encrypted under ``DOCSVC_SECRET_KEY`` like the development PKI's keys. Its verifier key is
published at ``GET /api/v1/register/key`` for auditors to pin.

What signs is a ``CheckpointSigner`` handed in by whoever makes the checkpoint (the periodic
task, the register's pages and API, ``docsvc register checkpoint``):
``docsvc.pki.authorities.checkpoint_signer(keys)`` builds the institution's, with its
TSA, which lives above this kernel.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.ledger import log
from docsvc.models.register import RegisterCheckpoint
from docsvc.runtime.keyring import Keyring, Slot
from transparency import Checkpoint, NoteSigner, VerifierKey, sign_checkpoint

# The schedule's: a new checkpoint this often, when the log has grown.
CHECKPOINT_INTERVAL = timedelta(minutes=10)
CHECKPOINT_KEY = Slot[Ed25519PrivateKey]("register-checkpoint-key")


def origin(settings: Settings) -> str:
    """The log's name: the service's public address without scheme, then ``/register``."""
    parts = urlsplit(settings.public_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/register"


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / "register" / "seal-key.pem"


def _open_key(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    """The key in ``path``, made there first if there is none."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase)
        )
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_bytes(pem)
        partial.chmod(0o600)
        try:
            # Another process may have made one meanwhile: the first link wins, and every
            # process reads the one that won.
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    key = load_pem_private_key(path.read_bytes(), password=passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return key


def seal_key(keys: Keyring) -> Ed25519PrivateKey:
    """The register's checkpoint key, opened (or made) once per service."""
    path = _key_file(keys.settings).resolve()
    passphrase = keys.settings.effective_secret.encode()
    return keys.held(CHECKPOINT_KEY, lambda: _open_key(path, passphrase), path)


def verifier_key(keys: Keyring) -> VerifierKey:
    return VerifierKey.of(origin(keys.settings), seal_key(keys))


@dataclass(frozen=True, slots=True)
class CheckpointSigner:
    """What signs a checkpoint: the seal key, and ``timestamp``, which returns an RFC 3161
    token over the bytes it is given (None: the checkpoint is signed only)."""

    key: NoteSigner
    timestamp: Callable[[bytes], bytes] | None = None


def make_checkpoint(
    db: Session, settings: Settings, signer: CheckpointSigner
) -> RegisterCheckpoint:
    """Sign and keep a checkpoint of the log as it is in this transaction."""
    size = log.log_size(db)
    root = log.root_at(db, size)
    note = sign_checkpoint(Checkpoint(origin(settings), size, root), signer.key, signer.timestamp)
    checkpoint = RegisterCheckpoint(
        size=size, root=root, note=note.encode(), timestamped=signer.timestamp is not None
    )
    db.add(checkpoint)
    db.flush()
    return checkpoint


def latest(db: Session) -> RegisterCheckpoint | None:
    return db.scalar(
        select(RegisterCheckpoint)
        .order_by(RegisterCheckpoint.created_at.desc(), RegisterCheckpoint.size.desc())
        .limit(1)
    )


def checkpoint_if_grown(
    db: Session, settings: Settings, signer: CheckpointSigner
) -> RegisterCheckpoint | None:
    """The scheduled checkpoint: a new one only when the log grew since the last."""
    last = latest(db)
    if last is not None and last.size == log.log_size(db):
        return None
    return make_checkpoint(db, settings, signer)
