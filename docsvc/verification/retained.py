"""Files verified through the public page, kept for a short while so that their report can
be shown again (reload, change of language) and downloaded as the sealed PDF or the ETSI
XML without uploading the file a second time.

Each is kept under an unguessable token (192 random bits) in the data directory's
``tmp/verificaciones``, beside its report as JSON, and deleted ``RETAINED_FOR`` after
the upload, by the periodic sweep or on the first access after that. Deployments with more
than one host need this directory shared, or sticky sessions.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from docsvc.config import Settings
from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import Gone, NotFound

RETAINED_FOR = timedelta(minutes=15)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True, slots=True)
class Retained:
    token: str
    upload: ReceivedFile
    report: dict[str, Any]


def _directory(settings: Settings) -> Path:
    # Shared by the host's processes: the page's next request may reach another one.
    directory = settings.shared_tmp_dir / "verificaciones"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def keep(settings: Settings, upload: ReceivedFile, report: dict[str, Any]) -> str:
    """Move the uploaded file here (it leaves the upload's temporary path) with its report."""
    token = secrets.token_urlsafe(24)
    directory = _directory(settings)
    meta = {
        "filename": upload.filename,
        "sha256": upload.sha256,
        "size": upload.size,
        "content_type": upload.content_type,
        "report": report,
    }
    (directory / f"{token}.json").write_text(json.dumps(meta))
    os.replace(upload.path, directory / f"{token}.pdf")
    return token


def _expired(path: Path, now: float) -> bool:
    return now - path.stat().st_mtime > RETAINED_FOR.total_seconds()


def find(settings: Settings, token: str) -> Retained:
    if not _TOKEN.match(token):
        raise NotFound("No verification has this reference.", code="verification_not_found")
    directory = _directory(settings)
    meta_path, pdf_path = directory / f"{token}.json", directory / f"{token}.pdf"
    try:
        if _expired(meta_path, time.time()):
            _delete(meta_path, pdf_path)
            raise Gone(
                "This verification has expired; upload the file again.",
                code="verification_expired",
            )
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError as exc:
        raise NotFound(
            "No verification has this reference (or it has expired).",
            code="verification_not_found",
        ) from exc
    upload = ReceivedFile(
        path=pdf_path,
        sha256=meta["sha256"],
        size=meta["size"],
        filename=meta["filename"],
        content_type=meta["content_type"],
    )
    return Retained(token, upload, meta["report"])


def _delete(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def sweep(settings: Settings, now: float | None = None) -> int:
    """Delete every kept file past its time; returns how many verifications went."""
    moment = time.time() if now is None else now
    gone = 0
    for meta_path in _directory(settings).glob("*.json"):
        try:
            if _expired(meta_path, moment):
                _delete(meta_path, meta_path.with_suffix(".pdf"))
                gone += 1
        except FileNotFoundError:
            continue  # swept by another process meanwhile
    return gone
