"""The durable job queue (docsvc/jobs), on SQLite and PostgreSQL: a job exists only if the
transaction that enqueued it commits; concurrent claimers never take one job twice;
priorities and per-queue slots (a slow export never holds up a signature); retries with
back-off, then failure with the error kept; a job whose worker died runs again; the
serving process runs jobs itself on SQLite only; and only a job's owner (or an admin)
reads it through the API."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from docsvc.app import create_app
from docsvc.composition import build_services
from docsvc.db.base import utcnow
from docsvc.jobs.handlers import JobContext, JobGaveUp, JobHandler, JobResult
from docsvc.jobs.periodic import prune_jobs
from docsvc.jobs.queue import (
    STALE_ERROR,
    cancel,
    claim,
    enqueue,
    fail,
    prune_finished,
    recover_stale,
    report_progress,
    succeed,
)
from docsvc.jobs.runner import JobRunner, Timings, runs_in_app
from docsvc.models import Job, JobState
from docsvc.organisation.repository import user_by_username
from docsvc.services import Services
from tests.support.backends import BACKENDS, Backend, build_backend

FAST = Timings(poll=0.05, stale_after=5.0, drain=10.0, retry_base=0.05)
Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(request.param, tmp_path_factory.mktemp(f"jobs-{request.param}"), request)
    yield built
    built.services.close()


@pytest.fixture(autouse=True)
def no_jobs_yet(backend: Backend) -> None:
    with backend.services.sessions() as db:
        db.execute(delete(Job))
        db.commit()


def _echo(services: Services, context: JobContext) -> JobResult:
    context.progress(1, 1)
    return {"echo": dict(context.payload), "attempt": context.attempt}


ECHO = JobHandler("test.echo", _echo)


def _enqueue(backend: Backend, kind: str = "test.echo", **options: object) -> uuid.UUID:
    payload = options.pop("payload", {"n": 1})
    queue = str(options.pop("queue", "exports"))
    with backend.services.sessions() as db:
        job = enqueue(db, kind, payload, queue=queue, **options)  # type: ignore[arg-type]
        db.commit()
        return job.id


def _job(backend: Backend, job_id: uuid.UUID) -> Job:
    with backend.services.sessions() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def _wait(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _state(backend: Backend, job_id: uuid.UUID) -> str:
    return _job(backend, job_id).state


@contextlib.contextmanager
def _running(runner: JobRunner) -> Iterator[JobRunner]:
    runner.start()
    try:
        yield runner
    finally:
        assert runner.stop(drain=10)


def test_a_rolled_back_transaction_leaves_no_job(backend: Backend) -> None:
    with backend.services.sessions() as db:
        enqueue(db, "test.echo", {"n": 1}, queue="exports")
        db.flush()  # the row was written, and is undone with the rest
        db.rollback()
    with backend.services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0
    assert claim(backend.services.sessions, ["exports"], "w") is None


def test_a_committed_job_is_claimed_and_run(backend: Backend) -> None:
    job_id = _enqueue(backend, payload={"text": "hola"})
    assert _state(backend, job_id) == JobState.queued
    with _running(JobRunner(backend.services, (ECHO,), {"exports": 1}, timings=FAST)) as runner:
        _wait(lambda: _state(backend, job_id) == JobState.succeeded)
        job = _job(backend, job_id)
        assert job.result == {"echo": {"text": "hola"}, "attempt": 1}
        assert (job.progress_done, job.progress_total) == (1, 1)
        assert job.attempts == 1 and job.error is None
        assert job.locked_by == runner.worker_id
        assert job.finished_at is not None and job.finished_at >= job.created_at


def test_what_the_caller_gets_wrong_fails_at_enqueue(backend: Backend) -> None:
    with backend.services.sessions() as db:
        with pytest.raises(ValueError, match="no job queue"):
            enqueue(db, "test.echo", {}, queue="nowhere")
        with pytest.raises(TypeError):
            enqueue(db, "test.echo", {"when": object()}, queue="exports")
        with pytest.raises(ValueError, match="64"):
            enqueue(db, "x" * 65, {}, queue="exports")
        db.rollback()


def test_four_claimers_never_take_the_same_job(backend: Backend) -> None:
    """Each claimer has its own services (engine and pool), as separate processes would."""
    total = 200
    with backend.services.sessions() as db:
        for n in range(total):
            enqueue(db, "test.echo", {"n": n}, queue="exports")
        db.commit()
    claimers = [build_services(backend.settings) for _ in range(4)]
    ran: list[tuple[int, uuid.UUID]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(len(claimers))

    def work(which: int, services: Services) -> None:
        try:
            start.wait()
            misses = 0
            while misses < 3:
                job = claim(services.sessions, ["exports"], f"claimer-{which}")
                if job is None:
                    misses += 1  # a lost race on SQLite; the queue is empty after three
                    continue
                misses = 0
                with lock:
                    ran.append((which, job.id))
                assert succeed(services.sessions, job, {"by": which})
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(which, services))
        for which, services in enumerate(claimers)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for services in claimers:
            services.close()
    assert not errors, errors
    ids = [job_id for _, job_id in ran]
    assert len(ids) == total and len(set(ids)) == total
    with backend.services.sessions() as db:
        states = db.execute(
            select(Job.state, Job.attempts, func.count()).group_by(Job.state, Job.attempts)
        ).all()
    assert [tuple(row) for row in states] == [(JobState.succeeded.value, 1, total)]
    if backend.name == "postgres-s3":
        # SKIP LOCKED lets them work side by side rather than one at a time.
        assert len({which for which, _ in ran}) >= 2


def test_higher_priority_runs_first(backend: Backend) -> None:
    order: list[int] = []

    def record(services: Services, context: JobContext) -> JobResult:
        order.append(int(context.payload["p"]))
        return None

    for priority in (0, 10, 5, -3):
        _enqueue(backend, "test.record", payload={"p": priority}, priority=priority)
    handlers = (JobHandler("test.record", record),)
    with _running(JobRunner(backend.services, handlers, {"exports": 1}, timings=FAST)):
        _wait(lambda: len(order) == 4)
    assert order == [10, 5, 0, -3]
    # The queue's own default: signing jobs outrank a default export.
    with backend.services.sessions() as db:
        assert enqueue(db, "k", {}, queue="signing").priority > 0
        assert enqueue(db, "k", {}, queue="exports").priority == 0
        db.rollback()


def test_a_slow_low_queue_job_does_not_hold_up_a_high_queue_one(backend: Backend) -> None:
    gate = threading.Event()
    running_now: list[uuid.UUID] = []

    def slow(services: Services, context: JobContext) -> JobResult:
        running_now.append(context.job_id)
        assert gate.wait(30)
        return {"slow": True}

    handlers = (JobHandler("test.slow", slow), ECHO)
    first, second = (_enqueue(backend, "test.slow", queue="exports") for _ in range(2))
    limits = {"exports": 1, "signing": 1}
    with _running(JobRunner(backend.services, handlers, limits, timings=FAST)) as runner:
        try:
            _wait(lambda: len(running_now) == 1)
            urgent = _enqueue(backend, "test.echo", queue="signing")
            # The export holds the one exports slot; the signing job has its own.
            _wait(lambda: _state(backend, urgent) == JobState.succeeded, seconds=5)
            assert runner.busy("exports") == 1
            states = {_state(backend, first), _state(backend, second)}
            assert states == {JobState.running.value, JobState.queued.value}
            time.sleep(0.3)  # however long it waits, the second export waits for the slot
            assert len(running_now) == 1
        finally:
            gate.set()
        _wait(lambda: _state(backend, first) == _state(backend, second) == JobState.succeeded)
    assert len(running_now) == 2


def test_failures_back_off_then_fail_for_good_with_the_error_kept(backend: Backend) -> None:
    sessions = backend.services.sessions
    job_id = _enqueue(backend, max_attempts=3)
    base = timedelta(seconds=10)
    now = utcnow()
    job = claim(sessions, ["exports"], "w", now=now)
    assert job is not None and job.id == job_id and job.attempts == 1
    assert fail(sessions, job, "boom 1", retry_base=base, now=now) is JobState.queued
    queued = _job(backend, job_id)
    assert queued.run_after == now + base and queued.error == "boom 1"
    assert queued.locked_by is None
    assert claim(sessions, ["exports"], "w", now=now + base - timedelta(seconds=1)) is None
    now += base
    job = claim(sessions, ["exports"], "w", now=now)
    assert job is not None and job.attempts == 2
    assert fail(sessions, job, "boom 2", retry_base=base, now=now) is JobState.queued
    assert _job(backend, job_id).run_after == now + 2 * base  # twice as long
    now += 2 * base
    job = claim(sessions, ["exports"], "w", now=now)
    assert job is not None and job.attempts == 3
    assert fail(sessions, job, "boom 3", retry_base=base, now=now) is JobState.failed
    failed = _job(backend, job_id)
    assert failed.state == JobState.failed and failed.error == "boom 3"
    assert failed.attempts == 3 and failed.finished_at == now
    assert claim(sessions, ["exports"], "w", now=now + timedelta(days=1)) is None


def test_the_runner_retries_a_flaky_job_and_gives_up_on_a_hopeless_one(
    backend: Backend,
) -> None:
    def flaky(services: Services, context: JobContext) -> JobResult:
        if context.attempt < 3:
            raise ConnectionError(f"server away (attempt {context.attempt})")
        return {"after": context.attempt}

    def hopeless(services: Services, context: JobContext) -> JobResult:
        raise JobGaveUp("the document is gone")

    handlers = (JobHandler("test.flaky", flaky), JobHandler("test.hopeless", hopeless))
    recovers = _enqueue(backend, "test.flaky")
    gives_up = _enqueue(backend, "test.hopeless")
    never = _enqueue(backend, "test.flaky", max_attempts=2)
    with _running(JobRunner(backend.services, handlers, {"exports": 2}, timings=FAST)):
        _wait(lambda: _state(backend, recovers) == JobState.succeeded)
        _wait(lambda: _state(backend, gives_up) == JobState.failed)
        _wait(lambda: _state(backend, never) == JobState.failed)
    done = _job(backend, recovers)
    assert done.attempts == 3 and done.result == {"after": 3} and done.error is None
    hopeless_job = _job(backend, gives_up)
    assert hopeless_job.attempts == 1
    assert hopeless_job.error == "JobGaveUp: the document is gone"
    out_of_attempts = _job(backend, never)
    assert out_of_attempts.attempts == 2
    assert out_of_attempts.error == "ConnectionError: server away (attempt 2)"


def test_a_job_whose_worker_died_runs_again(backend: Backend) -> None:
    sessions = backend.services.sessions
    long_ago = utcnow() - timedelta(minutes=10)
    job_id = _enqueue(backend, run_after=long_ago)
    ghost = claim(sessions, ["exports"], "ghost:1", now=long_ago)
    assert ghost is not None and ghost.attempts == 1
    # Its heartbeat is ten minutes old: the first runner to look puts it back, and runs it.
    with _running(JobRunner(backend.services, (ECHO,), {"exports": 1}, timings=FAST)) as runner:
        _wait(lambda: _state(backend, job_id) == JobState.succeeded)
        job = _job(backend, job_id)
        assert job.attempts == 2 and job.locked_by == runner.worker_id
    # The dead worker, back after all, cannot overwrite the run that replaced it.
    assert not succeed(sessions, ghost, {"late": True})
    assert not report_progress(sessions, ghost, 1, 2)
    assert fail(sessions, ghost, "late") is None
    assert _job(backend, job_id).result == {"echo": {"n": 1}, "attempt": 2}


def test_a_job_that_kills_its_worker_every_time_fails_in_the_end(backend: Backend) -> None:
    sessions = backend.services.sessions
    job_id = _enqueue(backend, max_attempts=2)
    now = utcnow()
    stale = timedelta(minutes=2)
    for attempt in (1, 2):
        job = claim(sessions, ["exports"], f"dies:{attempt}", now=now)
        assert job is not None and job.attempts == attempt
        assert recover_stale(sessions, stale, now=now + stale / 2) == 0  # still fresh
        now += stale + timedelta(seconds=1)
        assert recover_stale(sessions, stale, now=now) == 1
    job = _job(backend, job_id)
    assert job.state == JobState.failed and job.attempts == 2
    assert job.error == STALE_ERROR.format(seconds=120)


def test_a_queued_job_can_be_cancelled_and_is_never_run(backend: Backend) -> None:
    job_id = _enqueue(backend)
    with backend.services.sessions() as db:
        assert cancel(db, job_id)
        db.commit()
    assert _state(backend, job_id) == JobState.cancelled
    assert claim(backend.services.sessions, ["exports"], "w") is None
    with backend.services.sessions() as db:
        assert not cancel(db, job_id)


def test_finished_jobs_are_pruned_after_their_keep_and_unfinished_ones_never(
    backend: Backend,
) -> None:
    day = timedelta(days=1)
    start = utcnow()
    states = ("succeeded", "failed", "cancelled", "queued", "running")
    ids = {state: _enqueue(backend) for state in states}
    with backend.services.sessions() as db:
        for state, job_id in ids.items():
            # How each got there is the queue's other tests' business; here only the state
            # and the time it ended matter (an unfinished job old enough to be pruned too).
            db.execute(update(Job).where(Job.id == job_id).values(state=state, finished_at=start))
        db.commit()

    def left_after(after: timedelta) -> set[str]:
        prune_finished(
            backend.services.sessions,
            keep=30 * day,
            keep_failed=90 * day,
            now=start + after,
            chunk=1,
        )
        with backend.services.sessions() as db:
            left = set(db.scalars(select(Job.id)))
        return {state for state, job_id in ids.items() if job_id in left}

    assert left_after(29 * day) == set(states)
    assert left_after(31 * day) == {"failed", "queued", "running"}
    assert left_after(91 * day) == {"queued", "running"}
    assert left_after(10_000 * day) == {"queued", "running"}


def test_the_daily_pruning_follows_the_settings_and_zero_keeps_for_ever(backend: Backend) -> None:
    job_id = _enqueue(backend)
    job = claim(backend.services.sessions, ["exports"], "w")
    assert job is not None and job.id == job_id
    assert succeed(backend.services.sessions, job, None)
    with backend.services.sessions() as db:
        db.execute(update(Job).values(finished_at=utcnow() - timedelta(days=400)))
        db.commit()
    kept = backend.services.settings.model_copy(update={"job_keep_days": 0})
    assert prune_jobs(dataclasses.replace(backend.services, settings=kept)) == 0
    assert _state(backend, job_id) == JobState.succeeded
    assert prune_jobs(backend.services) == 1
    with backend.services.sessions() as db:
        assert db.get(Job, job_id) is None


def test_a_worker_claims_only_the_kinds_it_knows(backend: Backend) -> None:
    known = _enqueue(backend, "test.echo", priority=0)
    _enqueue(backend, "test.newer", priority=50)
    job = claim(backend.services.sessions, ["exports"], "w", kinds=["test.echo"])
    assert job is not None and job.id == known
    assert claim(backend.services.sessions, ["exports"], "w", kinds=["test.echo"]) is None


def test_the_serving_process_runs_jobs_itself_on_sqlite_only(backend: Backend) -> None:
    # As deployed: the tests' own settings make every test app run jobs (jobs_in_app).
    settings = backend.settings.model_copy(update={"jobs_in_app": None})
    app = create_app(settings, backend.services, job_handlers=(ECHO,))
    with TestClient(app):
        job_id = _enqueue(backend)
        if backend.name == "sqlite-local":
            assert runs_in_app(settings)
            _wait(lambda: _state(backend, job_id) == JobState.succeeded)
        else:
            # PostgreSQL: `docsvc worker` runs jobs (tests/cli/test_worker_command.py).
            assert not runs_in_app(settings)
            time.sleep(1.0)
            assert _state(backend, job_id) == JobState.queued


def test_only_its_owner_or_an_admin_reads_a_job(backend: Backend) -> None:
    with backend.services.sessions() as db:
        registro = user_by_username(db, "registro")
        assert registro is not None
        owner_id = registro.id
    mine = _enqueue(backend, owner=owner_id, payload={"secret": "x"})
    services_own = _enqueue(backend)
    job = claim(backend.services.sessions, ["exports"], "w")
    assert job is not None and job.id == mine
    assert report_progress(backend.services.sessions, job, 3, 7)

    with TestClient(create_app(backend.settings, backend.services)) as client:

        def headers(username: str) -> dict[str, str]:
            from tests.support.accounts import login

            return login(client, username)

        registro_h, programas_h, admin_h = (
            headers(name) for name in ("registro", "programas", "admin")
        )
        read = client.get(f"/api/v1/jobs/{mine}", headers=registro_h)
        assert read.status_code == 200, read.text
        body = read.json()
        assert body["id"] == str(mine) and body["state"] == "running"
        assert body["progress"] == {"done": 3, "total": 7}
        assert body["kind"] == "test.echo" and body["queue"] == "exports"
        assert body["attempts"] == 1 and body["result"] is None and body["error"] is None
        assert body["started_at"] and body["created_at"] and body["finished_at"] is None
        assert "payload" not in body
        for who, job_id in ((programas_h, mine), (registro_h, services_own)):
            refused = client.get(f"/api/v1/jobs/{job_id}", headers=who)
            assert refused.status_code == 404
            assert refused.json()["error"]["code"] == "job_not_found"
        assert client.get(f"/api/v1/jobs/{uuid.uuid4()}", headers=admin_h).status_code == 404
        for job_id in (mine, services_own):
            assert client.get(f"/api/v1/jobs/{job_id}", headers=admin_h).status_code == 200
        assert client.get(f"/api/v1/jobs/{mine}").status_code == 401

        assert succeed(backend.services.sessions, job, {"pages": 7})
        done = client.get(f"/api/v1/jobs/{mine}", headers=registro_h).json()
        assert done["state"] == "succeeded" and done["result"] == {"pages": 7}
        assert done["finished_at"] is not None


def test_on_postgresql_a_job_enqueued_elsewhere_wakes_an_idle_runner_at_commit(
    backend: Backend,
) -> None:
    """A runner that would not look for work for a minute still starts, within seconds, a
    job that another process (here, services of their own) enqueues: PostgreSQL notifies
    it at the commit. Nothing is sent for a transaction that rolls back. On SQLite there
    is no notification: the job waits for the poll."""
    other = build_services(backend.settings)
    idle = Timings(poll=60.0, stale_after=120.0, drain=10.0, retry_base=0.05)
    try:
        with _running(JobRunner(backend.services, (ECHO,), {"exports": 1}, timings=idle)):
            time.sleep(0.5)  # its first look for work is over: from now on it waits
            with other.sessions() as db:
                enqueue(db, "test.echo", {"n": 1}, queue="exports")
                db.rollback()
            with other.sessions() as db:
                job_id = enqueue(db, "test.echo", {"n": 2}, queue="exports").id
                db.commit()
            if backend.services.engine.dialect.name == "postgresql":
                _wait(lambda: _state(backend, job_id) == JobState.succeeded, seconds=10)
            else:
                time.sleep(1.0)
                assert _state(backend, job_id) == JobState.queued
    finally:
        other.close()
