"""Sealing a dossier: the signature that completes a signing line over a dossier signs a
generated index listing each document's version and sha256, which seals the dossier's
composition; signing the dossier again makes a new index version."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.holdings import holdings
from tests.support.jobs import wait_for_seal
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"seal-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _dossier(client: TestClient, headers: dict[str, str]) -> dict:
    listing = client.get("/api/v1/dossiers", headers=headers).json()
    (match,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    detail: dict = client.get(f"/api/v1/dossiers/{match['id']}", headers=headers).json()
    return detail


def _sign_dossier(client: TestClient, backend: Backend, auth: Auth, dossier_id: str) -> dict:
    created = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={
            "dossier_id": dossier_id,
            "level": "B-LT",
            "steps": [
                {"role_label": "prepared", "signers": [{"user": "preparador"}]},
                {"role_label": "reviewed", "signers": [{"position": "DF:DIR-DF"}]},
            ],
        },
    )
    assert created.status_code == 201, created.text
    line_id = created.json()["id"]
    for user in ("preparador", "financiero"):
        response = client.post(
            f"/api/v1/signing-lines/{line_id}/sign", headers=auth(user), json={"pin": DEMO_PIN}
        )
        assert response.status_code == 200, response.text
    line: dict = response.json()
    assert line["status"] == "signed"
    # The signatures are recorded; a job makes and signs the index.
    pending = client.get(f"/api/v1/dossiers/{dossier_id}", headers=auth("financiero")).json()
    assert pending["seal_status"] in ("queued", "running", "sealed"), pending
    job = wait_for_seal(backend.services.sessions, dossier_id)
    assert job.kind == "dossier.seal" and job.queue == "signing"
    assert pending["seal_job_id"] == str(job.id)
    # Its owner, the official who completed the line, follows it through the API.
    read = client.get(f"/api/v1/jobs/{job.id}", headers=auth("financiero")).json()
    assert read["state"] == "succeeded" and read["result"]["sealed"] is True, read
    return line


def _check_index(
    client: TestClient, backend: Backend, auth: Auth, dossier: dict, tmp_path: Path, version: int
) -> str:
    index_id = dossier["sealed_index_id"]
    document = client.get(f"/api/v1/documents/{index_id}", headers=auth("preparador")).json()
    assert document["doc_type"] == "other"
    assert document["title"] == f"Índice — {PAYMENT_DOSSIER_TITLE}"
    assert document["latest_version"]["number"] == version
    pdf = tmp_path / f"index-v{version}.pdf"
    pdf.write_bytes(
        client.get(f"/api/v1/documents/{index_id}/content", headers=auth("preparador")).content
    )
    report = verify(pdf, VerificationPolicy([backend.root_der()])).report
    assert report.verdict == "valid", report.as_json()
    assert len(report.signatures) == 1
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Índice del expediente" in text
    assert re.search(rf"Versión del índice\s+{version}\b", text)
    for item in dossier["items"]:
        assert item["title"] in " ".join(text.split())
        assert item["sha256"] in text
    return text


def _register(client: TestClient, auth: Auth, direction: str, **target: str) -> dict:
    response = client.post(
        "/api/v1/register/entries",
        headers=auth("preparador"),  # also DPS's registry clerk
        json={"direction": direction, "subject": "Pago", "counterpart": "Finanzas"} | target,
    )
    assert response.status_code == 201, response.text
    entry: dict = response.json()
    return entry


def test_a_completed_line_seals_the_dossier(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    dossier = _dossier(client, auth("preparador"))
    assert dossier["sealed_index_id"] is None and dossier["sealed_at"] is None
    before_versions = {i["document_id"]: i["latest_version"] for i in dossier["items"]}
    # The dossier goes out to Finance; its first document came in from there; the second
    # was registered by mistake and annulled, so its number is not listed.
    first, second, _ = (i["document_id"] for i in dossier["items"])
    outgoing = _register(client, auth, "outgoing", dossier_id=dossier["id"])
    incoming = _register(client, auth, "incoming", document_id=first)
    mistaken = _register(client, auth, "incoming", document_id=second)
    annulled = client.post(
        f"/api/v1/register/entries/{mistaken['id']}/annul",
        headers=auth("preparador"),
        json={"reason": "Registrado por error"},
    )
    assert annulled.status_code == 200, annulled.text

    _sign_dossier(client, backend, auth, dossier["id"])
    sealed = _dossier(client, auth("preparador"))
    assert sealed["sealed_index_id"] is not None and sealed["sealed_at"] is not None
    assert sealed["seal_status"] == "sealed"
    # The index lists the versions the line just made (two signatures each).
    for item in sealed["items"]:
        assert item["latest_version"] == before_versions[item["document_id"]] + 2
    # The index is not an item of the dossier it describes.
    assert sealed["sealed_index_id"] not in {i["document_id"] for i in sealed["items"]}
    first_text = _check_index(client, backend, auth, sealed, tmp_path, 1)
    assert sealed["title"] in " ".join(first_text.split())  # a long title wraps in its cell
    assert re.search(  # the label wraps in its cell
        rf"Número de registro del\s+{re.escape(outgoing['number'])}\s+expediente", first_text
    )
    # Each document's number, in the dossier's order (an annulled entry left out).
    numbers = re.findall(r"^\s*Número de registro\s{2,}(\S+)\s*$", first_text, re.M)
    assert numbers == [incoming["number"], "—", "—"], numbers
    assert mistaken["number"] not in first_text

    # The composition is sealed: nothing can be added, and nothing changes.
    extra = client.post(
        "/api/v1/documents",
        headers=auth("preparador"),
        data={"doc_type": "report", "title": "Informe tardío"},
        files={"file": ("i.pdf", unique_pdf("Informe tardío"), "application/pdf")},
    )
    assert extra.status_code == 201, extra.text
    before = holdings(backend)
    refused = client.post(
        f"/api/v1/dossiers/{sealed['id']}/items",
        headers=auth("preparador"),
        json={"document_id": extra.json()["id"]},
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "dossier_sealed"
    assert holdings(backend) == before
    assert _dossier(client, auth("preparador"))["items"] == sealed["items"]

    # Signing the dossier again makes a new index version listing the new hashes.
    _sign_dossier(client, backend, auth, sealed["id"])
    resealed = _dossier(client, auth("preparador"))
    assert resealed["sealed_index_id"] == sealed["sealed_index_id"]
    assert resealed["sealed_at"] >= sealed["sealed_at"]
    old_hashes = {i["sha256"] for i in sealed["items"]}
    assert not old_hashes & {i["sha256"] for i in resealed["items"]}
    second_text = _check_index(client, backend, auth, resealed, tmp_path, 2)
    assert not any(h in second_text for h in old_hashes)

    events = client.get(
        "/api/v1/audit/events",
        headers=auth("auditora"),
        params={"action": "dossier.seal", "object_id": sealed["id"]},
    )
    assert events.status_code == 200, events.text
    seals = events.json()["items"]
    assert len(seals) == 2
    assert {e["details"]["index_version"] for e in seals} == {1, 2}


def test_with_no_job_runner_alive_the_signature_stands_and_the_seal_waits_for_a_pin(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    """No runner can take the official's key: her signature is recorded and the line
    completes, the dossier's documents are frozen, and she (or her department) seals it
    later with her PIN."""
    preparer = auth("preparador")
    dossier = client.post(
        "/api/v1/dossiers", headers=preparer, json={"title": "Expediente sin trabajador"}
    ).json()
    document = client.post(
        "/api/v1/documents",
        headers=preparer,
        data={"doc_type": "report", "title": "Informe del expediente sin trabajador"},
        files={"file": ("i.pdf", unique_pdf("sin trabajador"), "application/pdf")},
    ).json()
    added = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=preparer,
        json={"document_id": document["id"]},
    )
    assert added.status_code == 201, added.text
    line = client.post(
        "/api/v1/signing-lines",
        headers=preparer,
        json={"dossier_id": dossier["id"], "steps": [{"signers": [{"user": "preparador"}]}]},
    ).json()
    # The same institution, as a process whose job runners all look gone (none was seen
    # within its stale period of zero seconds; model_copy skips the settings' bounds).
    lonely_settings = backend.settings.model_copy(update={"job_stale_seconds": 0.0})
    lonely = TestClient(create_app(lonely_settings, backend.services))  # no lifespan
    signed = lonely.post(
        f"/api/v1/signing-lines/{line['id']}/sign", headers=preparer, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed"

    waiting = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=preparer).json()
    assert waiting["seal_status"] == "needs_pin" and waiting["seal_job_id"] is None
    assert waiting["sealed_index_id"] is None
    assert waiting["items"][0]["latest_version"] == 2  # her signature stands
    late = client.post(
        "/api/v1/documents",
        headers=preparer,
        data={"doc_type": "report", "title": "Informe que llega tarde"},
        files={"file": ("i.pdf", unique_pdf("tarde"), "application/pdf")},
    ).json()
    frozen = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=preparer,
        json={"document_id": late["id"]},
    )
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "dossier_sealing"

    # Still no runner: asking again says so, and changes nothing.
    refused = lonely.post(
        f"/api/v1/dossiers/{dossier['id']}/seal", headers=preparer, json={"pin": DEMO_PIN}
    )
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "no_job_worker"
    # An official of another department may not; a wrong PIN is refused.
    outsider = client.post(
        f"/api/v1/dossiers/{dossier['id']}/seal", headers=auth("rrhh"), json={"pin": DEMO_PIN}
    )
    assert outsider.status_code in (403, 404), outsider.text
    wrong = client.post(
        f"/api/v1/dossiers/{dossier['id']}/seal", headers=preparer, json={"pin": "000000"}
    )
    assert wrong.status_code in (400, 401, 403), wrong.text

    # With the runner of this module's application alive, her PIN seals it.
    again = client.post(
        f"/api/v1/dossiers/{dossier['id']}/seal", headers=preparer, json={"pin": DEMO_PIN}
    )
    assert again.status_code == 200, again.text
    assert again.json()["seal_status"] in ("queued", "running", "sealed")
    job = wait_for_seal(backend.services.sessions, dossier["id"])
    sealed = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=preparer).json()
    assert sealed["seal_status"] == "sealed" and sealed["seal_job_id"] == str(job.id)
    index = tmp_path / "index.pdf"
    index.write_bytes(
        client.get(
            f"/api/v1/documents/{sealed['sealed_index_id']}/content", headers=preparer
        ).content
    )
    report = verify(index, VerificationPolicy([backend.root_der()])).report
    assert report.verdict == "valid", report.as_json()
    text = subprocess.run(
        ["pdftotext", "-layout", str(index), "-"], check=True, capture_output=True, text=True
    ).stdout
    # It lists the version her signature made.
    assert sealed["items"][0]["sha256"] in text
    # And the documents are frozen by the seal itself now.
    after = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=preparer,
        json={"document_id": late["id"]},
    )
    assert after.status_code == 409 and after.json()["error"]["code"] == "dossier_sealed"
