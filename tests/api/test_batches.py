"""Batch signing through the API: one PIN entry signs documents, a dossier and a signing
line in worker processes; each item reports its own result, a failed item leaves the others
signed, a wrong PIN makes no job, and only the job's owner can follow it."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient

from docsvc.batches import service as batch_service
from docsvc.batches.schemas import BatchIn
from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from docsvc.models.batches import BatchJob
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf
from tests.support.register import actor_of

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"batch-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _upload(client: TestClient, headers: dict[str, str], title: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "report", "title": title},
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _line(client: TestClient, headers: dict[str, str], doc_id: str, signer: str) -> str:
    created = client.post(
        "/api/v1/signing-lines",
        headers=headers,
        json={"document_id": doc_id, "steps": [{"signers": [{"user": signer}]}]},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _dossier_id(client: TestClient, headers: dict[str, str]) -> str:
    listing = client.get("/api/v1/dossiers", headers=headers).json()
    (match,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    return str(match["id"])


def _wait(client: TestClient, headers: dict[str, str], job_id: str) -> dict:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/batches/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict = response.json()
        assert body["done"] + body["failed"] <= body["total"]
        if body["status"] in ("finished", "failed", "interrupted"):
            return body
        time.sleep(0.25)
    raise AssertionError("the batch job did not finish")


def test_one_pin_signs_many_items_and_a_bad_item_fails_alone(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    me = auth("preparador")
    documents = [_upload(client, me, f"Informe por lote {n}") for n in range(10)]
    line = _line(client, me, _upload(client, me, "Informe con línea"), "preparador")
    cancelled = _line(client, me, _upload(client, me, "Informe cancelado"), "preparador")
    assert client.post(f"/api/v1/signing-lines/{cancelled}/cancel", headers=me).status_code == 200
    dossier = _dossier_id(client, me)
    # The dossier holds Finance's budget certificate: Finance sends it to Social Programmes
    # for signature, as signing another department's document requires.
    detail = client.get(f"/api/v1/dossiers/{dossier}", headers=me).json()
    (certificate,) = [
        i["document_id"] for i in detail["items"] if i["title"].startswith("Certificación")
    ]
    sent = client.post(
        "/api/v1/transfers",
        headers=auth("financiero"),
        json={"document_id": certificate, "to_department": "DPS", "purpose": "signature",
              "pin": DEMO_PIN},
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    items = [{"document_id": d} for d in documents]
    items += [{"line_id": line}, {"line_id": cancelled}, {"dossier_id": dossier}]

    started = client.post(
        "/api/v1/batches", headers=me, json={"items": items, "pin": DEMO_PIN, "level": "B-LT"}
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    assert started.json()["total"] == 13

    # Only the official who started it can follow it.
    assert client.get(f"/api/v1/batches/{job_id}", headers=auth("financiero")).status_code == 404

    job = _wait(client, me, job_id)
    assert job["status"] == "finished", job
    assert (job["done"], job["failed"]) == (12, 1), job
    by_position = {i["position"]: i for i in job["items"]}
    failed = by_position[12]
    assert failed["status"] == "failed" and failed["error_code"] == "line_cancelled", failed
    assert failed["target"] == {"kind": "line", "id": cancelled}
    assert by_position[13]["target"]["kind"] == "dossier"
    assert len(by_position[13]["versions"]) == 3
    for position in range(1, 12):
        assert by_position[position]["status"] == "signed", by_position[position]
        assert by_position[position]["error_code"] is None
    assert by_position[1]["versions"] == [f"{documents[0]}:2"]

    line_after = client.get(f"/api/v1/signing-lines/{line}", headers=me).json()
    assert line_after["status"] == "signed", line_after

    root = backend.root_der()
    for doc_id in documents:
        response = client.get(f"/api/v1/documents/{doc_id}/content", headers=me)
        assert response.status_code == 200
        path = tmp_path / f"{doc_id}.pdf"
        path.write_bytes(response.content)
        report = verify(path, VerificationPolicy([root])).report
        assert report.verdict == "valid", report.as_json()
        (signature,) = report.signatures
        assert signature.level == "B-LT"
        assert "Sofía Castillo" in signature.signer.name


def test_a_wrong_pin_makes_no_job(client: TestClient, backend: Backend, auth: Auth) -> None:
    me = auth("preparador")
    doc_id = _upload(client, me, "Informe con PIN equivocado")
    with backend.services.sessions() as db:
        before = db.query(BatchJob).count()
    refused = client.post(
        "/api/v1/batches",
        headers=me,
        json={"items": [{"document_id": doc_id}], "pin": "0000"},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "wrong_pin"
    with backend.services.sessions() as db:
        assert db.query(BatchJob).count() == before
    document = client.get(f"/api/v1/documents/{doc_id}", headers=me).json()
    assert [v["number"] for v in document["versions"]] == [1]


def test_bad_batches_are_refused(client: TestClient, auth: Auth) -> None:
    me = auth("preparador")
    doc_id = _upload(client, me, "Informe para lote grande")
    too_many = client.post(
        "/api/v1/batches",
        headers=me,
        json={"items": [{"document_id": doc_id}] * 501, "pin": DEMO_PIN},
    )
    assert too_many.status_code in (400, 422), too_many.text
    two_targets = client.post(
        "/api/v1/batches",
        headers=me,
        json={"items": [{"document_id": doc_id, "line_id": doc_id}], "pin": DEMO_PIN},
    )
    assert two_targets.status_code in (400, 422), two_targets.text
    unknown = client.get("/api/v1/batches/00000000-0000-0000-0000-000000000000", headers=me)
    assert unknown.status_code == 404


# A separate process that runs one job, as the service's background thread would.
_RUNNER = """
import pickle, sys, uuid
from docsvc.batches.service import run_job
from docsvc.composition import build_services
settings, job_id, actor, pin = pickle.loads(open(sys.argv[1], "rb").read())
services = build_services(settings)
run_job(services, job_id, actor, pin)
"""


def test_a_job_cut_short_by_a_restart_is_resumed_with_the_pin(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    """The process running a job is killed (SIGKILL) part-way: its worker processes end
    themselves, so no unlocked key outlives it; the job is then found interrupted, and its
    owner resumes it with the PIN. Items already signed are not signed again."""
    me = auth("preparador")
    documents = [_upload(client, me, f"Informe reiniciado {n}") for n in range(12)]
    items = [{"document_id": d} for d in documents]
    actor = actor_of(backend, "preparador")
    with backend.services.sessions() as db:
        created = batch_service.create_job(
            db,
            backend.services,
            actor,
            BatchIn.model_validate({"items": items, "pin": DEMO_PIN, "visible": False}),
        )
        db.commit()
    job_id = str(created.id)
    arguments = tmp_path / "job.pickle"
    arguments.write_bytes(pickle.dumps((backend.settings, created.id, actor, DEMO_PIN)))
    runner = subprocess.Popen([sys.executable, "-c", _RUNNER, str(arguments)])
    try:
        deadline = time.monotonic() + 180
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline:
            job = client.get(f"/api/v1/batches/{job_id}", headers=me).json()
            workers = psutil.Process(runner.pid).children(recursive=True) or workers
            if job["done"] >= 2:
                break
            assert runner.poll() is None, "the runner ended before it was killed"
            time.sleep(0.05)
        else:
            raise AssertionError("the job made no progress")
        runner.kill()
        runner.wait(30)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert workers, "the job should have had worker processes"
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, "a worker holding the key outlived the job's process"

    cut = client.get(f"/api/v1/batches/{job_id}", headers=me).json()
    assert cut["status"] == "running" and cut["visible"] is False
    signed_before = {i["position"] for i in cut["items"] if i["status"] == "signed"}
    assert 2 <= len(signed_before) < 12, cut
    # Not yet stale: a job whose process may still be alive is left alone.
    assert batch_service.interrupt_stale_jobs(backend.services) == 0
    assert batch_service.interrupt_stale_jobs(backend.services, stale_after=timedelta(0)) >= 1
    interrupted = client.get(f"/api/v1/batches/{job_id}", headers=me).json()
    assert interrupted["status"] == "interrupted" and interrupted["error"]

    # Only its owner, with the right PIN.
    other = client.post(
        f"/api/v1/batches/{job_id}/resume", headers=auth("financiero"), json={"pin": DEMO_PIN}
    )
    assert other.status_code == 404
    wrong = client.post(f"/api/v1/batches/{job_id}/resume", headers=me, json={"pin": "0000"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_pin"
    assert client.get(f"/api/v1/batches/{job_id}", headers=me).json()["status"] == "interrupted"

    resumed = client.post(f"/api/v1/batches/{job_id}/resume", headers=me, json={"pin": DEMO_PIN})
    assert resumed.status_code == 202, resumed.text
    job = _wait(client, me, job_id)
    assert job["status"] == "finished" and (job["done"], job["failed"]) == (12, 0), job
    again = client.post(f"/api/v1/batches/{job_id}/resume", headers=me, json={"pin": DEMO_PIN})
    assert again.status_code == 409 and again.json()["error"]["code"] == "batch_not_interrupted"
    for doc_id in documents:
        document = client.get(f"/api/v1/documents/{doc_id}", headers=me).json()
        # One signature each: none lost, none signed twice across the restart.
        assert [v["number"] for v in document["versions"]] == [1, 2], document
