"""The job queue's pure parts: the back-off between attempts, the slots each queue gets,
the handler table and where jobs run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from docsvc.config import Environment, Settings
from docsvc.jobs.backoff import MAX_DELAY, retry_delay
from docsvc.jobs.handlers import JobContext, JobHandler, JobResult, handler_table
from docsvc.jobs.queues import QUEUES, Urgency, concurrency_limits, queue_named
from docsvc.jobs.runner import runs_in_app
from docsvc.services import Services


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(env=Environment.test, data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_each_retry_waits_twice_as_long_up_to_the_cap() -> None:
    base = timedelta(seconds=10)
    waits = [retry_delay(attempt, base) for attempt in range(1, 6)]
    assert waits == [timedelta(seconds=s) for s in (10, 20, 40, 80, 160)]
    assert retry_delay(9, base) == timedelta(seconds=2560)
    assert retry_delay(10, base) == MAX_DELAY == timedelta(hours=1)
    assert retry_delay(10_000, base) == MAX_DELAY  # no overflow however many attempts
    assert retry_delay(3, base, cap=timedelta(seconds=30)) == timedelta(seconds=30)
    assert retry_delay(4, timedelta(0)) == timedelta(0)
    with pytest.raises(ValueError, match="counted from 1"):
        retry_delay(0, base)


def test_the_queue_table() -> None:
    high = {q.name for q in QUEUES if q.urgency is Urgency.high}
    low = {q.name for q in QUEUES if q.urgency is Urgency.low}
    assert high == {"signing", "register", "notifications"}
    assert low == {"exports", "fixity", "preservation", "ocr"}
    assert all(q.concurrency >= 1 for q in QUEUES)
    # A queue's name fits the column (String 32).
    assert all(len(q.name) <= 32 for q in QUEUES)
    with pytest.raises(ValueError, match="no job queue is called 'print'"):
        queue_named("print")


def test_slots_come_from_the_table_then_the_settings_then_the_command(tmp_path: Path) -> None:
    defaults = concurrency_limits(_settings(tmp_path))
    assert defaults == {q.name: q.concurrency for q in QUEUES}
    settings = _settings(tmp_path, job_concurrency={"ocr": 3, "exports": 0})
    limits = concurrency_limits(settings)
    assert limits["ocr"] == 3 and "exports" not in limits  # 0: this process runs none
    assert concurrency_limits(settings, ["ocr", "signing"], {"ocr": 1}) == {"ocr": 1, "signing": 4}
    # An override for a queue not served changes nothing.
    assert concurrency_limits(settings, ["signing"], {"ocr": 2}) == {"signing": 4}
    with pytest.raises(ValueError, match="no job queue is called 'pdf'"):
        concurrency_limits(settings, ["pdf"])
    with pytest.raises(ValueError, match="no job queue is called 'pdf'"):
        concurrency_limits(_settings(tmp_path, job_concurrency={"pdf": 1}))
    with pytest.raises(ValueError, match="cannot run -1"):
        concurrency_limits(settings, overrides={"ocr": -1})


def _nothing(services: Services, context: JobContext) -> JobResult:
    return None


def test_one_handler_per_kind() -> None:
    table = handler_table([JobHandler("a", _nothing), JobHandler("b", _nothing)])
    assert set(table) == {"a", "b"}
    with pytest.raises(ValueError, match="two job handlers for the kind 'a'"):
        handler_table([JobHandler("a", _nothing), JobHandler("a", _nothing)])
    with pytest.raises(ValueError, match="1 to 64"):
        handler_table([JobHandler("k" * 65, _nothing)])


def test_the_serving_process_runs_jobs_on_sqlite_unless_told(tmp_path: Path) -> None:
    assert runs_in_app(_settings(tmp_path))
    postgres = "postgresql+psycopg://docsvc@127.0.0.1/docsvc"
    assert not runs_in_app(_settings(tmp_path, database_url=postgres))
    assert runs_in_app(_settings(tmp_path, database_url=postgres, jobs_in_app=True))
    assert not runs_in_app(_settings(tmp_path, jobs_in_app=False))
