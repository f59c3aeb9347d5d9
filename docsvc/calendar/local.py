"""The institution's own calendar day: registry years and deadlines follow its time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from docsvc.config import Settings


def local_date(settings: Settings, moment: datetime | None = None) -> date:
    """The date where the institution is (``DOCSVC_TIMEZONE``) at ``moment`` (now)."""
    return (moment or datetime.now(UTC)).astimezone(ZoneInfo(settings.timezone)).date()
