"""Signed checkpoints of the register's log: made on a schedule and on demand, signed with
the institution's register seal key (Ed25519, as C2SP signed notes need) and time-stamped
by the institution's TSA (RFC 3161), then kept.

The seal key is made at first use and kept in ``DOCSVC_DATA_DIR/register/seal-key.pem``,
encrypted under ``DOCSVC_SECRET_KEY`` like the development PKI's keys. Its verifier key is
published at ``GET /api/v1/register/key`` for auditors to pin.
"""

from __future__ import annotations

import functools
import threading
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
from docsvc.errors import Conflict
from docsvc.models.register import RegisterCheckpoint
from docsvc.register import log, notes
from docsvc.signatures.authorities import timestamper_for
from signing.pades import Level
from signing.remote import TimeStamperLike
from signing.timestamps import timestamp_token

_key_lock = threading.Lock()


def origin(settings: Settings) -> str:
    """The log's name: the service's public address without scheme, then ``/register``."""
    parts = urlsplit(settings.public_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/register"


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / "register" / "seal-key.pem"


@functools.cache
def _load_key(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return key


def seal_key(settings: Settings) -> Ed25519PrivateKey:
    path = _key_file(settings).resolve()
    passphrase = settings.effective_secret.encode()
    with _key_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase)
            )
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(pem)
            temporary.chmod(0o600)
            temporary.replace(path)
        return _load_key(path, passphrase)


def verifier_key(settings: Settings) -> notes.VerifierKey:
    return notes.VerifierKey.of(origin(settings), seal_key(settings))


def _timestamper(settings: Settings) -> TimeStamperLike | None:
    """The TSA that signatures use; none yet before ``docsvc init`` made the development
    PKI, or when none is configured: then the note is signed only."""
    if settings.dev_pki and not settings.tsa_url and not (settings.pki_dir / "root.pem").exists():
        return None
    try:
        return timestamper_for(settings, Level.B_T)
    except Conflict:
        return None


def make_checkpoint(db: Session, settings: Settings) -> RegisterCheckpoint:
    """Sign and keep a checkpoint of the log as it is in this transaction."""
    size = log.log_size(db)
    root = log.root_at(db, size)
    name = origin(settings)
    text = notes.Checkpoint(name, size, root).text()
    note = notes.sign_note(text, name, seal_key(settings))
    stamper = _timestamper(settings)
    if stamper is not None:
        note = notes.add_timestamp(note, name, timestamp_token(stamper, text))
    checkpoint = RegisterCheckpoint(
        size=size, root=root, note=note.encode(), timestamped=stamper is not None
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


def checkpoint_if_grown(db: Session, settings: Settings) -> RegisterCheckpoint | None:
    """The scheduled checkpoint: a new one only when the log grew since the last."""
    last = latest(db)
    if last is not None and last.size == log.log_size(db):
        return None
    return make_checkpoint(db, settings)
