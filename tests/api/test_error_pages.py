"""A browser asking for a page gets an error page in its language; the API's callers keep
their JSON, whatever they accept."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from tests.support.backends import Backend, build_backend

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("error-pages"), request)
    yield built
    built.services.close()


@pytest.fixture
def anonymous(backend: Backend) -> Iterator[TestClient]:
    with TestClient(create_app(backend.settings, backend.services)) as client:
        yield client


def test_an_unknown_address_is_a_page_in_spanish_for_a_browser(anonymous: TestClient) -> None:
    response = anonymous.get("/no-existe", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert ">Página no encontrada</h1>" in response.text
    assert 'href="/verificar"' in response.text and '"error"' not in response.text
    english = anonymous.get("/no-existe?lang=en", headers=HTML)
    assert english.status_code == 404 and ">Page not found</h1>" in english.text


def test_the_api_keeps_json_even_for_a_browser(anonymous: TestClient) -> None:
    for path in ("/api/v1/no-existe", "/pki/no-existe"):
        response = anonymous.get(path, headers=HTML)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # A program asking for a page address without accepting HTML gets JSON too.
    plain = anonymous.get("/no-existe", headers={"accept": "application/json"})
    assert plain.status_code == 404 and plain.json()["error"]["code"] == "not_found"


def test_a_record_that_is_not_there_is_a_page(
    anonymous: TestClient, browser_as: Callable[[str], TestClient]
) -> None:
    official = browser_as("juridico")
    response = official.get(f"/documentos/{uuid.uuid4()}", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Error 404" in response.text and '{"error"' not in response.text
    # The public verifier's unknown code, too.
    unknown = anonymous.get("/verificar/ZZZZ-ZZZZ-ZZZZ", headers=HTML)
    assert unknown.headers["content-type"].startswith("text/html")


def test_the_icon_is_served(anonymous: TestClient) -> None:
    icon = anonymous.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = anonymous.get("/login")
    assert 'rel="icon"' in page.text and 'href="/verificar"' in page.text
