"""Faults during the everyday load (bench/load/locustfile.py: officials reading and signing,
clerks registering and sending, the public verifying), against the production topology:
HAProxy, two app processes, one ``docsvc worker``, a PostgreSQL of this module's own (it is
killed) and a SeaweedFS cluster of one master and two volume servers.

Each fault is ``kill -9`` of one part while the load runs: an app process, the worker in
the middle of a batch of 200 documents, PostgreSQL, a volume server. After each:

- every request that was answered 2xx is still there, as it was answered;
- no row points to an object the store lacks;
- the register verifies against a checkpoint saved before the fault, and every entry,
  transfer and document against its leaves;
- and for the batch, every document is signed exactly once.

Requests made while a part is down may fail (the figures are printed); none may be lost
once it was answered."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.models import DocumentVersion, SignatureRecord
from tests.harness.load import LoadReport, signed_sample, start_load
from tests.harness.postgres import PostgresServer, create_database, run_postgres_server
from tests.harness.seaweedfs import S3Endpoint
from tests.harness.topology import Topology, run_topology
from tests.support.backends import Backend, build_backend_on
from tests.support.deployment_checks import (
    missing_objects,
    missing_writes,
    register_problems,
    save_checkpoint,
)
from tests.support.pdfs import unique_pdf

pytestmark = pytest.mark.postgres

USERS = 16
LOAD_SECONDS = 60
FAULT_AFTER = 15.0  # seconds of load before the fault
STALE_SECONDS = 6  # a job whose worker stopped beating is found this soon
BATCH = 200


@dataclass
class Deployment:
    topology: Topology
    backend: Backend
    postgres: PostgresServer
    signed_pdf: Path
    workdir: Path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("faults")
    backends: list[Backend] = []
    with run_postgres_server(workdir / "postgres") as postgres:
        url = create_database(postgres.admin_url, "docsvc_faults")

        def prepare(s3: S3Endpoint) -> dict[str, str]:
            backend = build_backend_on(workdir / "data", url, s3, pki=True)
            backends.append(backend)
            return backend.settings_env() | {
                # The load's public users each have an address; a generous limit per address.
                "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": "600",
                "DOCSVC_JOB_STALE_SECONDS": str(STALE_SECONDS),
            }

        try:
            with run_topology(workdir, prepare, public_requests_per_minute=600, workers=1) as top:
                signed = signed_sample(top.base, workdir / "firmado.pdf")
                yield Deployment(top, backends[0], postgres, signed, workdir)
        finally:
            for backend in backends:
                backend.services.close()


def _under_load(
    deployment: Deployment, name: str, fault: Callable[[], None], users: int = USERS
) -> tuple[LoadReport, Path]:
    """The load for LOAD_SECONDS with ``fault`` after FAULT_AFTER; then every check."""
    services = deployment.backend.services
    note = save_checkpoint(services)
    workdir = deployment.workdir / name
    record = workdir / "answered.jsonl"
    run = start_load(
        deployment.topology.base,
        workdir,
        users=users,
        seconds=LOAD_SECONDS,
        signed_pdf=deployment.signed_pdf,
        record=record,
    )
    try:
        time.sleep(FAULT_AFTER)
        fault()
    finally:
        report = run.wait()
    print(f"\n{name}:\n{report.table()}")
    assert report.total.requests > 100, report.table()
    assert missing_writes(services, record) == []
    assert missing_objects(services) == []
    assert register_problems(services, note) == []
    return report, record


def _login(client: httpx.Client, base: str, username: str = "ministra") -> dict[str, str]:
    token = client.post(
        f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_kill_an_app_process(deployment: Deployment) -> None:
    topology = deployment.topology

    def fault() -> None:
        topology.apps[0].managed.kill()
        time.sleep(10)
        topology.restart_app(0)

    report, _ = _under_load(deployment, "app", fault)
    # HAProxy retries what never reached a process; the rest was refused, not lost.
    assert report.total.failures <= report.total.requests * 0.05, report.table()


def test_kill_the_worker_in_the_middle_of_a_batch_of_200(deployment: Deployment) -> None:
    topology, base = deployment.topology, deployment.topology.base
    services = deployment.backend.services
    client = httpx.Client(timeout=120)
    headers = _login(client, base, "viceministro")
    documents = []
    for n in range(BATCH):
        created = client.post(
            f"{base}/api/v1/documents",
            headers=headers,
            data={"doc_type": "letter", "title": f"Oficio {n}"},
            files={"file": ("o.pdf", unique_pdf(f"Oficio {n}"), "application/pdf")},
        )
        assert created.status_code == 201, created.text
        documents.append(str(created.json()["id"]))
    made = client.post(
        f"{base}/api/v1/batches",
        headers=headers,
        json={"items": [{"document_id": d} for d in documents], "pin": DEMO_PIN},
    )
    assert made.status_code == 202, made.text
    batch_id = made.json()["id"]

    def progress() -> dict[str, object]:
        answer = client.get(f"{base}/api/v1/batches/{batch_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        state: dict[str, object] = answer.json()
        return state

    done_at_kill: list[object] = []

    def fault() -> None:
        _wait(lambda: int(str(progress()["done"])) >= 20, 120, "20 documents signed")
        topology.workers[0].kill()
        done_at_kill.append(progress()["done"])
        topology.restart_worker(0)

    _under_load(deployment, "worker", fault, users=USERS // 2)
    # The key was sealed to the killed worker alone: the batch is found interrupted, and
    # its owner resumes it with her PIN, as the batch's page asks her to.
    _wait(lambda: progress()["status"] in ("interrupted", "finished"), 180, "the batch stopped")
    if progress()["status"] == "interrupted":
        resumed = client.post(
            f"{base}/api/v1/batches/{batch_id}/resume", headers=headers, json={"pin": DEMO_PIN}
        )
        assert resumed.status_code == 202, resumed.text
    _wait(lambda: progress()["status"] == "finished", 300, "the batch finished")
    final = progress()
    assert final["done"] == BATCH, final
    print(f"worker killed with {done_at_kill} of {BATCH} signed; then {final['status']}")
    ids = [uuid.UUID(d) for d in documents]
    with services.sessions() as db:
        signatures = dict(
            db.execute(
                select(SignatureRecord.document_id, func.count())
                .where(SignatureRecord.document_id.in_(ids))
                .group_by(SignatureRecord.document_id)
            ).all()
        )
        versions = dict(
            db.execute(
                select(DocumentVersion.document_id, func.max(DocumentVersion.number))
                .where(DocumentVersion.document_id.in_(ids))
                .group_by(DocumentVersion.document_id)
            ).all()
        )
    assert {signatures.get(d, 0) for d in ids} == {1}, "every document signed exactly once"
    assert {versions[d] for d in ids} == {2}, "one signed version each, no more"
    assert missing_objects(services) == []
    client.close()


def test_kill_postgresql(deployment: Deployment) -> None:
    postgres = deployment.postgres

    def fault() -> None:
        postgres.kill()
        time.sleep(5)
        postgres.restart()

    _under_load(deployment, "postgresql", fault)
    # Every part reconnects by itself: the balancer still answers, and a write works.
    with httpx.Client(timeout=60) as client:
        headers = _login(client, deployment.topology.base)
        created = client.post(
            f"{deployment.topology.base}/api/v1/documents",
            headers=headers,
            data={"doc_type": "letter", "title": "Después de PostgreSQL"},
            files={"file": ("d.pdf", unique_pdf("Después"), "application/pdf")},
        )
        assert created.status_code == 201, created.text


def test_kill_a_volume_server(deployment: Deployment) -> None:
    cluster = deployment.topology.cluster

    def fault() -> None:
        cluster.kill_volume(1)
        time.sleep(20)
        cluster.restart_volume(1)

    _under_load(deployment, "volume", fault)
