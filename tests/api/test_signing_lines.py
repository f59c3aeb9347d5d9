"""Signing lines through the API: scenario B's payment dossier signed in three steps, with a
rejection and resubmission and a stand-in; and every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.holdings import holdings
from tests.support.jobs import wait_for_seal
from tests.support.pdfs import unique_pdf
from tests.support.pdfsig import PDFSIG_AVAILABLE, pdfsig_output

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"lines-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _dossier(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    listing = client.get("/api/v1/dossiers", headers=headers).json()
    (match,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    detail: dict[str, object] = client.get(
        f"/api/v1/dossiers/{match['id']}", headers=headers
    ).json()
    return detail


def _sign(client: TestClient, auth: Auth, user: str, line_id: str, pin: str = DEMO_PIN) -> dict:
    response = client.post(
        f"/api/v1/signing-lines/{line_id}/sign", headers=auth(user), json={"pin": pin}
    )
    assert response.status_code == 200, response.text
    result: dict = response.json()
    return result


def test_scenario_b_payment_dossier(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    dossier = _dossier(client, auth("preparador"))
    items = dossier["items"]
    assert isinstance(items, list) and len(items) == 3
    # Registered as outgoing to Finance: the sealed index carries its registry number.
    registered = client.post(
        "/api/v1/register/entries",
        headers=auth("preparador"),
        json={
            "direction": "outgoing",
            "dossier_id": dossier["id"],
            "subject": "Expediente de pago",
            "counterpart": "Dirección Financiera",
        },
    )
    assert registered.status_code == 201, registered.text
    registry_number = registered.json()["number"]
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    created = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={
            "dossier_id": dossier["id"],
            "level": "B-LT",
            "steps": [
                {"role_label": "prepared", "signers": [{"user": "preparador"}]},
                {
                    "role_label": "reviewed",
                    "signers": [{"position": "DF:DIR-DF"}],
                    "deadline": deadline,
                },
                {"role_label": "approved", "signers": [{"position": "DVM:VMIN"}]},
            ],
        },
    )
    assert created.status_code == 201, created.text
    line = created.json()
    line_id = line["id"]
    assert line["status"] == "in_signature" and line["current_step"] == 1

    # Out of turn, and not a signer at all: refused, nothing changes.
    before = holdings(backend)
    early = client.post(
        f"/api/v1/signing-lines/{line_id}/sign", headers=auth("financiero"), json={"pin": DEMO_PIN}
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_your_turn"
    stranger = client.post(
        f"/api/v1/signing-lines/{line_id}/sign", headers=auth("rrhh"), json={"pin": DEMO_PIN}
    )
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "not_a_signer"
    wrong_pin = client.post(
        f"/api/v1/signing-lines/{line_id}/sign", headers=auth("preparador"), json={"pin": "0000"}
    )
    assert wrong_pin.status_code == 403 and wrong_pin.json()["error"]["code"] == "wrong_pin"
    assert holdings(backend) == before

    assert _sign(client, auth, "preparador", line_id)["current_step"] == 2
    twice = client.post(
        f"/api/v1/signing-lines/{line_id}/sign", headers=auth("preparador"), json={"pin": DEMO_PIN}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_signed"

    # The financial director's inbox shows it, by deadline; he rejects it.
    awaiting = client.get("/api/v1/inbox", headers=auth("financiero")).json()
    assert [e["line"]["id"] for e in awaiting] == [line_id]
    assert awaiting[0]["deadline"] is not None and not awaiting[0]["overdue"]
    rejected = client.post(
        f"/api/v1/signing-lines/{line_id}/reject",
        headers=auth("financiero"),
        json={"reason": "Falta la firma del analista en la lista"},
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    notes = client.get("/api/v1/inbox/notifications", headers=auth("preparador")).json()
    (returned,) = [n for n in notes if n["kind"] == "rejected" and n["line_id"] == line_id]
    # Stored as parameters, worded in the reader's language when read.
    assert returned["params"]["reason"] == "Falta la firma del analista en la lista"
    assert " devolvió «" in returned["message"]
    assert returned["message"].endswith(": Falta la firma del analista en la lista")
    english = client.get("/api/v1/inbox/notifications?lang=en", headers=auth("preparador")).json()
    (in_english,) = [n for n in english if n["id"] == returned["id"]]
    assert " returned «" in in_english["message"] and "devolvió" not in in_english["message"]

    # The preparer corrects and resubmits; the line starts again.
    again = client.post(f"/api/v1/signing-lines/{line_id}/resubmit", headers=auth("preparador"))
    assert again.status_code == 200 and again.json()["round"] == 2
    _sign(client, auth, "preparador", line_id)
    _sign(client, auth, "financiero", line_id)

    # The vice-minister is away: the social programmes director stands in for him.
    today = dt.date.today()
    named = client.post(
        "/api/v1/stand-ins",
        headers=auth("viceministro"),
        json={"substitute": "programas", "starts_on": str(today), "ends_on": str(today)},
    )
    assert named.status_code == 201, named.text
    done = _sign(client, auth, "programas", line_id)
    assert done["status"] == "signed"
    last = done["steps"][2]["signers"][0]
    assert last["signed_by"] == "programas" and last["on_behalf_of"] == "viceministro"

    # Every document carries four valid signatures: the preparer's of the rejected round,
    # then the preparer's, the financial director's and the stand-in's.
    for index, item in enumerate(items):
        assert isinstance(item, dict)
        signed = tmp_path / f"doc{index}.pdf"
        signed.write_bytes(
            client.get(
                f"/api/v1/documents/{item['document_id']}/content", headers=auth("preparador")
            ).content
        )
        report = verify(signed, VerificationPolicy([backend.root_der()])).report
        assert report.verdict == "valid", report.as_json()
        assert len(report.signatures) == 4
        assert "Miguel Torres" in report.signatures[-1].signer.name
        assert (
            "signed by Miguel Torres as stand-in for Carlos Méndez (Viceministro)"
            in report.signatures[-1].reasons
        )
        if PDFSIG_AVAILABLE:
            out = pdfsig_output(signed, backend.settings.pki_dir / "root.pem", tmp_path)
            assert out.count("Signature is Valid.") == 4, out

    # The last signature sealed the dossier: its index, signed by the stand-in, lists each
    # document's final version and sha256, and the dossier's registry number.
    wait_for_seal(backend.services.sessions, dossier["id"])
    sealed = _dossier(client, auth("preparador"))
    index_id = sealed["sealed_index_id"]
    assert index_id is not None
    index_pdf = tmp_path / "index.pdf"
    index_pdf.write_bytes(
        client.get(f"/api/v1/documents/{index_id}/content", headers=auth("preparador")).content
    )
    report = verify(index_pdf, VerificationPolicy([backend.root_der()])).report
    assert report.verdict == "valid", report.as_json()
    assert "Miguel Torres" in report.signatures[0].signer.name
    text = subprocess.run(
        ["pdftotext", "-layout", str(index_pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(  # the label wraps in its cell of the index's table
        rf"Número de registro del\s+{re.escape(registry_number)}\s+expediente", text
    )
    sealed_items = sealed["items"]
    assert isinstance(sealed_items, list)
    for item in sealed_items:
        assert item["sha256"] in text and item["latest_version"] == 5
    if PDFSIG_AVAILABLE:
        out = pdfsig_output(index_pdf, backend.settings.pki_dir / "root.pem", tmp_path)
        assert out.count("Signature is Valid.") == 1, out


def test_a_cancelled_line_cannot_be_signed(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    created = client.post(
        "/api/v1/documents",
        headers=auth("preparador"),
        data={"doc_type": "report", "title": "Informe para cancelar"},
        files={"file": ("i.pdf", unique_pdf("Informe para cancelar"), "application/pdf")},
    )
    doc_id = created.json()["id"]
    line = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={"document_id": doc_id, "steps": [{"signers": [{"user": "programas"}]}]},
    ).json()
    cancelled = client.post(
        f"/api/v1/signing-lines/{line['id']}/cancel", headers=auth("preparador")
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    before = holdings(backend)
    refused = client.post(
        f"/api/v1/signing-lines/{line['id']}/sign",
        headers=auth("programas"),
        json={"pin": DEMO_PIN},
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "line_cancelled"
    assert holdings(backend) == before
    not_requester = client.post(
        f"/api/v1/signing-lines/{line['id']}/cancel", headers=auth("programas")
    )
    assert not_requester.status_code in (403, 409)


def test_bad_lines_are_refused(client: TestClient, auth: Auth) -> None:
    dossier = _dossier(client, auth("preparador"))
    for steps, code in (
        ([{"signers": [{"user": "registro"}]}], "signer_not_official"),
        ([{"signers": [{"user": "nadie"}]}], "unknown_signer"),
        ([{"signers": [{"position": "DF:NOPE"}]}], "unknown_position"),
    ):
        response = client.post(
            "/api/v1/signing-lines",
            headers=auth("preparador"),
            json={"dossier_id": dossier["id"], "steps": steps},
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == code
    empty = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={"dossier_id": dossier["id"], "steps": []},
    )
    assert empty.status_code == 422
