"""Types for query parameters that every list route shares, bounded so that no value a
client sends can reach the database as something it cannot hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field


def _aware(moment: datetime) -> datetime:
    """A moment without a time zone (``2026-01-01``, ``2026-01-01T10:00``) is taken as UTC,
    as the API documents; compared with stored, zoned times it would otherwise fail."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Moment = Annotated[
    datetime,
    AfterValidator(_aware),
    Field(description="ISO 8601 date or date and time; without a zone, UTC"),
]
# Far beyond any list the service holds, and well within a 64-bit integer.
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
