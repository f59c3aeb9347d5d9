"""Registry and legal staff's pages over HTTP: register a document incoming, send it on
with the transfer dialog (signed note, deadline in business days), and read the case's
history as a timeline, with the details the register's leaves commit to."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"registry-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_register_transfer_and_read_the_case(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    created = client.post(
        "/api/v1/documents",
        headers=auth("juridico"),
        data={"doc_type": "letter", "title": "Oficio de la Procuraduría 77"},
        files={"file": ("o.pdf", unique_pdf("Oficio 77"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    document = created.json()["id"]

    clerk = browser_as("registro")
    page = clerk.get("/registro")
    assert page.status_code == 200 and "Registrar un documento" in page.text
    assert f'<option value="{document}"' in page.text
    token = csrf_of(page.text)
    # A missing subject: the form comes back, filled in, with the reason.
    refused = clerk.post(
        "/registro",
        data={
            "csrf_token": token,
            "direction": "incoming",
            "document_id": document,
            "subject": "",
            "counterpart": "Procuraduría General del Estado",
        },
    )
    assert refused.status_code == 400 and "Revise los campos" in refused.text
    assert 'value="Procuraduría General del Estado"' in refused.text
    forged = clerk.post("/registro", data={"direction": "incoming", "subject": "x"})
    assert forged.status_code == 403
    done = clerk.post(
        "/registro",
        data={
            "csrf_token": token,
            "direction": "incoming",
            "document_id": document,
            "subject": "Solicita expediente laboral",
            "counterpart": "Procuraduría General del Estado",
            "document_date": "2026-11-20",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/registro?hecho=registered"
    listed = clerk.get(done.headers["location"]).text
    assert "Documento registrado." in listed
    number = re.search(r"DAJ-E-\d{4}-\d{6}", listed)
    assert number, listed
    case = re.search(r'href="/casos/([0-9a-f-]+)"', listed)
    assert case

    legal = browser_as("juridico")
    dialog = legal.get(f"/documentos/{document}/transferir")
    assert dialog.status_code == 200 and "Oficio de la Procuraduría 77" in dialog.text
    assert '<option value="DAJ"' not in dialog.text  # not to one's own department
    fields = {
        "csrf_token": csrf_of(dialog.text),
        "to_department": "DRH",
        "purpose": "action",
        "deadline_days": "5",
        "instructions": "Remitir el expediente laboral del servidor.",
    }
    wrong = legal.post(f"/documentos/{document}/transferir", data={**fields, "pin": "0000"})
    assert wrong.status_code == 403 and "PIN incorrecto." in wrong.text
    assert "Remitir el expediente laboral del servidor." in wrong.text  # kept
    sent = legal.post(
        f"/documentos/{document}/transferir",
        data={**fields, "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/bandeja?hecho=sent"

    timeline = clerk.get(f"/casos/{case.group(1)}")
    assert timeline.status_code == 200
    text = _text(timeline.text)
    assert "Historia del caso" in text
    assert "Asiento de registro" in text and number.group(0) in text
    assert "Solicita expediente laboral" in text  # a detail the leaf commits to
    assert "Transferencia con nota firmada" in text and "DAJ → DRH" in text
    assert "Remitir el expediente laboral del servidor." in text
    # Another department's official, not in the case, is not shown it.
    outsider = browser_as("financiero")
    assert "No existe ese caso." in outsider.get(f"/casos/{case.group(1)}").text
