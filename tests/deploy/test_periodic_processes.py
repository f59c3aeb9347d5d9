"""Periodic work in a deployment of three ``docsvc serve`` processes (separate OS
processes) on one PostgreSQL database and one S3 store, with the schedule accelerated 60
times (``DOCSVC_PERIODIC_TIME_SCALE=60``): half an hour of schedule passes in 30 to 40 s.
Meanwhile the register grows by one entry a second, registered through each process in
turn. Afterwards:

- The register checkpoint (every 10 minutes, so every 10 s here) was signed exactly once
  in each of its periods that began after the register started growing, up to the last
  one that began before the processes were stopped: none twice, none missing. Periods are
  the schedule's own (``docsvc.periodic.period_start``: the interval cut from the epoch).
- The tolerance is at the two ends only, and stated exactly. Before the first counted
  period: the start-up turn's checkpoint of the seeded log, and at most one more, of the
  test's first writes (the document's upload and the first entry) should a period begin
  between them and the first counted one; no other, as a turn with nothing new signs
  nothing. After the last: the growth stops 6 s (0.6 of a period) into it, after its
  turn, and the processes are stopped then; a checkpoint after it only if a process still
  lived at the next period's start (then one, never two).
- Every turn of every once-per-deployment task, as seen by polling ``periodic_turns``
  five times a second, set its next turn to the start of the next period: the three
  processes cut time alike. No task had two turns in one period, and each of the three
  processes took turns (whichever looks first takes a period's turn, each at a random
  moment of the period's first twentieth; the fast tasks have a turn a second here).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import psutil
import pytest
from sqlalchemy import select

from docsvc.composition import PERIODIC_TASKS
from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PASSWORD
from docsvc.ledger import log
from docsvc.ledger.checkpoints import CHECKPOINT_INTERVAL
from docsvc.models import PeriodicTurn
from docsvc.models.register import RegisterCheckpoint
from docsvc.periodic import EPOCH, next_period, period_start
from tests.support.backends import Backend, build_backend
from tests.support.live_server import free_port
from tests.support.pdfs import unique_pdf
from tests.support.served import wait_until_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.s3]

PROCESSES = 3
SCALE = 60
SCHEDULE = timedelta(minutes=30)  # of schedule, while the register grows: 30 s
PERIOD = CHECKPOINT_INTERVAL / SCALE  # the checkpoint's period here: 10 s
CHECKPOINT_TASK = "register checkpoint"
# How far into the last counted period the register stops growing and the processes are
# stopped: after its turn (looked for within the period's first twentieth, 0.5 s here,
# then signed and time-stamped in well under a second), before the next period.
MARGIN = PERIOD * 0.6
ENTRY_EVERY = 1.0  # seconds: ten entries a checkpoint period
POLL_EVERY = 0.2  # seconds: the fastest tasks take a turn a second here
CLERK = "juridico"
START_SECONDS = 120  # for the three processes to answer /healthz


@dataclass(frozen=True, slots=True)
class Turn:
    task: str
    taken_at: datetime
    taken_by: str  # host:pid
    next_at: datetime

    @property
    def pid(self) -> int:
        return int(self.taken_by.rsplit(":", 1)[1])


@dataclass
class TurnWatcher:
    """Polls ``periodic_turns`` in a thread and keeps every turn it sees taken (the table
    keeps only each task's last)."""

    backend: Backend
    turns: list[Turn] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    seen: dict[str, datetime] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> None:
        with self.backend.services.sessions() as db:
            for row in db.scalars(select(PeriodicTurn)):
                if row.taken_at is not None and self.seen.get(row.name) != row.taken_at:
                    self.seen[row.name] = row.taken_at
                    self.turns.append(Turn(row.name, row.taken_at, row.taken_by, row.next_at))

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.poll()
            except Exception as exc:  # a thread cannot fail the test: it says so here
                self.errors.append(exc)
                return
            self.done.wait(POLL_EVERY)

    @contextlib.contextmanager
    def watching(self) -> Iterator[TurnWatcher]:
        thread = threading.Thread(target=self.run, name="turn watcher", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.done.set()
            thread.join(timeout=10)
        self.poll()  # the last turns, once every process is gone


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    # With the development PKI, so that checkpoints are time-stamped by its TSA, as deployed.
    built = build_backend(
        "postgres-s3", tmp_path_factory.mktemp("periodic-processes"), request, pki=True
    )
    yield built
    built.services.close()


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each (uvicorn shuts down, the lifespan cancels the periodic loops), then
    SIGKILL to any of them still there after 30 s, and to whatever they started (the
    verifier's worker processes) that outlived them."""
    children: list[psutil.Process] = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            children += psutil.Process(process.pid).children(recursive=True)
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


@contextlib.contextmanager
def serving(backend: Backend, logs: Path) -> Iterator[list[tuple[str, int]]]:
    """Three ``docsvc serve`` processes on the backend's database, store and data directory,
    each on a port of its own and all under one public address (as behind a proxy, so
    their checkpoints name one log), as (base URL, pid). Every one is stopped when the
    context ends, however it ends."""
    ports = [free_port() for _ in range(PROCESSES)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
    env |= backend.settings_env() | {
        "DOCSVC_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        "DOCSVC_PERIODIC_TIME_SCALE": str(SCALE),
        # Two cores for three servers, PostgreSQL, the S3 server and the test: lean ones.
        "DOCSVC_VERIFY_PROCESSES": "1",
        "DOCSVC_REQUEST_THREADS": "4",
        "PYTHONUNBUFFERED": "1",
    }
    started: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    try:
        for n, port in enumerate(ports):
            log_path = logs / f"serve-{n}.log"
            with log_path.open("w") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "docsvc", "serve", "--port", str(port)],
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            started.append((f"http://127.0.0.1:{port}", process, log_path))
        # Three starting at once on two cores (beside whatever else runs) take a while.
        deadline = time.monotonic() + START_SECONDS
        for base, process, log_path in started:
            wait_until_healthy(base, process, log_path, max(1.0, deadline - time.monotonic()))
        yield [(base, process.pid) for base, process, _ in started]
    finally:
        _stop_all([process for _, process, _ in started])


def _index(moment: datetime, period: timedelta) -> int:
    """Which period of the schedule ``moment`` falls in, counted from the epoch."""
    return (period_start(moment, period) - EPOCH) // period


def _register(client: httpx.Client, base: str, headers: dict[str, str], doc: str, n: int) -> None:
    made = client.post(
        f"{base}/api/v1/register/entries",
        headers=headers,
        json={
            "direction": "incoming",
            "document_id": doc,
            "subject": f"Oficio {n}",
            "counterpart": "Ciudadanía",
        },
    )
    assert made.status_code == 201, made.text


def test_three_processes_sign_one_checkpoint_per_period(backend: Backend, tmp_path: Path) -> None:
    periods = {
        task.name: task.period(backend.settings.model_copy(update={"periodic_time_scale": SCALE}))
        for task in PERIODIC_TASKS
    }
    assert periods[CHECKPOINT_TASK] == PERIOD
    with backend.services.sessions() as db:
        seeded = log.log_size(db)
        before = db.scalar(
            select(RegisterCheckpoint.size).order_by(RegisterCheckpoint.created_at.desc()).limit(1)
        )
    started_at = utcnow()
    watcher = TurnWatcher(backend)
    entries: list[datetime] = []  # when each entry was answered (so committed)
    with (
        watcher.watching(),
        serving(backend, tmp_path) as processes,
        httpx.Client(timeout=30) as client,
    ):
        bases = [base for base, _ in processes]
        pids = {pid for _, pid in processes}
        token = client.post(
            f"{bases[0]}/api/v1/auth/token", json={"username": CLERK, "password": DEMO_PASSWORD}
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        uploaded = client.post(
            f"{bases[0]}/api/v1/documents",
            headers=headers,
            data={"doc_type": "letter", "title": "Oficio que se registra"},
            files={"file": ("o.pdf", unique_pdf("Oficio"), "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        doc = str(uploaded.json()["id"])
        # The last checkpoint period to count: the first to start at least 30 minutes of
        # schedule (less the margin) after the register began to grow.
        _register(client, bases[0], headers, doc, 0)
        grown_from = utcnow()
        entries.append(grown_from)
        with backend.services.sessions() as db:
            first_grown = log.log_size(db)  # the upload's leaf and the first entry's
        last = period_start(grown_from + SCHEDULE / SCALE - MARGIN, PERIOD)
        if last < grown_from + SCHEDULE / SCALE - MARGIN:
            last += PERIOD
        stop = last + MARGIN
        while (following := entries[-1] + timedelta(seconds=ENTRY_EVERY)) < stop:
            time.sleep(max(0.0, (following - utcnow()).total_seconds()))
            _register(client, bases[len(entries) % PROCESSES], headers, doc, len(entries))
            entries.append(utcnow())
        time.sleep(max(0.0, (stop - utcnow()).total_seconds()))
    stopped_at = utcnow()  # every process has exited
    assert not watcher.errors, watcher.errors

    with backend.services.sessions() as db:
        grown_to = log.log_size(db)
        made = list(
            db.execute(
                select(RegisterCheckpoint.created_at, RegisterCheckpoint.size)
                .where(RegisterCheckpoint.created_at >= started_at)
                .order_by(RegisterCheckpoint.created_at)
            )
        )
    assert grown_to >= seeded + len(entries)

    # Checkpoints by the checkpoint task's own periods.
    first = _index(grown_from, PERIOD) + 1  # the first period the register grew before
    final = _index(last, PERIOD)
    by_period = Counter(_index(created, PERIOD) for created, _ in made)
    counted = range(first, final + 1)
    report = {
        "counted periods": len(counted),
        "checkpoints": [(created.isoformat(), size) for created, size in made],
        "by period": {k - first: by_period[k] for k in sorted(by_period)},
    }
    # None twice, anywhere.
    assert set(by_period.values()) == {1}, report
    # None missing: one in every period the register grew in before its turn.
    assert [by_period[k] for k in counted] == [1] * len(counted), report
    assert len(counted) >= SCHEDULE // CHECKPOINT_INTERVAL, report
    # Before: the start-up turn's checkpoint of the seeded log (if it had grown since the
    # last checkpoint), and at most one of the document's upload and the first entry,
    # should a period have begun between them and the first counted one.
    early = [size for created, size in made if _index(created, PERIOD) < first]
    if before != seeded:
        assert early[:1] == [seeded], report
    assert all(size <= first_grown for size in early) and len(early) <= 2, report
    # After: nothing, unless a process still lived when the next period began.
    late = [created for created, _ in made if _index(created, PERIOD) > final]
    assert len(late) <= (0 if stopped_at < last + PERIOD else 1), report
    # Each a checkpoint of a larger log than the last.
    sizes = [size for _, size in made]
    assert sizes == sorted(set(sizes)) and sizes[-1] <= grown_to, report

    # The turns, as polled: each set the next at the next period's start (the processes
    # agree on the periods), no task had two in one period, and all were the three's.
    by_task: dict[str, list[Turn]] = defaultdict(list)
    for turn in watcher.turns:
        if turn.taken_at >= started_at:
            by_task[turn.task].append(turn)
    for task, turns in by_task.items():
        period = periods[task]
        for turn in turns:
            assert turn.next_at == next_period(turn.taken_at, period), turn
            assert turn.pid in pids, (turn, pids)
        per_period = Counter(_index(turn.taken_at, period) for turn in turns)
        assert set(per_period.values()) == {1}, (task, turns)
    # The checkpoint's turns: one in each counted period, early in it.
    checkpoint_turns = {_index(turn.taken_at, PERIOD): turn for turn in by_task[CHECKPOINT_TASK]}
    for k in counted:
        taken = checkpoint_turns.get(k)
        assert taken is not None, (k - first, by_task[CHECKPOINT_TASK])
        assert taken.taken_at - period_start(taken.taken_at, PERIOD) < PERIOD / 2, taken
    takers = {task: dict(Counter(turn.pid for turn in turns)) for task, turns in by_task.items()}
    report |= {"takers": takers, "pids": sorted(pids), "entries": len(entries)}
    print(report)
    assert {turn.pid for turns in by_task.values() for turn in turns} == pids, report
