"""Batches run by ``docsvc worker`` processes, killed part-way, on both backend pairs.

- Two workers run; the one signing a batch is killed (SIGKILL) part-way. Its warm
  processes end themselves, so no unlocked key outlives it. The other worker, to which the
  batch's key was sealed as well, takes the run over once the dead one's heartbeat is
  stale, and finishes it: every document signed exactly once, none without its object.
- The only worker is killed: no one can open the key any more (it was sealed to that
  process's memory), so the batch is found interrupted, and its owner resumes it with the
  PIN once a worker runs again. Items signed before are not signed again.

The app here runs no jobs itself (``jobs_in_app`` off), as on PostgreSQL in production.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from docsvc.app import create_app
from docsvc.batches import service as batch_service
from docsvc.demo.seed import DEMO_PIN
from docsvc.jobs import queue as jobs
from docsvc.models import Job, JobSecret, JobState
from docsvc.models.batches import BatchJob
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

ROOT = Path(__file__).parent.parent.parent
STALE_SECONDS = 5


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"workers-{request.param}"), request, pki=True
    )
    # The test's app only serves requests; `docsvc worker` processes run the jobs.
    settings = built.settings.model_copy(
        update={"jobs_in_app": False, "job_stale_seconds": STALE_SECONDS}
    )
    yield Backend(built.name, settings, dataclasses.replace(built.services, settings=settings))
    built.services.close()


@pytest.fixture(scope="module")
def client(backend: Backend) -> Iterator[TestClient]:
    with TestClient(create_app(backend.settings, backend.services)) as test_client:
        yield test_client


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


@pytest.fixture
def start_worker(backend: Backend, tmp_path: Path) -> Iterator[Callable[[], Worker]]:
    started: list[Worker] = []

    def start() -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
        env |= backend.settings_env() | {
            "DOCSVC_JOB_STALE_SECONDS": str(STALE_SECONDS),
            "DOCSVC_BATCH_PROCESSES": "2",
        }
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "docsvc", "worker", "--queues", "signing"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log)
        started.append(worker)
        # Ready once it has published its key, and its warm processes are up.
        _until(lambda: " serves " in log.read_text(), worker)
        _until(lambda: len(worker.children()) >= 2, worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=10)


def _until(
    condition: Callable[[], bool], worker: Worker | None = None, seconds: float = 90
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(worker.log.read_text())
        assert time.monotonic() < deadline, worker.log.read_text() if worker else "timed out"
        time.sleep(0.1)


def _batch(client: TestClient, me: dict[str, str], count: int, title: str) -> tuple[str, list[str]]:
    documents = []
    for n in range(count):
        created = client.post(
            "/api/v1/documents",
            headers=me,
            data={"doc_type": "report", "title": f"{title} {n}"},
            files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
        )
        assert created.status_code == 201, created.text
        documents.append(str(created.json()["id"]))
    made = client.post(
        "/api/v1/batches",
        headers=me,
        json={"items": [{"document_id": d} for d in documents], "pin": DEMO_PIN, "visible": False},
    )
    assert made.status_code == 202, made.text
    return str(made.json()["id"]), documents


def _progress(client: TestClient, me: dict[str, str], batch_id: str) -> dict:
    response = client.get(f"/api/v1/batches/{batch_id}", headers=me)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def _runner_of(backend: Backend, batch_id: str, workers: list[Worker]) -> Worker:
    """The worker whose runner holds the batch's run."""
    with backend.services.sessions() as db:
        batch = db.get(BatchJob, uuid.UUID(batch_id))
        assert batch is not None and batch.job_id is not None
        job = db.get(Job, batch.job_id)
        assert job is not None and job.locked_by
    pid = int(job.locked_by.split(":")[1])
    (found,) = [w for w in workers if w.process.pid == pid]
    return found


def _signed_once(client: TestClient, me: dict[str, str], documents: list[str]) -> None:
    for doc_id in documents:
        document = client.get(f"/api/v1/documents/{doc_id}", headers=me).json()
        # One signature each: none lost, none signed twice across the kill.
        assert [v["number"] for v in document["versions"]] == [1, 2], document
        content = client.get(f"/api/v1/documents/{doc_id}/content", headers=me)
        assert content.status_code == 200  # the signed version's object is there


def _kill_while_signing(
    client: TestClient, me: dict[str, str], batch_id: str, worker: Worker, total: int
) -> list[psutil.Process]:
    _until(lambda: _progress(client, me, batch_id)["done"] >= 2, worker, seconds=180)
    assert _progress(client, me, batch_id)["done"] < total, "the batch ended before the kill"
    processes = worker.children()
    worker.process.kill()
    worker.process.wait(30)
    return processes


