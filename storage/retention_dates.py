"""Retention dates as both stores keep them: timezone-aware UTC, whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.errors import StorageError


def normalised_retention(until: datetime) -> datetime:
    """``until`` in UTC, rounded up to the whole second.

    S3 object lock keeps whole seconds; rounding up (never down) means a retention is
    never shorter than asked, and both stores report back exactly what they keep.
    """
    if until.tzinfo is None or until.utcoffset() is None:
        raise StorageError("retention dates must be timezone-aware")
    until = until.astimezone(UTC)
    if until.microsecond:
        until = until.replace(microsecond=0) + timedelta(seconds=1)
    return until


def retention_blocks_delete(retain_until: datetime | None, now: datetime | None = None) -> bool:
    if retain_until is None:
        return False
    return retain_until > (now or datetime.now(UTC))
