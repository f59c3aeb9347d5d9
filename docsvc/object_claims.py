"""Claiming object keys in short transactions of their own (see models/object_claims.py).

Each claim commits at once on its own connection, independently of the request's
transaction, so that the other party sees it immediately.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docsvc.db.base import utcnow
from docsvc.errors import ServiceUnavailable
from docsvc.models import ObjectClaim

UPLOAD = "upload"
SWEEP = "sweep"
WAIT_FOR_SWEEP = 10.0


def _own_session(db: Session) -> Session:
    return Session(bind=db.get_bind(), expire_on_commit=False)


def claim_for_upload(db: Session, key: str) -> None:
    """Claim ``key`` before storing its bytes; waits while the cleaner is deleting it."""
    deadline = time.monotonic() + WAIT_FOR_SWEEP
    while True:
        with _own_session(db) as own:
            existing = own.get(ObjectClaim, key)
            try:
                if existing is None:
                    own.add(ObjectClaim(key=key, holder=UPLOAD, claimed_at=utcnow()))
                    own.commit()
                    return
                if existing.holder == UPLOAD:
                    existing.claimed_at = utcnow()
                    own.commit()
                    return
            except IntegrityError:
                own.rollback()  # someone claimed it between our read and insert: look again
        if time.monotonic() > deadline:
            raise ServiceUnavailable(
                "The store is busy cleaning; try again in a moment.", code="store_busy"
            )
        time.sleep(0.05)


def claim_for_sweep(db: Session, key: str) -> bool:
    """True when the cleaner now holds ``key``; False when an upload holds it."""
    with _own_session(db) as own:
        own.add(ObjectClaim(key=key, holder=SWEEP, claimed_at=utcnow()))
        try:
            own.commit()
        except IntegrityError:
            own.rollback()
            return False
        return True


def release_sweep(db: Session, key: str) -> None:
    with _own_session(db) as own:
        own.execute(delete(ObjectClaim).where(ObjectClaim.key == key, ObjectClaim.holder == SWEEP))
        own.commit()


def expire_upload_claims(db: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Upload claims outlive their request on purpose; after the grace period the row
    that followed them (or its absence) is what counts."""
    cutoff = (now or utcnow()) - older_than
    with _own_session(db) as own:
        result = own.execute(
            delete(ObjectClaim).where(ObjectClaim.holder == UPLOAD, ObjectClaim.claimed_at < cutoff)
        )
        own.commit()
        return int(getattr(result, "rowcount", 0) or 0)
