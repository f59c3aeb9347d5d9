"""Registry and legal staff's pages over HTTP: register a document incoming, send it on
with the transfer dialog (signed note, deadline in business days), and read the case's
history as a timeline, with the details the register's leaves commit to."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from babel.dates import format_datetime
from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PIN
from signing.verification import VerificationPolicy, verify
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


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True
    ).stdout.decode()


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
    assert done.status_code == 303
    assert done.headers["location"].startswith("/registro?hecho=registered&asiento=")
    listed = clerk.get(done.headers["location"]).text
    assert "Documento registrado." in listed
    number = re.search(r"DAJ-E-\d{4}-\d{6}", listed)
    assert number, listed
    case = re.search(r'href="/casos/([0-9a-f-]+)"', listed)
    assert case

    legal = browser_as("juridico")
    dialog = legal.get(f"/documentos/{document}/remitir")
    assert dialog.status_code == 200 and "Oficio de la Procuraduría 77" in dialog.text
    assert '<option value="DAJ"' not in dialog.text  # not to one's own department
    fields = {
        "csrf_token": csrf_of(dialog.text),
        "to_department": "DRH",
        "purpose": "action",
        "deadline_days": "5",
        "instructions": "Remitir el expediente laboral del servidor.",
    }
    wrong = legal.post(f"/documentos/{document}/remitir", data={**fields, "pin": "0000"})
    assert wrong.status_code == 403 and "PIN incorrecto." in wrong.text
    assert "Remitir el expediente laboral del servidor." in wrong.text  # kept
    sent = legal.post(
        f"/documentos/{document}/remitir",
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
    assert "Remisión con oficio firmado" in text and "DAJ → DRH" in text
    assert "Remitir el expediente laboral del servidor." in text
    # HR, whom the transfer went to, reads its details too (not only registry staff).
    hr_timeline = _text(browser_as("rrhh").get(f"/casos/{case.group(1)}").text)
    assert "Remitir el expediente laboral del servidor." in hr_timeline
    # Another department's official, not in the case, is not shown it.
    outsider = browser_as("financiero")
    assert "No existe ese caso." in outsider.get(f"/casos/{case.group(1)}").text


def test_the_counter_receives_a_letter_and_prints_its_receipt(
    backend: Backend,
    client: TestClient,
    browser_as: Callable[[str], TestClient],
    tmp_path: Path,
) -> None:
    clerk = browser_as("registro")
    page = clerk.get("/registro")
    upload_form = page.text.split('action="/registro/nuevo"', 1)[1].split("</form>", 1)[0]
    for value in ("public", "internal", "confidential"):  # confidentiality is asked for
        assert f'<option value="{value}"' in upload_form
    fields = {
        "csrf_token": csrf_of(page.text),
        "direction": "incoming",
        "title": "Escrito de la Sra. Quispe",
        "doc_type": "request",
        "confidentiality": "confidential",
        "subject": "",
        "counterpart": "Rosa Quispe Mamani",
    }
    pdf = ("escrito.pdf", unique_pdf("Escrito de la Sra. Quispe"), "application/pdf")
    # An error keeps the upload form's own values, and leaves the other form empty.
    refused = clerk.post("/registro/nuevo", data=fields, files={"file": pdf})
    assert refused.status_code == 400
    first, second = refused.text.split('action="/registro/nuevo"', 1)
    assert 'value="Rosa Quispe Mamani"' in second and 'value="Rosa Quispe Mamani"' not in first
    assert '<option value="confidential" selected>' in second
    assert '<option value="request" selected>' in second

    done = clerk.post(
        "/registro/nuevo",
        data={**fields, "subject": "Solicita copia de su expediente"},
        files={"file": pdf},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    listed = clerk.get(done.headers["location"]).text
    number = re.search(r"Número de registro: (DAJ-E-\d{4}-\d{6})\.", listed)
    assert number, listed
    receipt_link = re.search(r'href="(/registro/[0-9a-f-]+/justificante\.pdf)"', listed)
    assert receipt_link

    receipt = clerk.get(receipt_link.group(1))
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    assert f"justificante-{number.group(1)}.pdf" in receipt.headers["content-disposition"]
    with pikepdf.open(io.BytesIO(receipt.content)) as pdf_file:
        assert pdf_file.open_metadata().pdfa_status == "2A"  # PDF/A-2, level A (tagged)
        assert pdf_file.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf_file.Root
        assert str(pdf_file.Root.Lang) == "es"
    text = _pdf_text(receipt.content)
    assert "Justificante de registro" in text and number.group(1) in text
    assert "Rosa Quispe Mamani" in text and "Solicita copia de su expediente" in text
    local = datetime.now(ZoneInfo(backend.settings.timezone))
    moment = format_datetime(local, "d 'de' MMMM 'de' y", locale="es")
    assert moment in text and "UTC" not in text  # local time, in words
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert code, text
    # The receipt carries the institution's seal: it verifies like any signed document.
    sealed = tmp_path / "justificante.pdf"
    sealed.write_bytes(receipt.content)
    report = verify(sealed, VerificationPolicy([backend.root_der()])).report
    assert report.verdict == "valid", report.as_json()
    # The code leads the person who delivered it to the registered document's page.
    with TestClient(client.app) as anonymous:
        landing = anonymous.get(f"/verificar/{code.group(0)}")
        assert landing.status_code == 200 and number.group(1) in landing.text
    # Only who may see the entry gets its receipt.
    outsider = browser_as("financiero")
    hidden = outsider.get(receipt_link.group(1), headers={"accept": "text/html"})
    assert hidden.status_code == 404


def test_the_transfer_dialogs_earlier_addresses_lead_to_the_new_ones(
    browser_as: Callable[[str], TestClient],
) -> None:
    """``/transferir`` and ``/transferencias`` were the first addresses: a bookmark or a
    form opened before the change still arrives, with its method and query."""
    legal = browser_as("juridico")
    document = "00000000-0000-0000-0000-000000000001"
    old = legal.get(f"/documentos/{document}/transferir?responde=x", follow_redirects=False)
    assert old.status_code == 308
    assert old.headers["location"] == f"/documentos/{document}/remitir?responde=x"
    answer = legal.post(f"/transferencias/{document}/responder", follow_redirects=False)
    assert answer.status_code == 308
    assert answer.headers["location"] == f"/remisiones/{document}/responder"
