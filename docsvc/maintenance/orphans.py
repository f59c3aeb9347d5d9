"""Removing stored objects that no row points to.

Bytes are stored before their row is committed, so a crash or a failed request can leave
an object behind; that is the safe direction (nothing points to missing bytes). This job
removes such objects once they are older than a grace period, long enough that no upload
still in flight can lose its object between the store and the commit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents.repository import is_referenced, referenced_object_keys
from docsvc.object_claims import claim_for_sweep, expire_upload_claims, release_sweep
from storage import ObjectStore, OperationNotAllowed

log = logging.getLogger("docsvc.maintenance")


@dataclass(frozen=True, slots=True)
class OrphanReport:
    scanned: int
    referenced: int
    orphans: int
    deleted: int
    too_young: int
    locked: int
    claimed_by_uploads: int
    stale_uploads_removed: int


def clean_orphans(
    db: Session,
    store: ObjectStore,
    *,
    grace: timedelta,
    upload_tmp_dir: Path | None = None,
    dry_run: bool = False,
) -> OrphanReport:
    cutoff = utcnow() - grace
    if not dry_run:
        expire_upload_claims(db, grace)
    referenced = set(referenced_object_keys(db))
    scanned = orphans = deleted = too_young = locked = claimed = 0
    for info in store.list():
        scanned += 1
        if info.key in referenced:
            continue
        orphans += 1
        if info.created_at > cutoff:
            too_young += 1
            continue
        if dry_run:
            continue
        if not claim_for_sweep(db, info.key):
            claimed += 1  # an upload of these very bytes is under way
            continue
        try:
            # Look again now that uploads are held off: the set read above may be stale.
            if is_referenced(db, info.key):
                continue
            store.delete(info.key)
            deleted += 1
        except OperationNotAllowed:
            locked += 1
        finally:
            release_sweep(db, info.key)
    stale = 0 if dry_run else _remove_stale_uploads(upload_tmp_dir, grace)
    report = OrphanReport(
        scanned, len(referenced), orphans, deleted, too_young, locked, claimed, stale
    )
    if not dry_run and (deleted or stale):
        record_event(
            db,
            None,
            "store.orphans_removed",
            object_type="store",
            details={"deleted": deleted, "stale_uploads": stale, "locked": locked},
        )
    log.info("orphan sweep: %s", report)
    return report


def _remove_stale_uploads(tmp_dir: Path | None, grace: timedelta) -> int:
    """Temporary upload files left by a killed process."""
    if tmp_dir is None or not tmp_dir.is_dir():
        return 0
    cutoff = time.time() - grace.total_seconds()
    removed = 0
    for path in tmp_dir.glob("upload-*.part"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
