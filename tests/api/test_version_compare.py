"""Two versions of a document side by side in the pages: the one before the latest and the
latest by default, any two on request, each with its previews, reason and download."""

from __future__ import annotations

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
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("compare"), request)
    yield built
    built.services.close()


def test_two_versions_side_by_side(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    legal = auth("juridico")
    created = client.post(
        "/api/v1/documents",
        headers=legal,
        data={
            "doc_type": "resolution",
            "title": "Resolución de becas",
            "confidentiality": "confidential",
        },
        files={"file": ("v1.pdf", unique_pdf("primera"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    for n, reason in ((2, "Corregida tras la revisión"), (3, "Con el anexo de cuantías")):
        added = client.post(
            f"/api/v1/documents/{document_id}/versions",
            headers=legal,
            data={"reason": reason},
            files={"file": (f"v{n}.pdf", unique_pdf(f"versión {n}"), "application/pdf")},
        )
        assert added.status_code == 201, added.text

    browser = browser_as("juridico")
    page = browser.get(f"/documentos/{document_id}/comparar")
    assert page.status_code == 200
    text = page.text
    assert "Comparar versiones" in text
    document_page = browser.get(f"/documentos/{document_id}").text
    assert f'href="/documentos/{document_id}/comparar"' in document_page
    # By default: version 2 beside version 3.
    assert "/versiones/2/paginas/1.png" in text and "/versiones/3/paginas/1.png" in text
    assert "/versiones/1/paginas/1.png" not in text
    assert "Corregida tras la revisión" in text and "Con el anexo de cuantías" in text
    for number in (2, 3):
        preview = browser.get(f"/documentos/{document_id}/versiones/{number}/paginas/1.png")
        assert preview.status_code == 200 and preview.content[:8] == b"\x89PNG\r\n\x1a\n"
    chosen = browser.get(f"/documentos/{document_id}/comparar", params={"a": "1", "b": "3"})
    assert "/versiones/1/paginas/1.png" in chosen.text
    assert "/versiones/2/paginas/1.png" not in chosen.text
    assert '<option value="1" selected>' in chosen.text
    # A version that does not exist falls back to the default instead of failing.
    odd = browser.get(f"/documentos/{document_id}/comparar", params={"a": "9", "b": "x"})
    assert odd.status_code == 200 and "/versiones/2/paginas/1.png" in odd.text
    # Someone who may not read the document sees no comparison either.
    outsider = browser_as("financiero").get(
        f"/documentos/{document_id}/comparar", headers={"accept": "text/html"}
    )
    assert outsider.status_code in (403, 404)
