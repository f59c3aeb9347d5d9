"""Search and document pages over HTTP: filters, the document's facts, versions,
signatures and page previews (PDFium in a child process), signing from the page with the
PIN; what one may not read stays out of sight."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
HOSTILE = "Informe <img src=x onerror=alert(1)> anual"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"docs-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _create(client: TestClient, headers: dict[str, str], title: str, **data: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "report", "title": title, **data},
        files={"file": ("i.pdf", unique_pdf(title, paragraphs=80), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_search_filters_and_the_document_page(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    legal = auth("juridico")
    report = _create(client, legal, HOSTILE)
    _create(client, legal, "Informe reservado de personal", confidentiality="confidential")
    hr_secret = _create(client, auth("rrhh"), "Sumario de RRHH", confidentiality="confidential")

    official = browser_as("juridico")
    found = official.get(
        "/buscar", params={"q": "Informe", "doc_type": "report", "department": "DAJ"}
    )
    assert found.status_code == 200
    assert f'href="/documentos/{report}"' in found.text
    assert "<img src=x" not in found.text and "&lt;img src=x onerror=alert(1)&gt;" in found.text
    assert "Sumario de RRHH" not in official.get("/buscar", params={"q": "Sumario"}).text
    assert official.get("/buscar", params={"from": "no es fecha"}).status_code == 400
    # What she may not read is answered as not there, on a page that says so.
    hidden = official.get(f"/documentos/{hr_secret}", headers={"accept": "text/html"})
    assert hidden.status_code == 404 and "Página no encontrada" in hidden.text
    assert "Sumario de RRHH" not in hidden.text

    page = official.get(f"/documentos/{report}")
    assert page.status_code == 200
    assert "Historial de versiones" in page.text and "Vista previa" in page.text
    previews = re.findall(r'src="(/documentos/[^"]+\.png)"', page.text)
    assert len(previews) == 3  # the first three of its pages
    png = official.get(previews[0])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    image = Image.open(io.BytesIO(png.content))
    assert image.size[0] == 744  # A4 at the preview scale
    assert official.get(previews[0]).content == png.content  # from the cache
    missing = official.get(previews[0].replace("/paginas/1.png", "/paginas/99.png"))
    assert missing.status_code == 404
    with TestClient(
        create_app(client.app.state.services.settings, client.app.state.services)
    ) as anonymous:  # type: ignore[attr-defined]
        assert anonymous.get(previews[0]).status_code == 401

    token = csrf_of(page.text)
    wrong = official.post(f"/documentos/{report}/firmar", data={"csrf_token": token, "pin": "1"})
    assert wrong.status_code == 403 and "PIN incorrecto." in wrong.text
    signed = official.post(
        f"/documentos/{report}/firmar",
        data={"csrf_token": token, "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    after = official.get(signed.headers["location"]).text
    assert "Firmado." in after and "Lucía Fernández" in after
    code = re.search(r'href="/verificar/([0-9A-Z-]{19})"', after)
    assert code  # the verification code, once signed
    assert after.count("/descargar") >= 3  # the latest, and each of both versions
    # The signed version's preview shows the stamp (a form field's appearance): exactly one
    # page, the one stamped, differs from the unsigned version's.
    base = f"/documentos/{report}/versiones"
    changed, number = [], 1
    while (before := official.get(f"{base}/1/paginas/{number}.png")).status_code == 200:
        if before.content != official.get(f"{base}/2/paginas/{number}.png").content:
            changed.append(number)
        number += 1
    assert number > 2 and len(changed) == 1, (number, changed)


def test_the_dossier_view_lists_its_documents(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    legal = auth("juridico")
    dossier = client.post(
        "/api/v1/dossiers",
        headers=legal,
        json={"title": "Expediente de contratación 12", "confidentiality": "confidential"},
    )
    assert dossier.status_code == 201, dossier.text
    dossier_id = dossier.json()["id"]
    titles = ["Memorando de inicio", "Informe técnico"]
    for title in titles:
        added = client.post(
            f"/api/v1/dossiers/{dossier_id}/items",
            headers=legal,
            json={"document_id": _create(client, legal, title)},
        )
        assert added.status_code == 201, added.text
    viewer = browser_as("juridico")
    listing = viewer.get("/expedientes")
    assert listing.status_code == 200 and f'href="/expedientes/{dossier_id}"' in listing.text
    page = viewer.get(f"/expedientes/{dossier_id}")
    assert page.status_code == 200
    for title in titles:
        assert title in page.text
    table = page.text.split('id="documentos"', 1)[1].split("</table>", 1)[0]
    assert table.count('href="/documentos/') == 2
    assert "sin sellar" in page.text
    outsider = browser_as("rrhh")
    hidden = outsider.get(f"/expedientes/{dossier_id}", headers={"accept": "text/html"})
    assert hidden.status_code == 404 and "Página no encontrada" in hidden.text
