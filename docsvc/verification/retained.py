"""Files verified through the public page, kept for a short while so that their report can
be shown again (reload, change of language) and downloaded as the sealed PDF or the ETSI
XML without uploading the file a second time.

Each is kept under an unguessable token (192 random bits) as two temporary objects of the
service's object store, the one store every process and host of the deployment shares:
``verificaciones/<token>.pdf``, the file, and ``verificaciones/<token>.json``, its report
with the file's name, hash, size and the moment it was kept (``kept_at``). The JSON is put
last, so its presence means the pair is whole. The next request may reach any process of
any host: it reads them back from the store (the report only, unless the file itself is
needed, which ``local_copy`` downloads). Temporary objects live under the store's own
prefix (``tmp/`` on S3), never among the documents' content-addressed objects, and are
never under retention or legal hold.

A verification is gone ``RETAINED_FOR`` after the upload: its first access after that
answers "expired" and deletes it, and the periodic sweep, once per deployment, deletes
every object of the prefix older than that.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import Gone, NotFound
from storage import IntegrityError, ObjectNotFound, ObjectStore, OperationNotAllowed

log = logging.getLogger("docsvc.verification")

RETAINED_FOR = timedelta(minutes=15)
# The temporary objects' names, in the store's temporary area (``tmp/verificaciones/`` on S3).
PREFIX = "verificaciones/"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True, slots=True)
class Retained:
    """A kept verification: its report and what is known of the file, which stays in the
    store until ``local_copy`` fetches it."""

    token: str
    filename: str
    sha256: str
    size: int
    content_type: str
    kept_at: datetime
    report: dict[str, Any]


def _file_name(token: str) -> str:
    return f"{PREFIX}{token}.pdf"


def _report_name(token: str) -> str:
    return f"{PREFIX}{token}.json"


def _not_found() -> NotFound:
    return NotFound(
        "No verification has this reference (or it has expired).",
        code="verification_not_found",
    )


def keep(
    store: ObjectStore, upload: ReceivedFile, report: dict[str, Any], now: datetime | None = None
) -> str:
    """Put the uploaded file and its report in the store; returns the token. The upload's
    local file is left to its owner (the form discards it)."""
    token = secrets.token_urlsafe(24)
    meta = {
        "filename": upload.filename,
        "sha256": upload.sha256,
        "size": upload.size,
        "content_type": upload.content_type,
        "kept_at": (now or datetime.now(UTC)).isoformat(),
        "report": report,
    }
    with upload.path.open("rb") as source:
        store.put_temporary(_file_name(token), source, upload.size)
    encoded = json.dumps(meta).encode()
    try:
        store.put_temporary(_report_name(token), io.BytesIO(encoded), len(encoded))
    except BaseException:
        with contextlib.suppress(Exception):
            store.delete_temporary(_file_name(token))
        raise
    return token


def find(store: ObjectStore, token: str, now: datetime | None = None) -> Retained:
    """The verification kept under ``token``: NotFound for an unknown or malformed token,
    Gone (deleting it) for one past its time."""
    if not _TOKEN.match(token):
        raise NotFound("No verification has this reference.", code="verification_not_found")
    try:
        meta = json.loads(b"".join(store.iter_temporary(_report_name(token))))
        found = Retained(
            token=token,
            filename=str(meta["filename"]),
            sha256=str(meta["sha256"]),
            size=int(meta["size"]),
            content_type=str(meta["content_type"]),
            kept_at=datetime.fromisoformat(meta["kept_at"]),
            report=meta["report"],
        )
    except ObjectNotFound as exc:
        raise _not_found() from exc
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable kept verification %s: %s", token, exc)
        raise _not_found() from exc
    if (now or datetime.now(UTC)) - found.kept_at > RETAINED_FOR:
        _delete(store, token)
        raise Gone(
            "This verification has expired; upload the file again.",
            code="verification_expired",
        )
    return found


@contextlib.contextmanager
def local_copy(store: ObjectStore, found: Retained, directory: Path) -> Iterator[ReceivedFile]:
    """The kept file, downloaded into ``directory`` (the process's scratch directory) and
    checked against its hash, for as long as the block runs; removed afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix="verification-", dir=directory) as out:
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in store.iter_temporary(_file_name(found.token)):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        except ObjectNotFound as exc:  # swept meanwhile
            raise _not_found() from exc
        out.flush()
        if digest.hexdigest() != found.sha256 or size != found.size:
            raise IntegrityError(f"the file kept for verification {found.token} has changed")
        yield ReceivedFile(
            path=Path(out.name),
            sha256=found.sha256,
            size=found.size,
            filename=found.filename,
            content_type=found.content_type,
        )


def _delete(store: ObjectStore, token: str) -> None:
    # The report first: without it the file is no verification any more.
    store.delete_temporary(_report_name(token))
    store.delete_temporary(_file_name(token))


def sweep(store: ObjectStore, now: datetime | None = None) -> int:
    """Delete every kept object past its time (by the store's modification time, so that a
    file whose report never arrived goes too); returns how many verifications went."""
    moment = now or datetime.now(UTC)
    gone = 0
    for info in list(store.list_temporary(PREFIX)):
        if moment - info.modified_at <= RETAINED_FOR:
            continue
        try:
            store.delete_temporary(info.name)
        except OperationNotAllowed:
            log.warning("kept verification object %s could not be deleted", info.name)
            continue
        if info.name.endswith(".json"):
            gone += 1
    return gone
