"""Scenarios A and B (docs/architecture.md), driven in Debian's Chromium through Playwright,
each step by the person who does it, on the pages they would use: no API call beyond the
demo institution that ``docsvc init --demo`` makes. Screenshots:
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import Backend, build_backend
from tests.support.browser import requires_chromium, screenshot, signed_in
from tests.support.jobs import wait_for_seal
from tests.support.live_server import LiveServer
from tests.support.pdfs import unique_pdf

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("scenarios"), request, pki=True)
    yield built
    built.services.close()


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
    page.goto(f"{live.url}/documentos/{document_id}/remitir")
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


def _upload(
    page: Page,
    live: LiveServer,
    path: Path,
    title: str,
    doc_type: str,
    *,
    dossier: str | None = None,
) -> str:
    """Upload a PDF as a new document from the upload page; its id."""
    page.goto(f"{live.url}/documentos/nuevo" + (f"?expediente={dossier}" if dossier else ""))
    page.get_by_label("Documento PDF").set_input_files(str(path))
    page.get_by_label("Título").fill(title)
    page.get_by_label("Tipo").select_option(doc_type)
    page.get_by_role("button", name="Subir", exact=True).click()
    page.wait_for_url("**/documentos/*?hecho=uploaded")
    expect(page.get_by_role("status")).to_contain_text("Documento subido")
    found = re.search(r"/documentos/([0-9a-f-]+)\?", page.url)
    assert found, page.url
    return found.group(1)


def _acknowledge(page: Page, live: LiveServer, instructions: str) -> None:
    page.goto(f"{live.url}/bandeja")
    item = page.locator("li.card", has_text=instructions)
    item.get_by_label("PIN de firma").fill(DEMO_PIN)
    item.get_by_role("button", name="Acusar recibo firmado").click()
    page.wait_for_url("**/bandeja?hecho=acknowledged")


def test_scenario_a_legal_request_with_a_deadline(
    browser: Browser, live: LiveServer, tmp_path: Path
) -> None:
    letter_pdf = tmp_path / "oficio-procuraduria.pdf"
    letter_pdf.write_bytes(unique_pdf("Oficio de la Procuraduría General del Estado"))

    # The registry clerk receives the letter and registers it incoming.
    clerk_session, clerk = signed_in(browser, live.url, "registro")
    clerk.get_by_role("link", name="Registro", exact=True).click()
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
        r"/documentos/([0-9a-f-]+)/remitir",
        row.get_by_role("link", name="Remitir").get_attribute("href") or "",
    )
    assert letter
    letter_id = letter.group(1)
    case_href = row.get_by_role("link", name="Historia del caso").get_attribute("href")
    screenshot(clerk, "escenario-a-1-registro")

    # Legal sends it to HR for action in 5 business days, and to the Minister's Office.
    legal_session, legal = signed_in(browser, live.url, "juridico")
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
    hr_session, hr = signed_in(browser, live.url, "rrhh")
    _acknowledge(hr, live, "Remitir el expediente laboral del servidor demandante.")
    hr_pdf = tmp_path / "expediente-laboral.pdf"
    hr_pdf.write_bytes(unique_pdf("Expediente laboral"))
    hr_file = _upload(hr, live, hr_pdf, "Expediente laboral del servidor", "report")
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
    draft = tmp_path / "proyecto-resolucion.pdf"
    draft.write_bytes(unique_pdf("Resolución"))
    resolution = _upload(legal, live, draft, "Resolución de respuesta a la PGE", "resolution")
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
    minister_session, minister = signed_in(browser, live.url, "ministra")
    _acknowledge(minister, live, "Para la firma de la señora Ministra.")
    minister.goto(f"{live.url}/documentos/{resolution}")
    minister.get_by_label("PIN de firma").fill(DEMO_PIN)
    minister.get_by_role("button", name="Firmar ahora").click()
    minister.wait_for_url(f"**/documentos/{resolution}?hecho=signed")
    expect(minister.get_by_role("status")).to_contain_text("Firmado.")
    expect(minister.locator("main")).to_contain_text("Ana María Rojas")
    screenshot(minister, "escenario-a-3-firma-ministra")
    # Her signature is the answer the transfer "for signature" asked for: Legal's sent box
    # says it is signed, and it no longer runs towards a deadline.
    legal.goto(f"{live.url}/bandeja")
    sent_row = legal.locator(
        "section[aria-labelledby='sent'] tr", has_text="Resolución de respuesta"
    )
    expect(sent_row.first).to_contain_text("firmada")
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


def test_scenario_b_payment_dossier(
    browser: Browser, live: LiveServer, backend: Backend, tmp_path: Path
) -> None:
    """The preparer builds a payment dossier of five documents and asks for three
    signatures; the financial director returns it; she corrects a document and sends it
    again; each official sees the documents and signs; the dossier is sealed and closed.
    Only the pages are used."""
    preparer_session, preparer = signed_in(browser, live.url, "preparador")
    preparer.goto(f"{live.url}/expedientes")
    preparer.get_by_text("Abrir un expediente nuevo").click()
    preparer.get_by_label("Título").fill("Pago del bono, lote de diciembre")
    preparer.get_by_label("Asunto").fill("Pago a 1.200 beneficiarios")
    preparer.get_by_role("button", name="Abrir el expediente").click()
    preparer.wait_for_url("**/expedientes/*?hecho=dossier_created")
    found = re.search(r"/expedientes/([0-9a-f-]+)\?", preparer.url)
    assert found
    dossier_id = found.group(1)
    titles = (
        "Lista de beneficiarios",
        "Certificación presupuestaria",
        "Informe técnico",
        "Orden de pago",
        "Resolución de pago",
    )
    documents = {}
    for title in titles:
        pdf = tmp_path / f"{title}.pdf"
        pdf.write_bytes(unique_pdf(title))
        documents[title] = _upload(preparer, live, pdf, title, "payment_order", dossier=dossier_id)
    preparer.goto(f"{live.url}/expedientes/{dossier_id}")
    table = preparer.locator("#documentos + table")
    expect(table.locator("tbody tr")).to_have_count(5)
    screenshot(preparer, "escenario-b-1-expediente")

    preparer.get_by_role("link", name="Pedir firmas sobre el expediente").click()
    preparer.get_by_label("Quién firma").first.select_option("user:preparador")
    steps = preparer.locator("fieldset.step")
    steps.nth(0).get_by_label("Su firma significa").select_option("prepared")
    steps.nth(1).get_by_label("Quién firma").select_option("position:DF:DIR-DF")
    steps.nth(1).get_by_label("Su firma significa").select_option("reviewed")
    steps.nth(2).get_by_label("Quién firma").select_option("position:DVM:VMIN")
    screenshot(preparer, "escenario-b-2-pedir-firmas")
    preparer.get_by_role("button", name="Pedir las firmas").click()
    preparer.wait_for_url("**/firmas/*?hecho=line_created")
    line_url = preparer.url.split("?")[0]

    def sign(page: Page) -> None:
        page.goto(line_url)
        # What is signed is in view before the PIN: the five documents, each with a preview.
        expect(page.locator(".line-documents li")).to_have_count(5)
        page.get_by_label("PIN de firma").fill(DEMO_PIN)
        page.get_by_role("button", name="Firmar ahora").click()
        page.wait_for_url("**/bandeja?hecho=signed")

    sign(preparer)
    director_session, director = signed_in(browser, live.url, "financiero")
    director.goto(line_url)
    screenshot(director, "escenario-b-3-revision")
    director.get_by_label("Motivo de la devolución").fill("Falta la firma del analista en la orden")
    director.get_by_role("button", name="Devolver con este motivo").click()
    director.wait_for_url("**/bandeja?hecho=rejected")

    # The preparer corrects the order of payment, then sends the line again.
    preparer.goto(f"{live.url}/documentos/{documents['Orden de pago']}")
    corrected = tmp_path / "orden-corregida.pdf"
    corrected.write_bytes(unique_pdf("Orden de pago, corregida"))
    preparer.get_by_label("Documento PDF").set_input_files(str(corrected))
    preparer.get_by_label("Motivo de la nueva versión").fill("Con la firma del analista")
    preparer.get_by_role("button", name="Subir la versión").click()
    preparer.wait_for_url("**/documentos/*?hecho=version_added")
    preparer.goto(line_url)
    expect(preparer.locator("main")).to_contain_text("ya no se espera: la línea fue devuelta")
    preparer.get_by_role("button", name="Volver a enviar a firma").click()
    preparer.wait_for_url("**/firmas/*?hecho=resubmitted")

    vice_session, vice = signed_in(browser, live.url, "viceministro")
    for page in (preparer, director, vice):
        sign(page)
    screenshot(vice, "escenario-b-4-firmado")

    # The last signature sealed the dossier with a signed index (made by a job once the
    # signatures were recorded); the preparer closes it.
    wait_for_seal(backend.services.sessions, dossier_id)
    preparer.goto(f"{live.url}/expedientes/{dossier_id}")
    expect(preparer.locator("main")).to_contain_text("ver el índice firmado")
    preparer.get_by_role("button", name="Cerrar el expediente").click()
    preparer.wait_for_url("**/expedientes/*?hecho=closed")
    expect(preparer.get_by_role("status")).to_contain_text("Expediente cerrado.")
    preparer.get_by_role("link", name="ver el índice firmado").click()
    code_link = preparer.locator("a.hash[href^='/verificar/']")
    expect(code_link).to_be_visible()
    screenshot(preparer, "escenario-b-5-indice-sellado")
    code_link.click()
    expect(preparer.get_by_role("heading", level=1)).to_have_text("Registro público del documento")
    expect(preparer.locator("main")).to_contain_text("Documento auténtico")
    expect(preparer.locator("main")).to_contain_text("Carlos Méndez")
    for session in (preparer_session, director_session, vice_session):
        assert all(url.startswith(live.url) for url in session.requests)
        session.context.close()
