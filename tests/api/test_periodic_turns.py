"""Periodic work runs once per deployment, whatever the number of app processes: three
"processes" (each its own services, engine and connection pool, on one database) run the
same loops with an accelerated schedule. Work on the shared database takes one turn per
period in all; work on a process's own memory runs in each. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from docsvc.composition import build_services
from docsvc.db.base import utcnow
from docsvc.models import PeriodicTurn
from docsvc.periodic import PeriodicTask, period_start, run_forever, take_turn
from docsvc.services import Services
from tests.support.backends import BACKENDS, Backend, build_backend

INTERVAL = timedelta(milliseconds=200)
RUN_FOR = 4.0  # seconds: twenty periods


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"turns-{request.param}"), request, seed=False
    )
    yield built
    built.services.close()


def test_a_turn_is_taken_once_per_period(backend: Backend) -> None:
    task = PeriodicTask("turns: unit", timedelta(minutes=5), lambda services: None)
    # One minute into a period: periods are 5 minutes of time from the epoch.
    now = period_start(utcnow(), timedelta(minutes=5)) + timedelta(minutes=1)
    assert take_turn(backend.services, task, now)
    assert not take_turn(backend.services, task, now)
    assert not take_turn(backend.services, task, now + timedelta(minutes=3, seconds=59))
    # The next period starts 4 minutes on: its turn is due at once.
    assert take_turn(backend.services, task, now + timedelta(minutes=4))
    assert not take_turn(backend.services, task, now + timedelta(minutes=8))
    with backend.services.sessions() as db:
        turn = db.get(PeriodicTurn, task.name)
        assert turn is not None and turn.taken_by
        assert turn.next_at == now + timedelta(minutes=9)


def test_the_time_scale_shortens_the_periods_alike(backend: Backend) -> None:
    """With DOCSVC_PERIODIC_TIME_SCALE=60 a 5-minute task's periods are 5 seconds long, cut
    from the same moments in every process."""
    fast = dataclasses.replace(
        backend.services,
        settings=backend.settings.model_copy(update={"periodic_time_scale": 60.0}),
    )
    task = PeriodicTask("turns: scaled", timedelta(minutes=5), lambda services: None)
    assert task.period(fast.settings) == timedelta(seconds=5)
    now = period_start(utcnow(), timedelta(seconds=5)) + timedelta(seconds=1)
    assert take_turn(fast, task, now)
    assert not take_turn(fast, task, now + timedelta(seconds=3.9))
    assert take_turn(fast, task, now + timedelta(seconds=4))
    with backend.services.sessions() as db:
        turn = db.get(PeriodicTurn, task.name)
        assert turn is not None and turn.next_at == now + timedelta(seconds=9)


def test_three_processes_take_one_turn_per_period(backend: Backend) -> None:
    processes = [build_services(backend.settings) for _ in range(3)]
    shared: list[tuple[int, datetime]] = []
    own: list[int] = []
    lock = threading.Lock()

    def shared_work(which: int) -> object:
        def work(services: Services) -> None:
            # When this turn was taken: the row is this turn's until the next period.
            with services.sessions() as db:
                turn = db.get(PeriodicTurn, "turns: checkpoint")
                assert turn is not None and turn.taken_at is not None
            with lock:
                shared.append((which, turn.taken_at))

        return work

    def own_work(which: int) -> object:
        def work(services: Services) -> None:
            with lock:
                own.append(which)

        return work

    async def run_all() -> None:
        loops = []
        for which, services in enumerate(processes):
            loops.append(
                asyncio.create_task(
                    run_forever(
                        PeriodicTask("turns: checkpoint", INTERVAL, shared_work(which)), services
                    )
                )
            )
            loops.append(
                asyncio.create_task(
                    run_forever(
                        PeriodicTask(
                            "turns: own keys",
                            INTERVAL,
                            own_work(which),
                            once_per_deployment=False,
                        ),
                        services,
                    )
                )
            )
        await asyncio.sleep(RUN_FOR)
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)

    try:
        asyncio.run(run_all())
    finally:
        for services in processes:
            services.close()
    periods = RUN_FOR / INTERVAL.total_seconds()
    # One turn per period in all (a turn can slip to the next check, never double).
    assert periods * 0.5 <= len(shared) <= periods + 1, shared
    # Never two turns in one period: each taken in a period of its own (the start-up turn
    # anywhere in its period, the others early in theirs). A work that ran late may have
    # read the next turn's row: the turns are the moments read.
    turns = {taken for _, taken in shared}
    starts = {period_start(taken, INTERVAL) for taken in turns}
    assert len(starts) == len(turns), sorted(turns)
    # Each process ran its own work every period.
    for which in range(3):
        assert own.count(which) >= periods * 0.6, own
    # More than one process took turns: the work is shared, not pinned to one of them.
    assert len({which for which, _ in shared}) >= 2, shared
    with backend.services.sessions() as db:
        names = set(db.scalars(select(PeriodicTurn.name)))
    assert "turns: checkpoint" in names and "turns: own keys" not in names
