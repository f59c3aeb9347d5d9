"""Deadline arithmetic in business days: Monday to Friday, less the institution's holidays.

"Five business days" from a transfer sent on a given day ends on the fifth business day
after it: the day of sending does not count, whatever hour it was sent.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

SATURDAY = 5
MAX_DAYS = 3650  # ten years of business days is more than any deadline


def is_business_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def add_business_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself if ``days`` is 0)."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"a deadline is 0 to {MAX_DAYS} business days, not {days}")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Business days in ``(start, end]``; negative when ``end`` is before ``start``."""
    if end < start:
        return -business_days_between(end, start, holidays)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_business_day(day, holidays)
    return count
