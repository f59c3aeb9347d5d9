"""The archivist's work, driven in Debian's Chromium through Playwright, each step by the
person who does it on the pages they would use: a retention table put in force; the legal
department's dossier filed, closed (its closing then moved 40 days back in the database,
the one step not taken in a page), transferred to the central archive and acknowledged by
the archivist from her inbox; lent to Human Resources and returned; and, its retention
ended, proposed for disposal with the record of a selection series ticked to be kept,
approved by the archive committee and carried out, its signed record downloaded.
Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from docsvc.demo.seed import DEMO_PIN
from docsvc.models import ArchiveHolding, Dossier
from signing.cades import verify_record
from tests.support.backends import Backend, build_backend
from tests.support.browser import requires_chromium, screenshot, signed_in
from tests.support.live_server import LiveServer
from tests.support.pdfs import unique_pdf

pytestmark = requires_chromium
# Official letters leave the office as soon as their dossier is closed, and their retention
# ends then too; a sample of them is kept.
RULES = (
    "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
    "procedure\nPAG,2,10,destroy,closing,,Normas de control,Eliminación con acta\n"
    "OFI,0,0,sample,closing,,Norma de archivo,Selección del 10 %\n"
)
TITLE = "Oficios con la Procuraduría 2025"


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        "sqlite-local", tmp_path_factory.mktemp("archive-browser"), request, pki=True
    )
    yield built
    built.services.close()


def _sign(page: Page, button: str, url: str) -> None:
    page.get_by_label("PIN de firma").fill(DEMO_PIN)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(url)
    expect(page.get_by_role("status")).to_be_visible()


def test_the_archivist_transfers_lends_and_disposes_of_a_record(
    browser: Browser, live: LiveServer, backend: Backend, tmp_path: Path
) -> None:
    archivist_session, archivist = signed_in(browser, live.url, "archivista")
    committee_session, committee = signed_in(browser, live.url, "comite")
    legal_session, legal = signed_in(browser, live.url, "juridico")
    hr_session, hr = signed_in(browser, live.url, "rrhh")
    historian_session, historian = signed_in(browser, live.url, "historico")

    # The table, in force: drafted by the archivist, approved by the committee.
    rules = tmp_path / "tabla.csv"
    rules.write_text(RULES, encoding="utf-8")
    archivist.get_by_role("link", name="Archivo", exact=True).click()
    draft = archivist.locator("form[action='/archivo/tablas']")
    draft.get_by_label("Archivo CSV o JSON").set_input_files(str(rules))
    draft.get_by_role("button", name="Elaborar la tabla").click()
    archivist.wait_for_url("**/archivo/tablas/*?hecho=table_drafted")
    table_url = archivist.url.split("?")[0]
    committee.goto(table_url)
    _sign(committee, "Aprobar", "**?hecho=table_approved")
    archivist.goto(table_url)
    _sign(archivist, "Poner en vigor", "**?hecho=table_in_force")

    # The legal department's dossier: opened, a letter uploaded into it, filed, closed.
    legal.goto(f"{live.url}/expedientes")
    legal.get_by_text("Abrir un expediente nuevo").click()
    legal.get_by_label("Título").fill(TITLE)
    legal.get_by_label("Confidencialidad").select_option("confidential")
    legal.get_by_role("button", name="Abrir el expediente").click()
    legal.wait_for_url("**/expedientes/*?hecho=dossier_created")
    dossier_url = legal.url.split("?")[0]
    dossier_id = dossier_url.rsplit("/", 1)[1]
    letter = tmp_path / "oficio.pdf"
    letter.write_bytes(unique_pdf("Oficio a la Procuraduría"))
    legal.goto(f"{live.url}/documentos/nuevo?expediente={dossier_id}")
    legal.get_by_label("Documento PDF").set_input_files(str(letter))
    legal.get_by_label("Título").fill("Oficio a la Procuraduría")
    legal.get_by_label("Tipo").select_option("letter")
    legal.get_by_label("Confidencialidad").select_option("confidential")
    legal.get_by_role("button", name="Subir", exact=True).click()
    legal.wait_for_url("**/documentos/*?hecho=uploaded")
    legal.goto(dossier_url)
    legal.get_by_label("Serie", exact=True).select_option("OFI")
    legal.get_by_role("button", name="Clasificar en esta serie").click()
    legal.wait_for_url("**?hecho=filed#archivo")
    legal.get_by_role("button", name="Cerrar el expediente").click()
    legal.wait_for_url("**?hecho=closed")
    with backend.services.sessions() as db:
        row = db.get(Dossier, uuid.UUID(dossier_id))
        assert row is not None and row.closed_at is not None
        row.closed_at = row.closed_at - timedelta(days=40)
        holding = db.query(ArchiveHolding).filter_by(dossier_id=row.id).one()
        holding.table_id = holding.central_on = holding.disposal_on = None
        holding.disposition = None
        db.commit()

    # The department chooses it among what is due, prepares the inventory, signs and sends.
    legal.goto(f"{live.url}/archivo#transferencias")
    legal.get_by_label(f"Elegir para la transferencia: {TITLE}").check()
    screenshot(legal, "archivo-1-pendiente-de-transferencia")
    legal.get_by_role("button", name="Preparar el inventario").click()
    legal.wait_for_url("**/archivo/transferencias/*?hecho=transfer_prepared")
    transfer_url = legal.url.split("?")[0]
    expect(legal.locator("main")).to_contain_text("preparada")
    expect(legal.locator("table")).to_contain_text(TITLE)
    screenshot(legal, "archivo-2-inventario-preparado")
    _sign(legal, "Firmar y enviar al archivo", "**?hecho=transfer_sent")
    expect(legal.locator("main")).to_contain_text("enviada")

    # The archivist acknowledges it from her inbox; the transfer is then received.
    archivist.goto(f"{live.url}/bandeja")
    card = archivist.locator("li.card", has_text="Transferencia primaria al archivo central")
    card.get_by_label("PIN de firma").fill(DEMO_PIN)
    card.get_by_role("button", name="Acusar recibo firmado").click()
    archivist.wait_for_url("**/bandeja?hecho=acknowledged")
    archivist.goto(transfer_url)
    expect(archivist.locator("main")).to_contain_text("Recibida: sus documentos están")
    screenshot(archivist, "archivo-3-transferencia-recibida")
    archivist.get_by_role("link", name="Archivo", exact=True).first.click()
    expect(archivist.locator("#inventarios + table")).to_contain_text("recibida")

    # Human Resources asks for it; the archivist lends it; it is returned.
    hr.goto(f"{live.url}/archivo/prestamos")
    hr.get_by_label("Identificador del expediente o documento").fill(dossier_id)
    hr.get_by_label("Motivo").fill("Revisión de un sumario administrativo")
    hr.get_by_role("button", name="Solicitar el préstamo").click()
    hr.wait_for_url("**/archivo/prestamos?hecho=loan_requested")
    expect(hr.locator("main")).to_contain_text("solicitado")
    archivist.goto(f"{live.url}/archivo/prestamos")
    loan = archivist.locator("li.card", has_text=TITLE)
    expect(loan).to_contain_text("Revisión de un sumario administrativo")
    screenshot(archivist, "archivo-4-prestamo-solicitado")
    loan.get_by_role("button", name="Prestar").click()
    archivist.wait_for_url("**/archivo/prestamos?hecho=loan_lent")
    hr.goto(f"{live.url}/archivo/prestamos")
    expect(hr.locator("li.card", has_text=TITLE)).to_contain_text("prestado")
    hr.get_by_role("link", name=TITLE).click()
    expect(hr.locator("h1")).to_have_text(TITLE)
    hr.goto(f"{live.url}/archivo/prestamos")
    hr.locator("li.card", has_text=TITLE).get_by_role(
        "button", name="Registrar la devolución"
    ).click()
    hr.wait_for_url("**/archivo/prestamos?hecho=loan_returned")
    expect(hr.locator("li.card", has_text=TITLE)).to_contain_text("devuelto")
    screenshot(hr, "archivo-5-prestamo-devuelto")

    # Disposal: the archivist proposes it, keeping the record (a selection series).
    archivist.goto(f"{live.url}/archivo")
    archivist.get_by_role("link", name="Eliminación documental").click()
    archivist.get_by_label(f"Elegir para la propuesta: {TITLE}").check()
    archivist.locator("tr", has_text=TITLE).get_by_label("Conservar").check()
    archivist.get_by_label("Valoración").fill(
        "Serie de oficios: se conserva una muestra representativa del 10 %."
    )
    screenshot(archivist, "archivo-6-pendiente-de-eliminacion")
    archivist.get_by_role("button", name="Proponer").click()
    archivist.wait_for_url("**/archivo/eliminacion/*?hecho=disposal_proposed")
    proposal_url = archivist.url.split("?")[0]
    expect(archivist.locator("main")).to_contain_text("Conservación total")
    expect(archivist.get_by_role("button", name="Aprobar")).to_have_count(0)
    committee.goto(proposal_url)
    _sign(committee, "Aprobar", "**?hecho=disposal_approved")
    archivist.goto(proposal_url)
    _sign(archivist, "Ejecutar", "**?hecho=disposal_executed")
    expect(archivist.locator("main")).to_contain_text("Conservado para el archivo histórico")
    screenshot(archivist, "archivo-7-eliminacion-ejecutada")
    with archivist.expect_download() as record_download:
        archivist.get_by_role("link", name="Acta de eliminación firmada (JSON)").click()
    with archivist.expect_download() as signature_download:
        archivist.get_by_role("link", name="Su firma (CAdES, .p7s)").click()
    record = Path(record_download.value.path()).read_bytes()
    signature = Path(signature_download.value.path()).read_bytes()
    # In a thread of its own: the check runs an event loop, and Playwright's runs here.
    with ThreadPoolExecutor(1) as pool:
        check = pool.submit(verify_record, record, signature, [backend.root_der()]).result()
    assert check.intact and check.trusted, check.reasons
    (item,) = json.loads(record)["items"]
    assert item["record"] == dossier_id and item["outcome"] == "historical"

    # Kept for good: the central archive hands it to the historical archive (secondary
    # transfer), whose archivist acknowledges it from her inbox.
    archivist.goto(f"{live.url}/archivo#historico")
    archivist.get_by_label(f"Elegir para el archivo histórico: {TITLE}").check()
    archivist.get_by_role(
        "button", name="Preparar el inventario de transferencia secundaria"
    ).click()
    archivist.wait_for_url("**/archivo/transferencias/*?hecho=secondary_prepared")
    secondary_url = archivist.url.split("?")[0]
    expect(archivist.locator("h1")).to_have_text("Transferencia secundaria al archivo histórico")
    _sign(archivist, "Firmar y enviar al archivo", "**?hecho=transfer_sent")
    historian.goto(f"{live.url}/bandeja")
    card = historian.locator("li.card", has_text="Transferencia secundaria al archivo histórico")
    card.get_by_label("PIN de firma").fill(DEMO_PIN)
    card.get_by_role("button", name="Acusar recibo firmado").click()
    historian.wait_for_url("**/bandeja?hecho=acknowledged")
    historian.goto(secondary_url)
    expect(historian.locator("main")).to_contain_text("Recibida: sus documentos están")
    screenshot(historian, "archivo-8-transferencia-secundaria-recibida")
    legal.goto(dossier_url)
    expect(legal.locator("#archivo + dl")).to_contain_text("Archivo histórico")

    # Nothing was loaded from outside the service.
    sessions = (archivist_session, committee_session, legal_session, hr_session, historian_session)
    for session in sessions:
        outside = [u for u in session.requests if not u.startswith(live.url)]
        assert outside == [], outside
        session.context.close()
    assert re.match(r"http://127\.0\.0\.1:\d+", live.url)
