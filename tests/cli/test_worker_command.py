"""``docsvc worker`` as a real process on PostgreSQL: it runs what is enqueued, and on
SIGTERM while a job runs it finishes the job before exiting 0; a drain that runs out gives
the job back to its queue and exits 1. The test kinds come from tests/support/job_worker.py
(``docsvc`` with two more handlers); the plain ``docsvc worker`` is started too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docsvc.composition import build_services
from docsvc.db.migrate import upgrade_to_head
from docsvc.jobs.queue import enqueue
from docsvc.models import Job, JobState
from tests.harness.postgres import create_database
from tests.support.backends import Backend, make_settings

ROOT = Path(__file__).parent.parent.parent

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def backend(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp("worker")
    url = create_database(postgres_url, f"jobs_worker_{os.getpid()}")
    settings = make_settings(data_dir, url)
    services = build_services(settings)
    upgrade_to_head(services.engine)
    yield Backend(name="postgres-local", settings=settings, services=services)
    services.close()


@pytest.fixture
def start_worker(backend: Backend, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*args: str, module: str = "tests.support.job_worker") -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
        env |= backend.settings_env() | {"DOCSVC_JOB_DRAIN_SECONDS": "30"}
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", module, "worker", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=10)


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self) -> None:
        _wait(lambda: " serves " in self.output() or self.process.poll() is not None)
        assert self.process.poll() is None, self.output()

    def stop(self, number: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(number)
        return self.process.wait(timeout=timeout)


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _enqueue(backend: Backend, kind: str, payload: dict[str, object]) -> uuid.UUID:
    with backend.services.sessions() as db:
        job = enqueue(db, kind, payload, queue="exports")
        db.commit()
        return job.id


def _job(backend: Backend, job_id: uuid.UUID) -> Job:
    with backend.services.sessions() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def test_the_worker_runs_an_enqueued_job(
    backend: Backend, start_worker: Callable[..., Worker]
) -> None:
    worker = start_worker("--queues", "exports", "--concurrency", "exports=2")
    job_id = _enqueue(backend, "test.echo", {"hello": "mundo"})
    _wait(lambda: _job(backend, job_id).state == JobState.succeeded)
    job = _job(backend, job_id)
    assert job.result == {"echo": {"hello": "mundo"}}
    assert job.locked_by is not None and f":{worker.process.pid}:" in job.locked_by
    assert worker.stop() == 0, worker.output()
    assert "serves exports×2\n" in worker.output()


def test_sigterm_while_a_job_runs_lets_it_finish_then_exits_0(
    backend: Backend, start_worker: Callable[..., Worker]
) -> None:
    worker = start_worker("--queues", "exports")
    job_id = _enqueue(backend, "test.sleep", {"seconds": 3})
    _wait(lambda: _job(backend, job_id).progress_done > 0)
    assert worker.stop() == 0, worker.output()
    job = _job(backend, job_id)
    assert job.state == JobState.succeeded, (job.state, job.error, worker.output())
    assert job.result == {"slept": 3, "stopping_seen": True}
    assert (job.progress_done, job.progress_total) == (30, 30)
    assert "every running job finished" in worker.output()
    # Nothing more was claimed during the drain.
    later = _enqueue(backend, "test.echo", {})
    time.sleep(0.5)
    assert _job(backend, later).state == JobState.queued
    with backend.services.sessions() as db:
        db.delete(db.get(Job, later))
        db.commit()


def test_a_drain_that_runs_out_gives_the_job_back_and_exits_1(
    backend: Backend, start_worker: Callable[..., Worker]
) -> None:
    worker = start_worker("--queues", "exports", "--drain-seconds", "0.5")
    job_id = _enqueue(backend, "test.sleep", {"seconds": 30})
    _wait(lambda: _job(backend, job_id).state == JobState.running)
    assert worker.stop(timeout=20) == 1, worker.output()
    assert "went back to their queues" in worker.output()
    job = _job(backend, job_id)
    # Back in its queue at once, the interrupted attempt not held against it.
    assert job.state == JobState.queued and job.attempts == 0 and job.locked_by is None
    with backend.services.sessions() as db:
        db.delete(db.get(Job, job_id))
        db.commit()


def test_the_plain_command_stops_cleanly_and_refuses_a_bad_option(
    backend: Backend, start_worker: Callable[..., Worker]
) -> None:
    worker = start_worker(module="docsvc")
    worker.wait_ready()
    assert worker.stop(signal.SIGINT) == 0, worker.output()
    assert "signing×4, register×2" in worker.output()
    bad = start_worker("--concurrency", "ocr=lots", module="docsvc")
    assert bad.process.wait(timeout=60) == 2
    assert "QUEUE=NUMBER" in bad.output()
    unknown = start_worker("--queues", "nowhere", module="docsvc")
    assert unknown.process.wait(timeout=60) == 2
    assert "no job queue is called 'nowhere'" in unknown.output()


def test_the_health_check_answers_while_a_worker_of_this_host_runs(
    backend: Backend, start_worker: Callable[..., Worker]
) -> None:
    """``docsvc worker --check`` (compose.yaml's health check of the worker service)."""

    def check() -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
        return subprocess.run(
            [sys.executable, "-m", "docsvc", "worker", "--check"],
            cwd=ROOT,
            env=env | backend.settings_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    # No runner of this host is registered yet (earlier tests' runners forgot themselves).
    idle = check()
    assert idle.returncode == 1, idle.stdout + idle.stderr
    assert "no job worker of this host was seen lately" in idle.stderr
    worker = start_worker(module="docsvc")
    worker.wait_ready()
    alive = check()
    assert alive.returncode == 0, alive.stdout + alive.stderr
    assert f":{worker.process.pid}:" in alive.stdout
    assert worker.stop() == 0, worker.output()
    assert check().returncode == 1
