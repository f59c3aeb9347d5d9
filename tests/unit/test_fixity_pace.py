"""The fixity audit's pace (docsvc/archival/fixity.py): it sleeps just enough that reading
stays at the configured rate on average, and never when there is no limit."""

from __future__ import annotations

import pytest

from docsvc.archival import fixity


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("docsvc.archival.fixity.time.monotonic", fake.monotonic)
    monkeypatch.setattr("docsvc.archival.fixity.time.sleep", fake.sleep)
    return fake


def test_reading_faster_than_the_rate_waits_for_it(clock: Clock) -> None:
    pace = fixity.Pace(1_000_000)  # 1 MB/s
    for _ in range(10):
        pace.consumed(500_000)  # read instantly
    assert clock.now - 100.0 == pytest.approx(5.0)  # 5 MB at 1 MB/s


def test_time_spent_reading_counts_towards_the_rate(clock: Clock) -> None:
    pace = fixity.Pace(1_000_000)
    clock.now += 0.8  # the read itself took 0.8 s
    pace.consumed(1_000_000)
    assert clock.slept == [pytest.approx(0.2)]
    clock.now += 2.0  # slower than the rate: no wait
    pace.consumed(1_000_000)
    assert len(clock.slept) == 1


def test_no_limit_never_waits(clock: Clock) -> None:
    pace = fixity.Pace(0)
    for _ in range(100):
        pace.consumed(10_000_000)
    assert clock.slept == []
