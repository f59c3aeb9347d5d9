"""Batch signing through the API: one PIN entry signs documents, a dossier and a signing
line on the job runner's warm processes; each item reports its own result, a failed item
leaves the others signed, a wrong PIN makes no job, and only the job's owner can follow
it. Runners in processes of their own, killed part-way: tests/api/test_batch_workers.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from docsvc.models.batches import BatchJob
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

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