def test_another_worker_takes_over_a_batch_whose_worker_was_killed(
    backend: Backend, client: TestClient, start_worker: Callable[[], Worker]
) -> None:
    me = login(client, "preparador")
    first, second = start_worker(), start_worker()
    total = 24
    batch_id, documents = _batch(client, me, total, "Informe relevado")
    _until(lambda: _progress(client, me, batch_id)["status"] == "running", seconds=60)
    running = _runner_of(backend, batch_id, [first, second])
    survivor = second if running is first else first
    processes = _kill_while_signing(client, me, batch_id, running, total)
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert not alive, "a process holding the key outlived its worker"

    # The survivor finds the dead worker's run stale, takes it over and finishes it.
    _until(
        lambda: _progress(client, me, batch_id)["status"] in ("finished", "interrupted"),
        survivor,
        seconds=240,
    )
    done = _progress(client, me, batch_id)
    assert (done["status"], done["done"], done["failed"]) == ("finished", total, 0), done
    _signed_once(client, me, documents)
    with backend.services.sessions() as db:
        # The finished run's sealed key is gone from the database.
        assert not list(db.scalars(select(JobSecret.job_id)))


def test_a_batch_whose_only_worker_died_is_resumed_with_the_pin(
    backend: Backend, client: TestClient, start_worker: Callable[[], Worker]
) -> None:
    me = login(client, "preparador")
    worker = start_worker()
    total = 12
    batch_id, documents = _batch(client, me, total, "Informe reiniciado")
    processes = _kill_while_signing(client, me, batch_id, worker, total)
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert not alive, "a process holding the key outlived its worker"

    cut = _progress(client, me, batch_id)
    assert cut["status"] == "running"
    signed_before = {i["position"] for i in cut["items"] if i["status"] == "signed"}
    assert 2 <= len(signed_before) < total, cut
    # Not yet stale: a run whose worker may still be alive is left alone.
    assert batch_service.interrupt_stale_jobs(backend.services) == 0

    # A new worker starts (the "restart"); it finds the run stale, but the key was sealed
    # to the dead one only: the run is cancelled and the batch interrupted.
    start_worker()
    _until(lambda: _cancelled(backend), seconds=60)
    # Shown interrupted at once, before the periodic batch recovery writes it down.
    shown = _progress(client, me, batch_id)
    assert shown["status"] == "interrupted" and shown["error"], shown
    # Even once the ended run's row is pruned from the queue's table.
    with backend.services.sessions() as db:
        db.execute(delete(Job).where(Job.state == JobState.cancelled.value))
        db.commit()
    assert _progress(client, me, batch_id)["status"] == "interrupted"
    batch_service.interrupt_stale_jobs(backend.services)
    interrupted = _progress(client, me, batch_id)
    assert interrupted["status"] == "interrupted" and interrupted["error"]

    other = client.post(
        f"/api/v1/batches/{batch_id}/resume",
        headers=login(client, "financiero"),
        json={"pin": DEMO_PIN},
    )
    assert other.status_code == 404
    wrong = client.post(f"/api/v1/batches/{batch_id}/resume", headers=me, json={"pin": "0000"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_pin"

    resumed = client.post(f"/api/v1/batches/{batch_id}/resume", headers=me, json={"pin": DEMO_PIN})
    assert resumed.status_code == 202, resumed.text
    _until(lambda: _progress(client, me, batch_id)["status"] == "finished", seconds=240)
    done = _progress(client, me, batch_id)
    assert (done["done"], done["failed"]) == (total, 0), done
    _signed_once(client, me, documents)


def _cancelled(backend: Backend) -> bool:
    with backend.services.sessions() as db:
        return any(
            job.state == JobState.cancelled.value and job.kind == batch_service.RUN_KIND
            for job in db.scalars(select(Job))
        )


def test_with_no_worker_running_a_batch_is_refused_and_nothing_is_kept(
    backend: Backend, client: TestClient
) -> None:
    me = login(client, "preparador")
    # Workers of the earlier tests were killed: forget them at once.
    jobs.strand_sealed(backend.services.sessions, timedelta(0))
    with backend.services.sessions() as db:
        before = len(list(db.scalars(select(BatchJob.id))))
    created = client.post(
        "/api/v1/documents",
        headers=me,
        data={"doc_type": "report", "title": "Informe sin trabajador"},
        files={"file": ("d.pdf", unique_pdf("Informe"), "application/pdf")},
    )
    made = client.post(
        "/api/v1/batches",
        headers=me,
        json={"items": [{"document_id": created.json()["id"]}], "pin": DEMO_PIN},
    )
    assert made.status_code == 503 and made.json()["error"]["code"] == "no_job_worker", made.text
    with backend.services.sessions() as db:
        assert len(list(db.scalars(select(BatchJob.id)))) == before
