"""The institution's own calendar day: registry years and deadlines follow its time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from docsvc.config import Settings


def local_date(settings: Settings, moment: datetime | None = None) -> date:
    """The date where the institution is (``DOCSVC_TIMEZONE``) at ``moment`` (now)."""
    return (moment or datetime.now(UTC)).astimezone(ZoneInfo(settings.timezone)).date()


def end_of_local_day(settings: Settings, day: date) -> datetime:
    """The moment ``day`` ends where the institution is, in UTC."""
    midnight = datetime.combine(day + timedelta(days=1), time.min, ZoneInfo(settings.timezone))
    return midnight.astimezone(UTC)
