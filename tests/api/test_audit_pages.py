"""The audit trail in the pages, for auditors only: filters by who, what, department and
dates, pages of events worded in Spanish, and the CSV export with the same filters."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.backends import Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("audit-pages"), request)
    yield built
    built.services.close()


def test_an_auditor_filters_and_exports_the_trail(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    for title in ("Memorando de auditoría 1", "Memorando de auditoría 2"):
        created = client.post(
            "/api/v1/documents",
            headers=auth("juridico"),
            data={"doc_type": "report", "title": title},
            files={"file": ("m.pdf", unique_pdf(title), "application/pdf")},
        )
        assert created.status_code == 201, created.text

    auditor = browser_as("auditora")
    page = auditor.get("/auditoria")
    assert page.status_code == 200 and "Registro de auditoría" in page.text
    assert (
        "Documento subido" in page.text and "document.create" not in page.text.split("<tbody", 1)[1]
    )
    filtered = auditor.get(
        "/auditoria",
        params={"quien": "juridico", "accion": "document.create", "departamento": "DAJ"},
    )
    body = filtered.text.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr") >= 2 and body.count("Documento subido") == body.count("<tr")
    assert re.search(r"<p[^>]*>\d+ eventos</p>", filtered.text)
    nobody = auditor.get("/auditoria", params={"quien": "nadie"})
    assert "Ningún evento coincide." in nobody.text
    bad = auditor.get("/auditoria", params={"desde": "ayer"})
    assert bad.status_code == 400

    exported = auditor.get(
        "/auditoria.csv", params={"quien": "juridico", "accion": "document.create"}
    )
    assert exported.status_code == 200
    assert "registro-de-auditoria.csv" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["momento (UTC)", "usuario", "acción"]
    assert len(rows) >= 3 and all(
        r[1] == "juridico" and r[2] == "document.create" for r in rows[1:]
    )
    # Consulting and exporting are events themselves.
    again = auditor.get("/auditoria", params={"accion": "audit.export"})
    assert "Exportación del registro de auditoría" in again.text.split("<tbody", 1)[1]

    official = browser_as("juridico")
    refused = official.get("/auditoria", headers={"accept": "text/html"})
    assert refused.status_code == 403 and "No tiene acceso a esta página" in refused.text
    assert official.get("/auditoria.csv").status_code == 403
    assert 'href="/auditoria"' not in official.get("/bandeja").text
    assert 'href="/auditoria"' in auditor.get("/bandeja").text
