"""Scenarios A and B (docs/architecture.md), driven in Debian's Chromium through Playwright,
each step by the person who does it, on the pages they would use. Only what has no page yet
(creating a signing line, a department's own working documents) is set up through the API.
Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN, PAYMENT_DOSSIER_TITLE
from tests.support.accounts import login
from tests.support.backends import Backend, build_backend
from tests.support.browser import Recorded, recorded, requires_chromium, screenshot
from tests.support.live_server import LiveServer, serve
from tests.support.pdfs import unique_pdf

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("scenarios"), request, pki=True)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def live(backend: Backend) -> Iterator[LiveServer]:
    yield from serve(backend)


@pytest.fixture(scope="module")
def api(backend: Backend, live: LiveServer) -> Iterator[TestClient]:
    settings = backend.settings.model_copy(update={"public_url": live.url})
    with TestClient(create_app(settings, backend.services)) as client:
        yield client


def _as(browser: Browser, live: LiveServer, username: str) -> tuple[Recorded, Page]:
    session = recorded(browser)
    page = session.page()
    page.goto(f"{live.url}/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/bandeja")
    return session, page


def _transfer(
    page: Page,
    live: LiveServer,
    document_id: str,
    *,
    to: str,
    purpose: str,
    instructions: str,
    days: str = "",
    reply: bool = False,
    case: str | None = None,
) -> None:
    page.goto(f"{live.url}/documentos/{document_id}/transferir")
    page.get_by_label("Unidad de destino").select_option(to)
    page.get_by_label("Propósito").select_option(purpose)
    if reply:
        page.get_by_label("En respuesta a").select_option(index=1)
    if case:
        page.get_by_label("Caso", exact=True).select_option(label=case)
    if days:
        page.get_by_label("Plazo (días hábiles)").fill(days)
    page.get_by_label("Instrucciones").fill(instructions)
    page.get_by_label("PIN de firma").fill(DEMO_PIN)
    page.get_by_role("button", name="Enviar con nota firmada").click()
    page.wait_for_url("**/bandeja?hecho=sent")


def _acknowledge(page: Page, live: LiveServer, instructions: str) -> None:
    page.goto(f"{live.url}/bandeja")
    item = page.locator("li.card", has_text=instructions)
    item.get_by_label("PIN de firma").fill(DEMO_PIN)
    item.get_by_role("button", name="Acusar recibo firmado").click()
    page.wait_for_url("**/bandeja?hecho=acknowledged")


def test_scenario_a_legal_request_with_a_deadline(
    browser: Browser, live: LiveServer, api: TestClient, tmp_path: Path
) -> None:
    letter_pdf = tmp_path / "oficio-procuraduria.pdf"
    letter_pdf.write_bytes(unique_pdf("Oficio de la Procuraduría General del Estado"))

    # The registry clerk receives the letter and registers it incoming.
    clerk_session, clerk = _as(browser, live, "registro")
    clerk.get_by_role("link", name="Registro").click()
    upload = clerk.locator("form[action='/registro/nuevo']")
    upload.get_by_label("Documento PDF").set_input_files(str(letter_pdf))
    upload.get_by_label("Título").fill("Oficio PGE-2026-0451")
    upload.get_by_label("Asunto").fill("Solicita el expediente laboral de un servidor")
    upload.get_by_label("Remitente o destinatario").fill("Procuraduría General del Estado")
    upload.get_by_role("button", name="Subir y registrar").click()
    clerk.wait_for_url("**/registro?hecho=registered&asiento=*")
    expect(clerk.get_by_role("status")).to_contain_text("Documento registrado.")
    row = clerk.locator("tr", has_text="Solicita el expediente laboral")
    number = row.locator("td.hash").inner_text()
    assert re.fullmatch(r"DAJ-E-\d{4}-\d{6}", number), number
    letter = re.search(
        r"/documentos/([0-9a-f-]+)/transferir",
        row.get_by_role("link", name="Remitir").get_attribute("href") or "",
    )
    assert letter
    letter_id = letter.group(1)
    case_href = row.get_by_role("link", name="Historia del caso").get_attribute("href")
    screenshot(clerk, "escenario-a-1-registro")

    # Legal sends it to HR for action in 5 business days, and to the Minister's Office.
    legal_session, legal = _as(browser, live, "juridico")
    _transfer(
        legal,
        live,
        letter_id,
        to="DRH",
        purpose="action",
        days="5",
        instructions="Remitir el expediente laboral del servidor demandante.",
    )
    _transfer(
        legal,
        live,
        letter_id,
        to="DM",
        purpose="action",
        instructions="Autorizar la respuesta a la Procuraduría.",
    )

    # HR acknowledges with a signed receipt and replies with the file.
    hr_session, hr = _as(browser, live, "rrhh")
    _acknowledge(hr, live, "Remitir el expediente laboral del servidor demandante.")
    hr_file = api.post(
        "/api/v1/documents",
        headers=login(api, "rrhh"),
        data={"doc_type": "report", "title": "Expediente laboral del servidor"},
        files={"file": ("e.pdf", unique_pdf("Expediente laboral"), "application/pdf")},
    ).json()["id"]
    _transfer(
        hr,
        live,
        hr_file,
        to="DAJ",
        purpose="reply",
        reply=True,
        instructions="Se remite el expediente laboral solicitado.",
    )
    screenshot(hr, "escenario-a-2-rrhh")

    # Legal acknowledges the reply, drafts the resolution and sends it for signature.
    _acknowledge(legal, live, "Se remite el expediente laboral solicitado.")
    resolution = api.post(
        "/api/v1/documents",
        headers=login(api, "juridico"),
        data={"doc_type": "resolution", "title": "Resolución de respuesta a la PGE"},
        files={"file": ("r.pdf", unique_pdf("Resolución"), "application/pdf")},
    ).json()["id"]
    case_label = f"{number} · Solicita el expediente laboral de un servidor"
    _transfer(
        legal,
        live,
        resolution,
        to="DM",
        purpose="signature",
        case=case_label,
        instructions="Para la firma de la señora Ministra.",
    )

    # The Minister acknowledges, signs on the document's page, and sends it back.
    minister_session, minister = _as(browser, live, "ministra")
    _acknowledge(minister, live, "Para la firma de la señora Ministra.")
    minister.goto(f"{live.url}/documentos/{resolution}")
    minister.get_by_label("PIN de firma").fill(DEMO_PIN)
    minister.get_by_role("button", name="Firmar ahora").click()
    minister.wait_for_url(f"**/documentos/{resolution}?hecho=signed")
    expect(minister.get_by_role("status")).to_contain_text("Firmado.")
    expect(minister.locator("main")).to_contain_text("Ana María Rojas")
    screenshot(minister, "escenario-a-3-firma-ministra")
    _transfer(
        minister,
        live,
        resolution,
        to="DAJ",
        purpose="reply",
        reply=True,
        instructions="Resolución firmada.",
    )

    # The clerk registers the signed resolution outgoing, and reads the case.
    clerk.goto(f"{live.url}/registro")
    existing = clerk.locator("form[action='/registro']")
    existing.get_by_label("Salida").check()
    existing.get_by_label("Documento", exact=True).select_option(resolution)
    existing.get_by_label("Asunto").fill("Respuesta a la Procuraduría General del Estado")
    existing.get_by_label("Remitente o destinatario").fill("Procuraduría General del Estado")
    existing.get_by_label("Caso", exact=True).select_option(label=case_label)
    existing.get_by_role("button", name="Registrar").click()
    clerk.wait_for_url("**/registro?hecho=registered&asiento=*")
    expect(clerk.locator("tr", has_text="Respuesta a la Procuraduría")).to_contain_text("DAJ-S-")
    clerk.goto(f"{live.url}{case_href}")
    timeline = clerk.locator("ol.timeline")
    expect(timeline).to_contain_text(number)
    expect(timeline).to_contain_text("Remitir el expediente laboral del servidor demandante.")
    # The whole case, in the register's order: the letter registered incoming, five signed
    # transfers and five receipts, the Minister's signature, the answer registered outgoing.
    assert timeline.locator("li.event-register-entry").count() == 2
    assert timeline.locator("li.event-transfer").count() == 5
    assert timeline.locator("li.event-receipt").count() == 3  # those acknowledged here
    expect(timeline.locator("li.event-document-signature")).to_contain_text("ministra")
    expect(timeline.locator("li.event-register-entry").last).to_contain_text("DAJ-S-")
    screenshot(clerk, "escenario-a-4-historia-del-caso")

    for session in (clerk_session, legal_session, hr_session, minister_session):
        assert all(url.startswith(live.url) for url in session.requests)
        session.context.close()


def test_scenario_b_payment_dossier(browser: Browser, live: LiveServer, api: TestClient) -> None:
    preparer = login(api, "preparador")
    dossier = next(
        d
        for d in api.get("/api/v1/dossiers", headers=preparer).json()["items"]
        if d["title"] == PAYMENT_DOSSIER_TITLE
    )
    line = api.post(
        "/api/v1/signing-lines",
        headers=preparer,
        json={
            "dossier_id": dossier["id"],
            "level": "B-LT",
            "steps": [
                {"role_label": "elaborado", "signers": [{"user": "preparador"}]},
                {"role_label": "revisado", "signers": [{"position": "DF:DIR-DF"}]},
                {"role_label": "aprobado", "signers": [{"position": "DVM:VMIN"}]},
            ],
        },
    )
    assert line.status_code == 201, line.text
    line_id = line.json()["id"]

    sessions = []
    for username in ("preparador", "financiero", "viceministro"):
        session, page = _as(browser, live, username)
        sessions.append(session)
        to_sign = page.locator("section[aria-labelledby='to-sign']")
        to_sign.get_by_role("link", name=PAYMENT_DOSSIER_TITLE).click()
        page.wait_for_url(f"**/firmas/{line_id}")
        page.get_by_label("PIN de firma").fill(DEMO_PIN)
        page.get_by_role("button", name="Firmar ahora").click()
        page.wait_for_url("**/bandeja?hecho=signed")
        screenshot(page, f"escenario-b-firma-{username}")

    # The last signature sealed the dossier with a signed index.
    page = sessions[0].page()
    page.goto(f"{live.url}/expedientes/{dossier['id']}")
    expect(page.locator("main")).to_contain_text("ver el índice firmado")
    page.get_by_role("link", name="ver el índice firmado").click()
    code_link = page.locator("a.hash[href^='/verificar/']")
    expect(code_link).to_be_visible()
    screenshot(page, "escenario-b-indice-sellado")
    code_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registro público del documento")
    expect(page.locator("main")).to_contain_text("Carlos Méndez")
    for session in sessions:
        assert all(url.startswith(live.url) for url in session.requests)
        session.context.close()
