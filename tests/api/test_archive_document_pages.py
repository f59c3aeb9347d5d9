"""The archive from a document's page, with the web session only, every page in Spanish: an
office files a document that is in no dossier under a series that takes its type (the form
lists only those; one that does not is refused in words on the page); a document in a
dossier says it is filed with its dossier and links to the dossier's filing; archivists and
legal staff place a legal hold on a filed document from its page; and another office asks
the archive for a loan of an archived document from its page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from docsvc.models import ArchiveHolding
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of, page_text, redirected, submit
from tests.support.pdfs import unique_pdf
from tests.web.test_spanish_pages_no_english import ENGLISH as INTERFACE_ENGLISH

Browser = Callable[[str], TestClient]
UUID = r"[0-9a-f-]{36}"
# The archive's English words, besides the interface's (INTERFACE_ENGLISH).
ARCHIVE_ENGLISH = re.compile(
    r"\b(archive|classification|filed|dossier|transfer|loan|hold|held|record|phase|place"
    r"|ask|release[sd]?)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param,
        tmp_path_factory.mktemp(f"archive-documents-{request.param}"),
        request,
        pki=True,  # the demo's scheme and retention table are signed: seeded with the PKI
    )
    yield built
    built.services.close()


def _spanish(response: Response, *shown: str, status: int = 200) -> str:
    """A page in Spanish with ``status``, saying each of ``shown`` and no English word; its
    text."""
    assert response.status_code == status, response.text
    assert '<html lang="es"' in response.text
    text = page_text(response.text)
    for phrase in shown:
        assert phrase in text, (phrase, text)
    leaks = sorted(
        {
            m.group(0)
            for pattern in (INTERFACE_ENGLISH, ARCHIVE_ENGLISH)
            for m in pattern.finditer(text)
        }
    )
    assert not leaks, (leaks, text)
    return text


def _upload(browser: TestClient, title: str, doc_type: str, dossier_id: str = "") -> str:
    """A new internal document of the browser's department (in the dossier, if given); its
    page's address."""
    uploaded = browser.post(
        "/documentos/nuevo",
        data={
            "csrf_token": csrf_of(browser.get("/documentos/nuevo").text),
            "title": title,
            "doc_type": doc_type,
            "subject": "",
            "confidentiality": "internal",
            "dossier_id": dossier_id,
        },
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
        follow_redirects=False,
    )
    return redirected(uploaded, rf"/documentos/{UUID}\?hecho=uploaded").split("?")[0]


def _filed(browser: TestClient, title: str, series_code: str = "OFI") -> str:
    """A letter outside any dossier, filed by its office under ``series_code``; its page."""
    url = _upload(browser, title, "letter")
    redirected(
        submit(browser, url, f"{url}/clasificar", series_code=series_code),
        rf"{url}\?hecho=filed#archivo",
    )
    return url


def test_an_office_files_a_document_outside_any_dossier(browser_as: Browser) -> None:
    legal = browser_as("juridico")
    url = _upload(legal, "Oficio suelto de consulta", "letter")
    page = legal.get(url)
    _spanish(page, "Clasificación archivística", "Aún no está clasificado en una serie.")
    assert f'action="{url}/clasificar"' in page.text
    assert (
        "Una serie o subserie de la última versión del cuadro de clasificación que admite "
        "este tipo documental." in page_text(page.text)
    )
    # Only the series that take letters: official letters, personnel files, and social
    # programmes (a series without a list of types takes any).
    offered = re.findall(r'<option value="([A-Z]+)" >', page.text)
    assert offered == ["OFI", "HLB", "PRG"], offered
    assert re.search(r'<option value="OFI" >MDS\.DAJ\.OFI — Oficios</option>', page.text)
    # Not yet filed: nothing to hold or to lend.
    assert f'action="{url}/retencion"' not in page.text
    assert f'action="{url}/prestamo"' not in page.text

    # A series that does not list letters, posted all the same: refused on the page.
    refused = submit(legal, url, f"{url}/clasificar", series_code="RES")
    _spanish(
        refused,
        "Hay un problema",
        "Esa serie no admite este tipo documental.",
        "Oficio suelto de consulta",
        status=400,
    )
    assert "Aún no está clasificado en una serie." in page_text(refused.text)
    # Another office does not file it.
    other = submit(browser_as("rrhh"), url, f"{url}/clasificar", series_code="OFI")
    _spanish(other, "Hay un problema", status=403)

    filed = submit(legal, url, f"{url}/clasificar", series_code="OFI")
    location = redirected(filed, rf"{url}\?hecho=filed#archivo")
    page = legal.get(location.split("#")[0])
    _spanish(
        page,
        "Documento clasificado en la serie.",
        "Serie MDS.DAJ.OFI — Oficios Fase Archivo de gestión",
    )
    # In the office archive its office files it again, under another series.
    assert re.search(r'<option value="OFI" selected>', page.text)
    refiled = submit(legal, url, f"{url}/clasificar", series_code="HLB")
    redirected(refiled, rf"{url}\?hecho=filed#archivo")
    _spanish(legal.get(url), "Serie MDS.DAF.DRH.HLB — Historias laborales")
    # Whoever may not file it sees its filing, not the form.
    hr_page = browser_as("rrhh").get(url)
    _spanish(hr_page, "Serie MDS.DAF.DRH.HLB — Historias laborales")
    assert f'action="{url}/clasificar"' not in hr_page.text


