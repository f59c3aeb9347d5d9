"""The periods of the periodic tasks (docsvc.periodic): cut from the Unix epoch, the same in
every process, shortened by DOCSVC_PERIODIC_TIME_SCALE; each process looks for its turn at
a random moment of a period's first twentieth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from docsvc.config import Settings
from docsvc.periodic import PeriodicTask, next_period, period_start, until_next_look


def test_periods_are_cut_from_the_epoch() -> None:
    moment = datetime(2026, 12, 7, 10, 17, 30, 250_000, tzinfo=UTC)
    ten = timedelta(minutes=10)
    assert period_start(moment, ten) == datetime(2026, 12, 7, 10, 10, tzinfo=UTC)
    assert next_period(moment, ten) == datetime(2026, 12, 7, 10, 20, tzinfo=UTC)
    # A period's first moment is its own.
    assert period_start(datetime(2026, 12, 7, 10, 20, tzinfo=UTC), ten) == next_period(moment, ten)
    ten_seconds = timedelta(seconds=10)
    assert period_start(moment, ten_seconds) == datetime(2026, 12, 7, 10, 17, 30, tzinfo=UTC)


def test_the_time_scale_divides_every_interval() -> None:
    checkpoint = PeriodicTask("checkpoint", timedelta(minutes=10), lambda services: None)
    assert checkpoint.period(Settings()) == timedelta(minutes=10)
    assert checkpoint.period(Settings(periodic_time_scale=60)) == timedelta(seconds=10)
    # To the microsecond, so every process with the same setting cuts the same periods.
    assert checkpoint.period(Settings(periodic_time_scale=7)) == timedelta(
        seconds=85, microseconds=714286
    )


def test_a_process_looks_early_in_the_next_period() -> None:
    moment = datetime(2026, 12, 7, 10, 17, 30, tzinfo=UTC)
    ten = timedelta(minutes=10)
    waits = [until_next_look(ten, moment) for _ in range(200)]
    # 2.5 minutes to 10:20, then at most 2 s (a twentieth of 10 minutes is more).
    assert all(150 <= wait <= 152 for wait in waits), waits
    assert len(set(waits)) > 100
    short = timedelta(seconds=1)
    waits = [until_next_look(short, moment) for _ in range(200)]
    assert all(1 <= wait <= 1.05 for wait in waits), waits
