"""Business-day deadlines: weekends and holidays skipped, and properties over random
starts, lengths and calendars."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docsvc.calendar.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
)

CARNIVAL = {date(2026, 2, 16), date(2026, 2, 17)}  # Monday and Tuesday


def test_five_business_days_skip_the_weekend_and_holidays() -> None:
    thursday = date(2026, 2, 12)
    # Fri 13, (weekend, Carnival Mon-Tue), Wed 18, Thu 19, Fri 20, Mon 23.
    assert add_business_days(thursday, 5, CARNIVAL) == date(2026, 2, 23)
    assert add_business_days(thursday, 5, set()) == date(2026, 2, 19)
    assert add_business_days(thursday, 0, CARNIVAL) == thursday
    # Sent on a Saturday: the first business day is Monday.
    assert add_business_days(date(2026, 11, 28), 1, set()) == date(2026, 11, 30)
    with pytest.raises(ValueError, match="business days"):
        add_business_days(thursday, -1, set())


calendars = st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=40)


@given(
    start=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    days=st.integers(0, 60),
    holidays=calendars,
)
def test_the_deadline_is_the_nth_business_day_after_the_start(
    start: date, days: int, holidays: set[date]
) -> None:
    due = add_business_days(start, days, holidays)
    assert business_days_between(start, due, holidays) == days
    if days:
        assert is_business_day(due, holidays)
        # Nothing earlier would do.
        assert business_days_between(start, due - timedelta(days=1), holidays) == days - 1
    assert add_business_days(start, days + 1, holidays) > due
