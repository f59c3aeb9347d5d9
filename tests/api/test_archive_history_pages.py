"""A personnel file's way to the historical archive through the pages only, each step by
the person who does it, every page in Spanish: a table under which personnel files count
from the official's retirement and are kept for good is put in force; Human Resources
files the dossier, closes it and records the retirement on its page (a future day is
refused); it goes to the central archive; an executed disposal keeps it; the central
archive's archivist prepares the secondary transfer's inventory and sends it signed; the
historical archive acknowledges it from its inbox; another office borrows it and the
archivist extends the loan."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from docsvc.calendar.local import local_date
from docsvc.demo.seed import DEMO_PIN
from signing.cades import verify_record
from tests.support.backends import Backend, build_backend
from tests.support.pages import csrf_of, page_text, redirected, submit
from tests.support.pdfs import unique_pdf
from tests.web.test_spanish_pages_no_english import ENGLISH as INTERFACE_ENGLISH

Browser = Callable[[str], TestClient]
RULES = (
    "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
    "procedure\nHLB,0,0,keep,event,Retiro del servidor,Ley de servicio público,"
    "Conservación total\n"
)
TITLE = "Historia laboral de Marta Quiroga"
UUID = r"[0-9a-f-]{36}"


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("history"), request, pki=True)
    yield built
    built.services.close()


def _spanish(response: Response, *shown: str) -> str:
    """A page in Spanish saying each of ``shown``, and no word of the English interface."""
    assert '<html lang="es"' in response.text
    text = page_text(response.text)
    for phrase in shown:
        assert phrase in text, (phrase, text)
    leaks = sorted({m.group(0) for m in INTERFACE_ENGLISH.finditer(text)})
    assert not leaks, (leaks, text)
    return text


def _acknowledge(browser: TestClient, heading: str) -> None:
    """Acknowledge, from the inbox, the transfer whose card says ``heading``."""
    inbox = browser.get("/bandeja").text
    card = re.search(
        rf'<li class="card[^"]*">(?:(?!</li>).)*?{heading}(?:(?!</li>).)*</li>', inbox, re.S
    )
    assert card, inbox
    answer = re.search(r'action="(/remisiones/[0-9a-f-]{36}/responder)"', card[0])
    assert answer, card[0]
    done = submit(browser, "/bandeja", answer[1], action="acknowledge", pin=DEMO_PIN)
    redirected(done, r"/bandeja\?hecho=acknowledged")


def test_a_personnel_file_reaches_the_historical_archive_through_the_pages(
    backend: Backend, browser_as: Browser
) -> None:
    archivist, committee = browser_as("archivista"), browser_as("comite")
    hr, historian, legal = browser_as("rrhh"), browser_as("historico"), browser_as("juridico")

    drafted = archivist.post(
        "/archivo/tablas",
        data={"csrf_token": csrf_of(archivist.get("/archivo").text), "note": "Acta 04-2026"},
        files={"file": ("tabla.csv", RULES.encode(), "text/csv")},
        follow_redirects=False,
    )
    table = redirected(drafted, rf"/archivo/tablas/{UUID}\?hecho=table_drafted").split("?")[0]
    redirected(submit(committee, table, f"{table}/aprobar", pin=DEMO_PIN), rf"{table}\?.*")
    page = archivist.get(table).text
    today = re.search(r'name="in_force_from" type="date" value="([0-9-]{10})"', page)
    assert today
    in_force = submit(archivist, table, f"{table}/vigor", pin=DEMO_PIN, in_force_from=today[1])
    redirected(in_force, rf"{table}\?hecho=table_in_force")

    # Human Resources opens the file, adds a document, files it and closes it.
    opened = submit(hr, "/expedientes", "/expedientes", title=TITLE, confidentiality="internal")
    dossier_url = redirected(opened, rf"/expedientes/{UUID}\?hecho=dossier_created").split("?")[0]
    dossier_id = dossier_url.rsplit("/", 1)[1]
    uploaded = hr.post(
        "/documentos/nuevo",
        data={
            "csrf_token": csrf_of(hr.get("/documentos/nuevo").text),
            "title": "Acción de personal: cese por jubilación",
            "doc_type": "letter",
            "subject": "",
            "confidentiality": "internal",
            "dossier_id": dossier_id,
        },
        files={"file": ("c.pdf", unique_pdf("Cese por jubilación"), "application/pdf")},
        follow_redirects=False,
    )
    redirected(uploaded, rf"/documentos/{UUID}\?hecho=uploaded")
    redirected(
        submit(hr, dossier_url, f"{dossier_url}/clasificar", series_code="HLB"),
        rf"{dossier_url}\?hecho=filed#archivo",
    )
    redirected(submit(hr, dossier_url, f"{dossier_url}/cerrar"), rf"{dossier_url}\?hecho=closed")

    # Its count starts at the retirement, which its page asks for.
    page = hr.get(dossier_url)
    _spanish(page, "Retiro del servidor", "Registrar la fecha")
    action = re.search(rf'action="(/archivo/registros/{UUID}/inicio)"', page.text)
    assert action, page.text
    day = local_date(backend.settings)
    future = submit(hr, dossier_url, action[1], day=str(day + timedelta(days=30)), note="")
    assert future.status_code == 400
    _spanish(future, "Un evento o un cierre se registra cuando ya ha ocurrido.")
    retired = day - timedelta(days=1)
    recorded = submit(hr, dossier_url, action[1], day=str(retired), note="Jubilación")
    redirected(recorded, rf"{dossier_url}\?hecho=trigger_recorded#archivo")
    _spanish(
        hr.get(f"{dossier_url}?hecho=trigger_recorded"),
        "Fecha registrada: la tabla de retención da al expediente o documento sus fechas.",
        "Conservación total",
    )

    # To the central archive.
    hub = hr.get("/archivo").text
    holding = re.search(r'name="holding" value="([0-9a-f-]{36})"', hub)
    assert holding, hub
    prepared = submit(hr, "/archivo", "/archivo/transferencias", holding=[holding[1]])
    primary = redirected(prepared, rf"/archivo/transferencias/{UUID}\?hecho=transfer_prepared")
    primary_url = primary.split("?")[0]
    redirected(submit(hr, primary_url, f"{primary_url}/enviar", pin=DEMO_PIN), r".*transfer_sent")
    _acknowledge(archivist, "Transferencia primaria al archivo central")
    _spanish(hr.get(dossier_url), "Fase Archivo central")

    # Appraised and kept for good by an executed disposal.
    proposed = submit(
        archivist,
        "/archivo/eliminacion",
        "/archivo/eliminacion",
        holding=[holding[1]],
        appraisal="Valor histórico: conservación total",
    )
    proposal = redirected(proposed, rf"/archivo/eliminacion/{UUID}\?hecho=disposal_proposed")
    proposal_url = proposal.split("?")[0]
    redirected(
        submit(committee, proposal_url, f"{proposal_url}/aprobar", pin=DEMO_PIN), r".*approved"
    )
    redirected(
        submit(archivist, proposal_url, f"{proposal_url}/ejecutar", pin=DEMO_PIN), r".*executed"
    )
    _spanish(archivist.get(proposal_url), "Conservado para el archivo histórico")

    # The central archive hands it to the historical archive: a secondary transfer.
    hub_page = archivist.get("/archivo")
    _spanish(
        hub_page,
        "Pendiente de transferencia al archivo histórico",
        "Preparar el inventario de transferencia secundaria",
    )
    assert hr.get("/archivo").text.count("transferencias-secundarias") == 0
    prepared = submit(archivist, "/archivo", "/archivo/transferencias-secundarias", holding=[])
    assert prepared.status_code == 400
    prepared = submit(
        archivist, "/archivo", "/archivo/transferencias-secundarias", holding=[holding[1]]
    )
    secondary = redirected(prepared, rf"/archivo/transferencias/{UUID}\?hecho=secondary_prepared")
    secondary_url = secondary.split("?")[0]
    _spanish(
        archivist.get(secondary),
        "Inventario de transferencia secundaria preparado",
        "Transferencia secundaria al archivo histórico",
        "Unidad que transfiere DAG",
        "Archivo que recibe DAH",
        TITLE,
    )
    sent = submit(archivist, secondary_url, f"{secondary_url}/enviar", pin=DEMO_PIN)
    redirected(sent, rf"{secondary_url}\?hecho=transfer_sent")
    _acknowledge(historian, "Transferencia secundaria al archivo histórico")
    _spanish(
        historian.get(secondary_url),
        "Estado recibida",
        "Recibida: sus documentos están en el archivo histórico.",
    )
    record = historian.get(f"{secondary_url}/inventario.json")
    signature = historian.get(f"{secondary_url}/inventario.p7s")
    check = verify_record(record.content, signature.content, [backend.root_der()])
    assert check.intact and check.trusted, check.reasons
    _spanish(hr.get(dossier_url), "Fase Archivo histórico")
    text = _spanish(archivist.get("/archivo"), "Transferencias de archivo")
    assert "Secundaria (al archivo histórico)" in text and "DAG a DAH" in text

    # The legal department borrows it from its page; the archivist extends the loan.
    asked = submit(legal, dossier_url, f"{dossier_url}/prestamo", reason="Informe jurídico")
    redirected(asked, rf"{dossier_url}\?hecho=loan_requested#archivo")
    loans = archivist.get("/archivo/prestamos").text
    decide = re.search(r'action="(/archivo/prestamos/[0-9a-f-]{36}/decision)"', loans)
    assert decide
    due = str(day + timedelta(days=5))
    lent = submit(archivist, "/archivo/prestamos", decide[1], decision="lend", due_on=due)
    redirected(lent, r"/archivo/prestamos\?hecho=loan_lent")
    loans_page = archivist.get("/archivo/prestamos")
    _spanish(loans_page, "Prorrogar el préstamo", "Nueva fecha de devolución")
    extend = decide[1].replace("/decision", "/prorroga")
    assert f'action="{extend}"' in loans_page.text
    later = str(day + timedelta(days=20))
    refused = submit(legal, "/archivo/prestamos", extend, due_on=later)
    assert refused.status_code == 403
    extended = submit(archivist, "/archivo/prestamos", extend, due_on=later)
    redirected(extended, r"/archivo/prestamos\?hecho=loan_extended")
    _spanish(
        archivist.get("/archivo/prestamos?hecho=loan_extended"),
        "Préstamo prorrogado hasta su nueva fecha de devolución.",
    )
