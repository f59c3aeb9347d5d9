"""Scenario B in the pages (over HTTP, with the web session only): the preparer opens a
payment dossier, uploads its documents into it and puts them in order, asks for two steps
of signatures (a person, then a position); the signer sees the documents before the PIN;
the financial director returns it, the preparer corrects a document and sends it again;
it is signed, sealed, and the preparer closes the dossier. And an official names a
stand-in for a date range."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PIN
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.jobs import wait_for_seal
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"dossier-pages-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _upload(browser: TestClient, title: str, dossier_id: str) -> str:
    form = browser.get(f"/documentos/nuevo?expediente={dossier_id}")
    assert f'<option value="{dossier_id}" selected>' in form.text  # chosen from the dossier
    done = browser.post(
        "/documentos/nuevo",
        data={
            "csrf_token": csrf_of(form.text),
            "title": title,
            "doc_type": "payment_order",
            "confidentiality": "internal",
            "dossier_id": dossier_id,
        },
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    found = re.search(r"/documentos/([0-9a-f-]+)\?", done.headers["location"])
    assert found
    return found.group(1)


def _titles_in_order(page: str) -> list[str]:
    table = page.split('id="documentos"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a [^>]*href="/documentos/[0-9a-f-]+">([^<]+)</a>', table)


def test_the_payment_dossier_from_the_pages(
    browser_as: Callable[[str], TestClient], backend: Backend
) -> None:
    preparer = browser_as("preparador")
    listing = preparer.get("/expedientes")
    refused = preparer.post(
        "/expedientes",
        data={"csrf_token": csrf_of(listing.text), "title": "", "subject": "Pago de becas"},
    )
    assert refused.status_code == 400 and "Pago de becas" in refused.text
    opened = preparer.post(
        "/expedientes",
        data={
            "csrf_token": csrf_of(listing.text),
            "title": "Pago de becas, lote 7",
            "subject": "Pago de becas",
            "confidentiality": "internal",
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303
    dossier_id = re.search(r"/expedientes/([0-9a-f-]+)\?", opened.headers["location"]).group(1)  # type: ignore[union-attr]
    assert "Expediente abierto." in preparer.get(opened.headers["location"]).text

    first = _upload(preparer, "Orden de pago 7", dossier_id)
    _upload(preparer, "Informe de conformidad 7", dossier_id)
    page = preparer.get(f"/expedientes/{dossier_id}")
    assert _titles_in_order(page.text) == ["Orden de pago 7", "Informe de conformidad 7"]
    moved = preparer.post(
        f"/expedientes/{dossier_id}/documentos/{first}/mover",
        data={"csrf_token": csrf_of(page.text), "position": "2"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    page = preparer.get(f"/expedientes/{dossier_id}")
    assert _titles_in_order(page.text) == ["Informe de conformidad 7", "Orden de pago 7"]
    assert f'href="/firmas/nueva?expediente={dossier_id}"' in page.text

    builder = preparer.get(f"/firmas/nueva?expediente={dossier_id}")
    assert builder.status_code == 200 and 'value="position:DF:DIR-DF"' in builder.text
    empty = preparer.post(
        "/firmas/nueva",
        data={"csrf_token": csrf_of(builder.text), "expediente": dossier_id, "title": "x"},
    )
    assert empty.status_code == 400 and "al menos un paso" in empty.text
    deadline = (date.today() + timedelta(days=10)).isoformat()
    asked = preparer.post(
        "/firmas/nueva",
        data={
            "csrf_token": csrf_of(builder.text),
            "expediente": dossier_id,
            "title": "Pago de becas, lote 7",
            "step1_signers": "user:preparador",
            "step1_mode": "all",
            "step1_role": "prepared",
            "step2_signers": "position:DF:DIR-DF",
            "step2_mode": "any",
            "step2_role": "approved",
            "step2_deadline": deadline,
        },
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    line_url = asked.headers["location"].split("?")[0]
    line = preparer.get(asked.headers["location"])
    assert "Firmas pedidas" in line.text
    # What is signed is in view before the PIN: both documents, a preview and the PDF.
    before_pin = line.text.split('id="pin"', 1)[0]
    assert "Lo que se le pide firmar: 2 documentos" in before_pin
    assert before_pin.count("/paginas/1.png") == 2 and before_pin.count("/descargar") == 2
    signed = preparer.post(
        f"{line_url}/firmar",
        data={"csrf_token": csrf_of(line.text), "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text

    director = browser_as("financiero")
    his = director.get(line_url)
    assert "Informe de conformidad 7" in his.text and 'id="pin"' in his.text
    preview = re.search(r'src="(/documentos/[^"]+/paginas/1\.png)"', his.text)
    assert preview and director.get(preview.group(1)).headers["content-type"] == "image/png"
    returned = director.post(
        f"{line_url}/rechazar",
        data={"csrf_token": csrf_of(his.text), "reason": "Falta la firma del analista"},
        follow_redirects=False,
    )
    assert returned.status_code == 303
    seen = preparer.get(line_url)
    assert "ya no se espera: la línea fue devuelta" in seen.text
    assert "Volver a enviar a firma" in seen.text and 'id="pin"' not in seen.text

    # The preparer corrects the order of payment (a new version), then sends it again.
    document = preparer.get(f"/documentos/{first}")
    version = preparer.post(
        f"/documentos/{first}/versiones",
        data={"csrf_token": csrf_of(document.text), "reason": "Con la firma del analista"},
        files={"file": ("c.pdf", unique_pdf("Orden de pago 7, corregida"), "application/pdf")},
        follow_redirects=False,
    )
    assert version.status_code == 303
    again = preparer.post(
        f"{line_url}/reenviar", data={"csrf_token": csrf_of(seen.text)}, follow_redirects=False
    )
    assert again.status_code == 303
    assert "Reenviado" in preparer.get(again.headers["location"]).text
    for official in (preparer, director):
        turn = official.get(line_url)
        done = official.post(
            f"{line_url}/firmar",
            data={"csrf_token": csrf_of(turn.text), "pin": DEMO_PIN},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    # The signatures are recorded at once; the index is made and signed by a job.
    page = preparer.get(f"/expedientes/{dossier_id}")
    if "ver el índice firmado" not in page.text:
        assert "govuk-tag--blue" in page.text or "govuk-tag--yellow" in page.text
        assert 'action="/expedientes/' + dossier_id + '/documentos"' not in page.text  # frozen
    wait_for_seal(backend.services.sessions, dossier_id)
    page = preparer.get(f"/expedientes/{dossier_id}")
    assert "ver el índice firmado" in page.text  # sealed by its signed index
    assert re.search(r"Pago de becas, lote 7</a>\s*<strong[^>]*>firmada</strong>", page.text)
    closed = preparer.post(
        f"/expedientes/{dossier_id}/cerrar",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    page = preparer.get(closed.headers["location"])
    assert "Expediente cerrado." in page.text and "Cerrar el expediente" not in page.text


def test_an_official_names_a_stand_in(browser_as: Callable[[str], TestClient]) -> None:
    minister = browser_as("ministra")
    page = minister.get("/suplencias")
    start, end = date.today() + timedelta(days=1), date.today() + timedelta(days=5)
    backwards = minister.post(
        "/suplencias",
        data={
            "csrf_token": csrf_of(page.text),
            "substitute": "viceministro",
            "starts_on": end.isoformat(),
            "ends_on": start.isoformat(),
        },
    )
    assert backwards.status_code == 400
    assert '<option value="viceministro" selected>' in backwards.text
    named = minister.post(
        "/suplencias",
        data={
            "csrf_token": csrf_of(page.text),
            "substitute": "viceministro",
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
        },
        follow_redirects=False,
    )
    assert named.status_code == 303
    listed = minister.get(named.headers["location"]).text
    assert "Suplencia designada." in listed and "viceministro" in listed
    # The stand-in sees it too.
    assert "ministra" in browser_as("viceministro").get("/suplencias").text


def test_a_seal_waiting_for_a_pin_is_made_from_the_dossier_page(
    browser_as: Callable[[str], TestClient], backend: Backend
) -> None:
    """The line completed while no job runner was alive: the page says the seal waits and
    offers the PIN form; her PIN queues it, and the page then links the signed index."""
    preparer = browser_as("preparador")  # its application runs a job runner
    # A process whose runners all look gone (none seen within zero seconds).
    lonely = TestClient(
        create_app(backend.settings.model_copy(update={"job_stale_seconds": 0.0}), backend.services)
    )
    headers = login(lonely, "preparador")
    dossier = lonely.post(
        "/api/v1/dossiers", headers=headers, json={"title": "Expediente sellado desde la página"}
    ).json()
    document = lonely.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "report", "title": "Informe sellado desde la página"},
        files={"file": ("i.pdf", unique_pdf("sellado desde la página"), "application/pdf")},
    ).json()
    added = lonely.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=headers,
        json={"document_id": document["id"]},
    )
    assert added.status_code == 201, added.text
    line = lonely.post(
        "/api/v1/signing-lines",
        headers=headers,
        json={"dossier_id": dossier["id"], "steps": [{"signers": [{"user": "preparador"}]}]},
    ).json()
    signed = lonely.post(
        f"/api/v1/signing-lines/{line['id']}/sign", headers=headers, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 200, signed.text

    url = f"/expedientes/{dossier['id']}"
    page = preparer.get(url)
    assert f'action="{url}/sellar"' in page.text and "govuk-tag--yellow" in page.text
    assert f'action="{url}/documentos"' not in page.text  # frozen until it is sealed
    done = preparer.post(
        f"{url}/sellar",
        data={"csrf_token": csrf_of(page.text), "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{url}?hecho=seal_requested"
    wait_for_seal(backend.services.sessions, dossier["id"])
    page = preparer.get(url)
    assert "ver el índice firmado" in page.text and f"{url}/sellar" not in page.text
