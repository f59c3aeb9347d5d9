"""A record's whole life in the archive through the pages only, each step by the person who
does it, every page in Spanish: a retention table that gives official letters no time in
either archive is drafted, approved and put in force; the legal department opens a
confidential dossier, adds a letter, files it under its series and closes it (its closing
is then moved 40 days back in the database, as if it had been closed then, so that its
retention has ended and the storage lets it go); the department prepares the transfer's
inventory and sends it signed; the archive acknowledges it from its inbox; Human Resources
borrows it and returns it; it is held and released by another person; the archivist
proposes its disposal, the committee approves it, the archivist carries it out; and the
signed disposal record verifies offline against the development root."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from docsvc.demo.seed import DEMO_PIN
from docsvc.models import ArchiveHolding, ArchiveLoan, Dossier
from signing.cades import verify_record
from tests.support.backends import Backend, build_backend
from tests.support.pages import csrf_of, page_text, redirected, submit
from tests.support.pdfs import unique_pdf

Browser = Callable[[str], TestClient]
RULES = (
    "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
    "procedure\nPAG,2,10,destroy,closing,,Normas de control,Eliminación con acta\n"
    "OFI,0,0,destroy,closing,,Norma de archivo,Eliminación al vencer el plazo\n"
)
TITLE = "Expediente reservado de oficios 2025"
UUID = r"[0-9a-f-]{36}"
SPANISH_DAY = r"\d{1,2} de [a-z]+ de \d{4}"
SPANISH_MOMENT = SPANISH_DAY + r", \d{1,2}:\d{2}"
# Words of the English interface that have no business on a Spanish page (as
# tests/web/test_spanish_pages_no_english.py reads them, and the archive's own).
ENGLISH = re.compile(
    r"\b("
    r"the|and|with|by|for|of|from|is|was|has|not|this|that|your|you|no such|not found"
    r"|created|signed|pending|other|report|letter|resolution|request|approval|certification"
    r"|approved|reviewed|prepared|subject|issuer|common name|organization|country|user id|title"
    r"|download|version|document|signature|reason|deadline|overdue|inbox|wrong pin"
    r"|could not|check the|try again"
    r"|transfer|loan|lent|hold|held|released|disposal|record|inventory|appraisal|proposal"
    r"|destroyed|kept|state"
    r")\b",
    re.IGNORECASE,
)
# Words of the Spanish interface that have no business on an English page.
SPANISH = re.compile(
    r"\b(préstamos?|retenci[oó]n|retenciones|eliminaci[oó]n|inventario|transferencia"
    r"|motivo|firmar|enviar|devoluci[oó]n|valoraci[oó]n|propuesta|acta|pendiente|vigente)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("lifecycle"), request, pki=True)
    yield built
    built.services.close()


def _spanish(response: Response, *shown: str) -> str:
    """A page in Spanish, saying each of ``shown``, and no English word; its text."""
    assert response.status_code in (200, 400, 403, 404, 409, 410), response.text
    assert '<html lang="es"' in response.text
    text = page_text(response.text)
    for phrase in shown:
        assert phrase in text, (phrase, text)
    leaks = sorted({m.group(0) for m in ENGLISH.finditer(text)})
    assert not leaks, (leaks, text)
    return text


def test_a_record_is_archived_lent_held_and_disposed_of_through_the_pages(
    backend: Backend, browser_as: Browser
) -> None:
    archivist, committee = browser_as("archivista"), browser_as("comite")
    legal, hr, auditor = browser_as("juridico"), browser_as("rrhh"), browser_as("auditora")

    # The table: drafted by the archivist, approved by the committee, put in force.
    drafted = archivist.post(
        "/archivo/tablas",
        data={"csrf_token": csrf_of(archivist.get("/archivo").text), "note": "Acta 03-2026"},
        files={"file": ("tabla.csv", RULES.encode(), "text/csv")},
        follow_redirects=False,
    )
    table = redirected(drafted, rf"/archivo/tablas/{UUID}\?hecho=table_drafted").split("?")[0]
    approved = submit(committee, table, f"{table}/aprobar", pin=DEMO_PIN)
    redirected(approved, rf"{table}\?hecho=table_approved")
    page = archivist.get(table).text
    today = re.search(r'name="in_force_from" type="date" value="([0-9-]{10})"', page)
    assert today
    in_force = submit(archivist, table, f"{table}/vigor", pin=DEMO_PIN, in_force_from=today[1])
    redirected(in_force, rf"{table}\?hecho=table_in_force")
    _spanish(archivist.get(table), "en vigor", "OFI — Oficios 0 0 Eliminación")

    # A confidential dossier of the legal department with a letter, filed and closed.
    opened = submit(
        legal,
        "/expedientes",
        "/expedientes",
        title=TITLE,
        subject="Oficios reservados",
        confidentiality="confidential",
    )
    dossier_url = redirected(opened, rf"/expedientes/{UUID}\?hecho=dossier_created").split("?")[0]
    dossier_id = dossier_url.rsplit("/", 1)[1]
    uploaded = legal.post(
        "/documentos/nuevo",
        data={
            "csrf_token": csrf_of(legal.get("/documentos/nuevo").text),
            "title": "Oficio reservado",
            "doc_type": "letter",
            "subject": "",
            "confidentiality": "confidential",
            "dossier_id": dossier_id,
        },
        files={"file": ("o.pdf", unique_pdf("Oficio reservado 2025"), "application/pdf")},
        follow_redirects=False,
    )
    document_url = redirected(uploaded, rf"/documentos/{UUID}\?hecho=uploaded").split("?")[0]
    filed = submit(legal, dossier_url, f"{dossier_url}/clasificar", series_code="OFI")
    redirected(filed, rf"{dossier_url}\?hecho=filed#archivo")
    closed = submit(legal, dossier_url, f"{dossier_url}/cerrar")
    redirected(closed, rf"{dossier_url}\?hecho=closed")
    with backend.services.sessions() as db:
        row = db.get(Dossier, uuid.UUID(dossier_id))
        assert row is not None and row.closed_at is not None
        row.closed_at = row.closed_at - timedelta(days=40)
        # As if closed then: the table in force gives it its dates again from that day.
        holding_row = db.query(ArchiveHolding).filter_by(dossier_id=row.id).one()
        holding_row.table_id = holding_row.central_on = holding_row.disposal_on = None
        holding_row.disposition = None
        holding_id = str(holding_row.id)
        db.commit()
    # The archive does not read an office's confidential dossier.
    assert archivist.get(dossier_url, headers={"accept": "text/html"}).status_code == 404

    # The department prepares the inventory of what is due, from the archive's hub.
    hub = legal.get("/archivo")
    _spanish(hub, "Pendiente de transferencia al archivo central", "Preparar el inventario")
    assert f'name="holding" value="{holding_id}"' in hub.text
    nothing = submit(legal, "/archivo", "/archivo/transferencias")
    assert nothing.status_code == 400
    _spanish(nothing, "Elija al menos un expediente o documento.")
    prepared = submit(legal, "/archivo", "/archivo/transferencias", holding=[holding_id])
    transfer_url = redirected(
        prepared, rf"/archivo/transferencias/{UUID}\?hecho=transfer_prepared"
    ).split("?")[0]
    page = legal.get(f"{transfer_url}?hecho=transfer_prepared")
    text = _spanish(
        page,
        "Inventario preparado: fírmelo y envíelo al archivo.",
        "Transferencia primaria al archivo central",
        "Estado preparada",
        "Unidad que transfiere DAJ",
        "Archivo que recibe DAG",
        "Firmar y enviar al archivo",
    )
    assert re.search(
        rf"1 {TITLE} {dossier_id} MDS\.DAJ\.OFI {SPANISH_DAY} {SPANISH_DAY} 1", text
    ), text
    inventory_title = re.search(rf"Inventario de transferencia primaria, DAJ, {SPANISH_DAY}", text)
    assert inventory_title, text
    record = legal.get(f"{transfer_url}/inventario.json")
    assert record.status_code == 200
    assert record.headers["content-type"].startswith("application/json")
    assert json.loads(record.content)["items"][0]["item_id"] == dossier_id
    assert f"Registro del inventario (SHA-256) {hashlib.sha256(record.content).hexdigest()}" in text
    # The inventory document, as people read it: a PDF in Spanish.
    document_link = re.search(rf'href="(/documentos/{UUID})">Inventario', page.text)
    assert document_link
    pdf = legal.get(f"{document_link[1]}/descargar")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    laid_out = pdfium.PdfDocument(io.BytesIO(pdf.content))
    words = " ".join(
        " ".join(laid_out[i].get_textpage().get_text_range().split()) for i in range(len(laid_out))
    )
    laid_out.close()
    for shown in (
        inventory_title[0],
        "Unidad que transfiere",
        "Archivo que recibe",
        "Fecha de elaboración",
        "Tabla de retención documental",
        "Registro del inventario (SHA-256)",
        "Fecha inicial",
        "Fecha final",
        TITLE,
    ):
        assert shown in words, (shown, words)
    # Listed once: it cannot go into a second inventory.
    hub = legal.get("/archivo").text
    assert f'name="holding" value="{holding_id}"' not in hub
    assert f'href="{transfer_url}">En un inventario' in hub

    # Signed with the PIN and sent to the archive (a wrong PIN sends nothing).
    wrong = submit(legal, transfer_url, f"{transfer_url}/enviar", pin="000000")
    assert wrong.status_code == 403
    _spanish(wrong, "PIN incorrecto.", "Estado preparada")
    sent = submit(legal, transfer_url, f"{transfer_url}/enviar", pin=DEMO_PIN)
    redirected(sent, rf"{transfer_url}\?hecho=transfer_sent")
    _spanish(
        legal.get(f"{transfer_url}?hecho=transfer_sent"),
        "Inventario firmado y enviado al archivo",
        "Estado enviada",
        "El archivo completa la transferencia cuando acusa recibo",
        "Su firma (CAdES, .p7s)",
    )
    again = submit(legal, transfer_url, f"{transfer_url}/enviar", pin=DEMO_PIN)
    assert again.status_code == 403 or again.status_code == 409
    assert "Firmar y enviar al archivo" not in page_text(legal.get(transfer_url).text)

    # The archive acknowledges it from its inbox, as any transfer.
    inbox = archivist.get("/bandeja").text
    card = re.search(
        r'<li class="card[^"]*">(?:(?!</li>).)*?Transferencia primaria al archivo central'
        r"(?:(?!</li>).)*</li>",
        inbox,
        re.S,
    )
    assert card, inbox
    answer = re.search(r'action="(/remisiones/[0-9a-f-]{36}/responder)"', card[0])
    assert answer, card[0]
    acknowledged = submit(archivist, "/bandeja", answer[1], action="acknowledge", pin=DEMO_PIN)
    redirected(acknowledged, r"/bandeja\?hecho=acknowledged")
    _spanish(
        archivist.get(transfer_url),
        "Estado recibida",
        "Recibida: sus documentos están en el archivo central.",
    )
    hub = archivist.get("/archivo")
    text = _spanish(hub, "Transferencias de archivo")
    assert re.search(
        rf"DAJ a DAG, preparada el {SPANISH_MOMENT} Primaria \(al archivo central\) recibida 1 "
        rf"{SPANISH_MOMENT}",
        text,
    ), text
    _spanish(legal.get(dossier_url), "Fase Archivo central")
    # The archive reads it now.
    assert archivist.get(dossier_url).status_code == 200

    # Human Resources borrows it: asked for, lent by the archivist, returned.
    assert hr.get(dossier_url, headers={"accept": "text/html"}).status_code == 404
    _spanish(
        hr.get("/archivo/prestamos"), "Préstamos", "Solicitar un préstamo", "No hay préstamos."
    )
    asked = submit(
        hr, "/archivo/prestamos", "/archivo/prestamos", record=dossier_id, reason="Auditoría"
    )
    redirected(asked, r"/archivo/prestamos\?hecho=loan_requested")
    twice = submit(
        hr, "/archivo/prestamos", "/archivo/prestamos", record=dossier_id, reason="Auditoría"
    )
    assert twice.status_code == 409
    _spanish(twice, "Su unidad ya lo ha solicitado.")
    unknown = submit(
        hr, "/archivo/prestamos", "/archivo/prestamos", record=str(uuid.uuid4()), reason="x"
    )
    assert unknown.status_code == 404
    _spanish(unknown, "El archivo no custodia ese expediente o documento.")
    _spanish(
        hr.get("/archivo/prestamos?hecho=loan_requested"),
        "Préstamo solicitado: el archivo decidirá.",
        f"{TITLE} solicitado",
        "Solicitado por DRH (rrhh)",
        "Motivo Auditoría",
    )
    loans = archivist.get("/archivo/prestamos")
    _spanish(loans, "Préstamos de todas las unidades", f"{TITLE} solicitado", "Prestar", "Denegar")
    decide = re.search(r'action="(/archivo/prestamos/[0-9a-f-]{36}/decision)"', loans.text)
    due = re.search(r'name="due_on" type="date" value="([0-9-]{10})"', loans.text)
    assert decide and due
    lent = submit(archivist, "/archivo/prestamos", decide[1], decision="lend", due_on=due[1])
    redirected(lent, r"/archivo/prestamos\?hecho=loan_lent")
    assert hr.get(dossier_url).status_code == 200
    assert hr.get(f"{document_url}/descargar").status_code == 200
    # Past its return date: overdue, said in words.
    with backend.services.sessions() as db:
        loan_row = db.query(ArchiveLoan).one()
        assert loan_row.due_on is not None
        loan_row.due_on = loan_row.due_on - timedelta(days=30)
        db.commit()
    overdue = hr.get("/archivo/prestamos?vencidos=1")
    _spanish(overdue, f"{TITLE} prestado vencido", "vencido", "Registrar la devolución")
    returned = submit(
        hr,
        "/archivo/prestamos",
        re.sub(r"/decision$", "/devolucion", decide[1]),
    )
    redirected(returned, r"/archivo/prestamos\?hecho=loan_returned")
    _spanish(
        hr.get("/archivo/prestamos?hecho=loan_returned"),
        "Devolución registrada: el documento vuelve al archivo.",
        f"{TITLE} devuelto",
    )
    assert hr.get(dossier_url, headers={"accept": "text/html"}).status_code == 404

    # Held: the legal department on the dossier's page, and on its series; whoever placed
    # a hold does not release it, another person does.
    page = legal.get(dossier_url)
    _spanish(page, "Registrar una retención legal sobre este expediente")
    placed = submit(
        legal,
        dossier_url,
        f"{dossier_url}/retencion",
        reason="Demanda laboral en curso",
        authority="Juzgado Segundo de Trabajo",
        reference="Causa 17371-2026-00042",
    )
    redirected(placed, rf"{dossier_url}\?hecho=hold_placed#archivo")
    _spanish(
        legal.get(f"{dossier_url}?hecho=hold_placed"),
        "Retención legal registrada: lo que cubre no puede eliminarse.",
        "Retención legal vigente",
    )
    series_hold = submit(
        legal,
        "/archivo/retenciones",
        "/archivo/retenciones",
        series_code="MDS.DAJ.OFI",
        reason="Auditoría de la Contraloría",
        authority="Contraloría General del Estado",
        reference="",
    )
    redirected(series_hold, r"/archivo/retenciones\?hecho=hold_placed")
    holds = legal.get("/archivo/retenciones")
    text = _spanish(
        holds,
        "Retenciones legales",
        "Serie MDS.DAJ.OFI vigente",
        f"{TITLE} vigente",
        "Ordenada por Juzgado Segundo de Trabajo · Causa 17371-2026-00042",
        "Registrada por Lucía Fernández (juridico)",
    )
    releases = re.findall(r'action="(/archivo/retenciones/[0-9a-f-]{36}/levantar)"', holds.text)
    assert len(releases) == 2
    _spanish(archivist.get("/archivo/eliminacion"), "No hay nada pendiente de eliminación.")
    same = submit(legal, "/archivo/retenciones", releases[0], reason="Fin de la auditoría")
    assert same.status_code == 409
    _spanish(same, "Otra persona debe levantar la retención: no quien la registró.")
    for release in releases:
        done = submit(archivist, "/archivo/retenciones", release, reason="Sentencia ejecutoriada")
        redirected(done, r"/archivo/retenciones\?hecho=hold_released")
    text = _spanish(
        archivist.get("/archivo/retenciones?hecho=hold_released"),
        "Retención legal levantada.",
        "Motivo del levantamiento Sentencia ejecutoriada",
        "Levantada por Elena Vargas (archivista)",
    )
    assert "vigente" not in text

    # Disposal: proposed by the archivist, approved by the committee, carried out.
    due_page = archivist.get("/archivo/eliminacion")
    _spanish(due_page, "Pendiente de eliminación", TITLE, "Valoración", "Proponer")
    assert f'name="holding" value="{holding_id}"' in due_page.text
    no_appraisal = submit(
        archivist, "/archivo/eliminacion", "/archivo/eliminacion", holding=[holding_id]
    )
    assert no_appraisal.status_code == 400
    _spanish(no_appraisal, "Escriba la valoración.")
    assert f'value="{holding_id}" id="holding-{holding_id}" checked' in no_appraisal.text
    proposed = submit(
        archivist,
        "/archivo/eliminacion",
        "/archivo/eliminacion",
        holding=[holding_id],
        appraisal="Sin valor secundario",
    )
    proposal_url = redirected(
        proposed, rf"/archivo/eliminacion/{UUID}\?hecho=disposal_proposed"
    ).split("?")[0]
    page = archivist.get(f"{proposal_url}?hecho=disposal_proposed")
    _spanish(
        page,
        "Eliminación propuesta: debe aprobarla el Comité de Archivo.",
        "Estado propuesta",
        "Valoración Sin valor secundario",
        f"{TITLE} MDS.DAJ.OFI Eliminación pendiente",
    )
    assert f'action="{proposal_url}/aprobar"' not in page.text
    assert (
        archivist.post(
            f"{proposal_url}/aprobar", data={"csrf_token": csrf_of(page.text), "pin": DEMO_PIN}
        ).status_code
        == 403
    )
    approved = submit(committee, proposal_url, f"{proposal_url}/aprobar", pin=DEMO_PIN)
    redirected(approved, rf"{proposal_url}\?hecho=disposal_approved")
    _spanish(
        committee.get(f"{proposal_url}?hecho=disposal_approved"),
        "Eliminación aprobada con su firma.",
        "Estado aprobada",
        "Aprobada por Ramiro Salazar (comite)",
    )
    executed = submit(archivist, proposal_url, f"{proposal_url}/ejecutar", pin=DEMO_PIN)
    redirected(executed, rf"{proposal_url}\?hecho=disposal_executed")
    _spanish(
        archivist.get(f"{proposal_url}?hecho=disposal_executed"),
        "Eliminación ejecutada: el acta firmada puede descargarse abajo.",
        "Estado ejecutada",
        "Ejecutada por Elena Vargas (archivista)",
        f"{TITLE} MDS.DAJ.OFI Eliminación Eliminado: se conserva su descripción",
        "Acta de eliminación firmada (JSON)",
    )
    listing = archivist.get("/archivo/eliminacion")
    _spanish(listing, "Propuestas de eliminación", "Propuesta de eliminación 1 ejecutada 1")

    # A stub remains: the dossier is described, its content is gone, in words.
    _spanish(legal.get(dossier_url), TITLE, "Fase Eliminado")
    gone = legal.get(f"{document_url}/descargar", headers={"accept": "text/html"})
    assert gone.status_code == 410
    _spanish(gone, "Su contenido se eliminó en una eliminación documental aprobada")

    # The signed disposal record and its signature verify offline.
    acta = archivist.get(f"{proposal_url}/acta.json")
    signature = archivist.get(f"{proposal_url}/acta.p7s")
    assert acta.status_code == 200 and signature.status_code == 200
    assert "acta-de-eliminacion-1.json" in acta.headers["content-disposition"]
    assert signature.headers["content-type"] == "application/pkcs7-signature"
    check = verify_record(acta.content, signature.content, [backend.root_der()])
    assert check.intact and check.trusted, check.reasons
    (item,) = json.loads(acta.content)["items"]
    assert item["record"] == dossier_id and item["outcome"] == "destroyed"

    # The same pages in English (asked for once, then kept in a cookie).
    for url, shown in (
        (transfer_url, "Primary transfer to the central archive"),
        ("/archivo/prestamos", "Every department's loans"),
        ("/archivo/retenciones", "Legal holds"),
        ("/archivo/eliminacion", "Disposal proposals"),
        (proposal_url, "Signed disposal record (JSON)"),
    ):
        english = archivist.get(url, params={"lang": "en"})
        assert '<html lang="en"' in english.text
        # The records' own words stay Spanish: the title, the inventory's, the reasons.
        text = page_text(english.text).replace(TITLE, " ").replace(inventory_title[0], " ")
        assert shown in text, (shown, text)
        leaks = sorted({m.group(0) for m in SPANISH.finditer(text)})
        assert not leaks, (url, leaks, text)
    archivist.get("/archivo", params={"lang": "es"})

    # Every step is in the audit trail, in words.
    for action, words in (
        ("archive.transfer.prepare", "Inventario de transferencia al archivo preparado"),
        ("archive.loan.request", "Préstamo solicitado"),
        ("archive.loan.lend", "Préstamo aprobado"),
        ("archive.loan.return", "Préstamo devuelto"),
        ("archive.hold.place", "Retención legal registrada"),
        ("archive.hold.release", "Retención legal levantada"),
        ("archive.disposal.execute", "Eliminación ejecutada"),
    ):
        trail = auditor.get("/auditoria", params={"accion": action})
        assert words in page_text(trail.text), (action, page_text(trail.text))


def test_who_may_not(backend: Backend, browser_as: Browser) -> None:
    """Runs after the lifecycle: the pages refuse, in Spanish, whoever may not act."""
    hr = browser_as("rrhh")
    for path in ("/archivo/retenciones", "/archivo/eliminacion"):
        refused = hr.get(path, headers={"accept": "text/html"})
        assert refused.status_code == 403, path
        _spanish(refused)
    assert hr.get(f"/archivo/transferencias/{uuid.uuid4()}").status_code == 404
    hub = hr.get("/archivo").text
    assert 'href="/archivo/retenciones"' not in hub and 'href="/archivo/eliminacion"' not in hub
    # Another department's transfer is not shown to it.
    archivist = browser_as("archivista")
    found = re.search(
        r'href="(/archivo/transferencias/[0-9a-f-]{36})"', archivist.get("/archivo").text
    )
    assert found
    assert hr.get(found[1], headers={"accept": "text/html"}).status_code == 404


def test_another_office_asks_for_a_loan_from_the_dossiers_page(
    backend: Backend, browser_as: Browser
) -> None:
    """An internal dossier every office reads, held by the archive (its phase set in the
    database): another office asks for it from its page; its own office is not offered
    to."""
    legal, hr = browser_as("juridico"), browser_as("rrhh")
    opened = submit(legal, "/expedientes", "/expedientes", title="Informes 2024", subject="")
    dossier_url = redirected(opened, rf"/expedientes/{UUID}\?hecho=dossier_created").split("?")[0]
    redirected(
        submit(legal, dossier_url, f"{dossier_url}/clasificar", series_code="OFI"),
        rf"{dossier_url}\?hecho=filed#archivo",
    )
    with backend.services.sessions() as db:
        holding = db.query(ArchiveHolding).filter_by(dossier_id=uuid.UUID(dossier_url[-36:])).one()
        holding.phase = "central"
        db.commit()
    own = _spanish(legal.get(dossier_url), "Fase Archivo central")
    assert "Solicitar un préstamo" not in own
    assert f'action="{dossier_url}/prestamo"' not in legal.get(dossier_url).text
    _spanish(hr.get(dossier_url), "Solicitar un préstamo")
    empty = submit(hr, dossier_url, f"{dossier_url}/prestamo", reason=" ")
    assert empty.status_code == 400
    _spanish(empty, "Indique el motivo.")
    asked = submit(hr, dossier_url, f"{dossier_url}/prestamo", reason="Consulta de antecedentes")
    redirected(asked, rf"{dossier_url}\?hecho=loan_requested#archivo")
    _spanish(hr.get(f"{dossier_url}?hecho=loan_requested"), "Préstamo solicitado")
    _spanish(
        browser_as("archivista").get("/archivo/prestamos"),
        "Informes 2024 solicitado",
        "Motivo Consulta de antecedentes",
    )