def test_a_document_in_a_dossier_links_to_the_dossiers_filing(browser_as: Browser) -> None:
    legal = browser_as("juridico")
    opened = submit(legal, "/expedientes", "/expedientes", title="Consultas 2026", subject="")
    dossier_url = redirected(opened, rf"/expedientes/{UUID}\?hecho=dossier_created").split("?")[0]
    url = _upload(legal, "Oficio del expediente", "letter", dossier_url.rsplit("/", 1)[1])
    page = legal.get(url)
    _spanish(
        page,
        "Clasificación archivística",
        "Este documento se clasifica en el archivo con su expediente.",
        "Ver la clasificación del expediente",
    )
    assert f'href="{dossier_url}#archivo"' in page.text
    for form in ("clasificar", "retencion", "prestamo"):
        assert f'action="{url}/{form}"' not in page.text
    assert 'name="series_code"' not in page.text
    # Posted all the same: refused on the page, in words.
    refused = submit(legal, url, f"{url}/clasificar", series_code="OFI")
    _spanish(
        refused,
        "Un documento que forma parte de un expediente se clasifica con su expediente.",
        status=409,
    )


def test_archivists_and_legal_staff_hold_a_filed_document(browser_as: Browser) -> None:
    legal, archivist, hr = browser_as("juridico"), browser_as("archivista"), browser_as("rrhh")
    url = _filed(legal, "Oficio a retener")
    for reader in (legal, archivist):
        page = reader.get(url)
        _spanish(page, "Registrar una retención legal sobre este documento")
        assert f'action="{url}/retencion"' in page.text
        assert "sobre este expediente" not in page.text
    assert f'action="{url}/retencion"' not in hr.get(url).text
    # Without its reason: refused on the page.
    empty = submit(archivist, url, f"{url}/retencion", reason=" ", authority=" ")
    _spanish(empty, "Hay un problema", status=400)
    assert "Retención legal vigente" not in page_text(empty.text)

    placed = submit(
        archivist,
        url,
        f"{url}/retencion",
        reason="Demanda en curso",
        authority="Juzgado Primero de lo Civil",
        reference="Causa 2026-0077",
    )
    location = redirected(placed, rf"{url}\?hecho=hold_placed#archivo")
    _spanish(
        archivist.get(location.split("#")[0]),
        "Retención legal registrada: lo que cubre no puede eliminarse.",
        "Retención legal vigente",
    )
    # Legal staff place one too (a second order on the same record).
    again = submit(
        legal, url, f"{url}/retencion", reason="Auditoría", authority="Contraloría General"
    )
    redirected(again, rf"{url}\?hecho=hold_placed#archivo")
    holds = legal.get("/archivo/retenciones")
    assert holds.status_code == 200
    assert page_text(holds.text).count("Oficio a retener vigente") == 2
    # Whoever may not hold is refused, in words.
    refused = submit(hr, url, f"{url}/retencion", reason="x", authority="y")
    _spanish(refused, "Hay un problema", status=403)


def test_another_office_asks_for_a_loan_from_the_documents_page(
    backend: Backend, browser_as: Browser
) -> None:
    """An internal letter every office reads, filed on its own by its office and held by
    the central archive: the phase is set in the database, as a whole primary transfer
    (signed inventory, the archive's acknowledgement) is
    tests/api/test_archive_lifecycle_pages.py's subject, not this page's."""
    legal, hr = browser_as("juridico"), browser_as("rrhh")
    url = _filed(legal, "Oficio archivado de 2020")
    with backend.services.sessions() as db:
        holding = db.query(ArchiveHolding).filter_by(document_id=uuid.UUID(url[-36:])).one()
        holding.phase = "central"
        db.commit()
    own = legal.get(url)
    _spanish(own, "Fase Archivo central")
    assert f'action="{url}/prestamo"' not in own.text
    # In the central archive its filing stays: no form to file it again.
    assert f'action="{url}/clasificar"' not in own.text

    page = hr.get(url)
    _spanish(page, "Solicitar un préstamo", "Fase Archivo central")
    assert f'action="{url}/prestamo"' in page.text
    empty = submit(hr, url, f"{url}/prestamo", reason=" ")
    _spanish(empty, "Indique el motivo.", status=400)
    asked = submit(hr, url, f"{url}/prestamo", reason="Consulta de antecedentes")
    location = redirected(asked, rf"{url}\?hecho=loan_requested#archivo")
    _spanish(hr.get(location.split("#")[0]), "Préstamo solicitado: el archivo decidirá.")
    twice = submit(hr, url, f"{url}/prestamo", reason="Otra vez")
    _spanish(twice, "Su unidad ya lo ha solicitado.", status=409)
    loans = browser_as("archivista").get("/archivo/prestamos")
    assert "Oficio archivado de 2020 solicitado" in page_text(loans.text)
    assert "Motivo Consulta de antecedentes" in page_text(loans.text)


def test_the_hold_card_in_english(browser_as: Browser) -> None:
    legal = browser_as("juridico")
    url = _filed(legal, "Oficio en inglés")
    text = page_text(legal.get(url, params={"lang": "en"}).text)
    assert "Place a legal hold on this document" in text
    assert "Classification in the archive" in text
    legal.get(url, params={"lang": "es"})
