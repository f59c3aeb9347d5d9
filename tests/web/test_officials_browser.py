"""Officials in a real browser (Debian's Chromium through Playwright): log in, find the
line in the inbox, type a wrong PIN and then the right one, and see it signed; a
department acknowledges a received transfer; the control board draws its charts.
Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from tests.support.accounts import login
from tests.support.backends import Backend, build_backend
from tests.support.browser import PHONE, recorded, requires_chromium, screenshot
from tests.support.live_server import LiveServer
from tests.support.pdfs import unique_pdf

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("officials"), request, pki=True)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def api(backend: Backend) -> Iterator[TestClient]:
    with TestClient(create_app(backend.settings, backend.services)) as client:
        yield client


def _log_in(page: Page, live: LiveServer, username: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/bandeja")


def test_an_official_signs_a_line_from_the_inbox(
    browser: Browser, live: LiveServer, api: TestClient
) -> None:
    requester = login(api, "preparador")
    document = api.post(
        "/api/v1/documents",
        headers=requester,
        data={"doc_type": "letter", "title": "Oficio de convocatoria"},
        files={"file": ("o.pdf", unique_pdf("Oficio"), "application/pdf")},
    ).json()["id"]
    line = api.post(
        "/api/v1/signing-lines",
        headers=requester,
        json={
            "document_id": document,
            "steps": [{"role_label": "aprobado", "signers": [{"user": "programas"}]}],
        },
    ).json()

    session = recorded(browser)
    page = session.page()
    _log_in(page, live, "programas")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bandeja de entrada")
    to_sign = page.locator("section[aria-labelledby='to-sign']")
    to_sign.get_by_role("link", name="Oficio de convocatoria").click()
    page.wait_for_url(f"**/firmas/{line['id']}")
    page.get_by_label("PIN de firma").fill("0000")
    page.get_by_role("button", name="Firmar ahora").click()
    expect(page.get_by_role("alert")).to_contain_text("PIN incorrecto.")
    screenshot(page, "firma-pin-incorrecto")
    page.get_by_label("PIN de firma").fill(DEMO_PIN)
    page.get_by_role("button", name="Firmar ahora").click()
    page.wait_for_url("**/bandeja?hecho=signed")
    expect(page.get_by_role("status")).to_contain_text("Firmado.")
    screenshot(page, "bandeja-firmado")
    state = api.get(f"/api/v1/signing-lines/{line['id']}", headers=requester).json()
    assert state["status"] == "signed"
    assert all(url.startswith(live.url) for url in session.requests)
    session.context.close()


def test_a_department_acknowledges_a_transfer_and_the_board_draws(
    browser: Browser, live: LiveServer, api: TestClient
) -> None:
    legal = login(api, "juridico")
    document = api.post(
        "/api/v1/documents",
        headers=legal,
        data={"doc_type": "request", "title": "Pedido de expediente"},
        files={"file": ("p.pdf", unique_pdf("Pedido"), "application/pdf")},
    ).json()["id"]
    sent = api.post(
        "/api/v1/transfers",
        headers=legal,
        json={
            "document_id": document,
            "to_department": "DRH",
            "purpose": "action",
            "instructions": "Remitir el expediente laboral.",
            "deadline_days": 5,
            "pin": DEMO_PIN,
        },
    )
    assert sent.status_code == 201, sent.text

    session = recorded(browser)
    page = session.page()
    _log_in(page, live, "rrhh")
    item = page.locator("li.card", has_text="Remitir el expediente laboral.")
    expect(item).to_contain_text("Para trámite")
    item.get_by_label("PIN de firma").fill(DEMO_PIN)
    item.get_by_role("button", name="Acusar recibo firmado").click()
    page.wait_for_url("**/bandeja?hecho=acknowledged")
    expect(page.get_by_role("status")).to_contain_text("Recibo firmado y registrado.")

    page.get_by_role("link", name="Tablero").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tablero de control")
    # An official's board covers her department: HR's figures, HR's receipt.
    expect(page.locator("main")).to_contain_text("Cifras de su unidad: DRH.")
    expect(page.get_by_role("heading", name="Firmas por funcionario")).to_be_visible()
    expect(
        page.get_by_role("img", name="Mediana del tiempo de respuesta a remisiones")
    ).to_be_visible()
    screenshot(page, "tablero")
    # Keyboard: the first control after the skip link is the skip link itself.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "govuk-skip-link"
    assert all(url.startswith(live.url) for url in session.requests)
    session.context.close()


def test_on_a_phone_the_inbox_is_compact_and_tappable(
    browser: Browser, live: LiveServer, api: TestClient
) -> None:
    """On a phone the signed-in header stays small, the batch checkboxes are large, sit on
    their titles' line and toggle by their titles, and "select all" ticks every line."""
    requester = login(api, "preparador")
    for n in (1, 2):
        document = api.post(
            "/api/v1/documents",
            headers=requester,
            data={"doc_type": "letter", "title": f"Oficio móvil {n}"},
            files={"file": ("o.pdf", unique_pdf(f"Oficio móvil {n}"), "application/pdf")},
        )
        assert document.status_code == 201, document.text
        line = api.post(
            "/api/v1/signing-lines",
            headers=requester,
            json={
                "document_id": document.json()["id"],
                "steps": [{"signers": [{"user": "programas"}]}],
            },
        )
        assert line.status_code == 201, line.text
    session = recorded(browser, **PHONE)
    page = session.page()
    _log_in(page, live, "programas")
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] <= 915 * 0.25, header
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 412, width
    first = page.get_by_label("Elegir para firmar en lote: Oficio móvil 1")
    box, label = (
        first.bounding_box(),
        page.locator("label", has_text="Oficio móvil 1").bounding_box(),
    )
    assert box is not None and label is not None
    assert box["width"] >= 20 and box["height"] >= 20
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 16
    page.locator("label", has_text="Oficio móvil 1").click()
    expect(first).to_be_checked()
    screenshot(page, "bandeja-movil")
    page.get_by_role("link", name="Seleccionar todas").click()
    for n in (1, 2):
        expect(page.get_by_label(f"Elegir para firmar en lote: Oficio móvil {n}")).to_be_checked()
    session.context.close()
