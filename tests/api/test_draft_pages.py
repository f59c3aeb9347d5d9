"""Drafts and versions from the pages: an official uploads a document into a dossier, adds
a version with its reason and downloads each version, with her web session only; what
she types survives an error, and another department cannot add versions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"drafts-{request.param}"), request
    )
    yield built
    built.services.close()


def test_upload_a_draft_into_a_dossier_then_a_new_version(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    dossier = client.post(
        "/api/v1/dossiers",
        headers=auth("juridico"),
        json={"title": "Expediente de la resolución de becas", "confidentiality": "internal"},
    )
    assert dossier.status_code == 201, dossier.text
    dossier_id = dossier.json()["id"]

    legal = browser_as("juridico")
    home = legal.get("/")
    assert 'href="/documentos/nuevo"' in home.text and "/api/" not in home.text
    form = legal.get("/documentos/nuevo")
    assert form.status_code == 200 and "Subir un documento" in form.text
    assert f'<option value="{dossier_id}"' in form.text
    draft = unique_pdf("Proyecto de resolución de becas")
    fields = {
        "csrf_token": csrf_of(form.text),
        "title": "",
        "doc_type": "resolution",
        "subject": "Becas de movilidad 2027",
        "confidentiality": "internal",
        "dossier_id": dossier_id,
    }
    files = {"file": ("proyecto.pdf", draft, "application/pdf")}
    refused = legal.post("/documentos/nuevo", data=fields, files=files)
    assert refused.status_code == 400 and "Revise los campos" in refused.text
    assert "Becas de movilidad 2027" in refused.text  # kept
    assert '<option value="resolution" selected>' in refused.text
    assert f'<option value="{dossier_id}" selected>' in refused.text

    done = legal.post(
        "/documentos/nuevo",
        data={**fields, "title": "Proyecto de resolución de becas"},
        files=files,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    found = re.fullmatch(r"/documentos/([0-9a-f-]+)\?hecho=uploaded", location)
    assert found, location
    document_id = found.group(1)
    page = legal.get(location)
    assert "Documento subido: esta es su versión 1." in page.text
    assert "Subir una nueva versión" in page.text
    in_dossier = legal.get(f"/expedientes/{dossier_id}")
    assert f'href="/documentos/{document_id}"' in in_dossier.text

    # A version needs its reason; the page says so and nothing is added.
    token = csrf_of(page.text)
    corrected = unique_pdf("Proyecto de resolución de becas, corregido")
    version_files = {"file": ("corregido.pdf", corrected, "application/pdf")}
    no_reason = legal.post(
        f"/documentos/{document_id}/versiones",
        data={"csrf_token": token, "reason": " "},
        files=version_files,
    )
    assert no_reason.status_code == 400 and "Proyecto de resolución de becas" in no_reason.text
    added = legal.post(
        f"/documentos/{document_id}/versiones",
        data={"csrf_token": token, "reason": "Corregido tras la revisión jurídica"},
        files=version_files,
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/documentos/{document_id}?hecho=version_added"
    page = legal.get(added.headers["location"])
    assert "Nueva versión subida." in page.text
    assert "Corregido tras la revisión jurídica" in page.text
    assert "/api/" not in page.text  # downloads through the pages
    for number, content in ((1, draft), (2, corrected)):
        got = legal.get(f"/documentos/{document_id}/versiones/{number}/descargar")
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(content).hexdigest()
    latest = legal.get(f"/documentos/{document_id}/descargar")
    assert latest.content == corrected

    # Another department reads it (internal) but adds no version.
    finance = browser_as("financiero")
    seen = finance.get(f"/documentos/{document_id}")
    assert seen.status_code == 200 and "Subir una nueva versión" not in seen.text
    forged = finance.post(
        f"/documentos/{document_id}/versiones",
        data={"csrf_token": csrf_of(seen.text), "reason": "ajeno"},
        files=version_files,
        headers=HTML,
    )
    assert forged.status_code == 403
    assert (
        client.get(f"/api/v1/documents/{document_id}", headers=auth("juridico")).json()[
            "latest_version"
        ]["number"]
        == 2
    )
