"""Public verification in a real browser (Debian's Chromium through Playwright): someone at
a court uploads the PDF they received, reads the verdict in green, amber or red, downloads
the sealed report; someone with a phone scans the QR code and reads the public record.
Nothing is loaded from outside the service. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from pyhanko.sign.general import load_cert_from_pemder

from docsvc.demo.seed import DEMO_PIN
from signing.verification import VerificationPolicy, verify
from tests.support.accounts import login
from tests.support.backends import Backend, build_backend
from tests.support.browser import PHONE, recorded, requires_chromium, screenshot
from tests.support.live_server import LiveServer
from tests.support.pdfs import unique_pdf

DATA = Path(__file__).parents[1] / "data"
pytestmark = requires_chromium


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("browser"), request, pki=True)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def signed(backend: Backend, live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A public resolution, signed (with its stamp and QR code) through the live server."""
    from docsvc.app import create_app

    settings = backend.settings.model_copy(update={"public_url": live.url})
    with TestClient(create_app(settings, backend.services)) as client:
        legal = login(client, "juridico")
        created = client.post(
            "/api/v1/documents",
            headers=legal,
            data={
                "doc_type": "resolution",
                "title": "Resolución de becas 2027",
                "confidentiality": "public",
            },
            files={"file": ("r.pdf", unique_pdf("Resolución de becas"), "application/pdf")},
        )
        doc_id = created.json()["id"]
        signature = client.post(
            f"/api/v1/documents/{doc_id}/signatures",
            headers=legal,
            json={"pin": DEMO_PIN, "visible": True},
        )
        assert signature.status_code == 201, signature.text
        content = client.get(
            f"/api/v1/documents/{doc_id}/versions/2/content", headers=legal
        ).content
    path = tmp_path_factory.mktemp("signed") / "resolucion-recibida.pdf"
    path.write_bytes(content)
    return {"path": path, **signature.json()}


def _only_local(requests: list[str], live: LiveServer) -> None:
    outside = [url for url in requests if not url.startswith(live.url)]
    assert requests and not outside, outside


def test_a_court_verifies_an_upload_and_downloads_the_sealed_report(
    browser: Browser, live: LiveServer, backend: Backend, signed: dict, tmp_path: Path
) -> None:
    session = recorded(browser)
    page = session.page()
    page.goto(f"{live.url}/verificar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verificar un documento firmado")
    page.get_by_label("Documento PDF").set_input_files(str(signed["path"]))
    page.get_by_role("button", name="Verificar").click()
    page.wait_for_url("**/verificar/resultado/**")
    verdict = page.locator(".notice-valid")
    expect(verdict).to_contain_text("Resultado del documento: Válida")
    expect(page.locator(".signature-valid")).to_contain_text("Lucía Fernández")
    expect(page.locator(".copy")).to_contain_text("Es idéntico, bit a bit")
    # Green: the verdict's colour, beside its word and symbol.
    assert verdict.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(229, 241, 235)"
    screenshot(page, "verificacion-valida")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Informe sellado por la institución (PDF)").click()
    report = tmp_path / "informe.pdf"
    download_info.value.save_as(report)
    root = load_cert_from_pemder(str(backend.settings.pki_dir / "root.pem")).dump()
    # Playwright's sync API keeps an event loop in this thread; pyHanko needs its own.
    with ThreadPoolExecutor(1) as thread:
        sealed = thread.submit(verify, report, VerificationPolicy([root])).result().report
    assert sealed.verdict == "valid" and "Sello electrónico" in sealed.signatures[0].signer.name
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Informe de validación ETSI TS 119 102-2 (XML)").click()
    assert download_info.value.suggested_filename == "informe-etsi.xml"

    page.get_by_role("link", name="English").click()
    expect(page.locator(".notice-valid")).to_contain_text("Document result: Valid")
    _only_local(session.requests, live)
    session.context.close()


def test_an_attack_is_red_and_an_unknown_signer_amber(browser: Browser, live: LiveServer) -> None:
    session = recorded(browser)
    page = session.page()
    page.goto(f"{live.url}/verificar")
    page.get_by_label("Documento PDF").set_input_files(
        str(DATA / "shadow" / "attack_shadow_replace.pdf")
    )
    page.get_by_role("button", name="Verificar").click()
    notice = page.locator(".notice-invalid")
    expect(notice).to_contain_text("No válida")
    expect(page.locator(".reasons")).to_contain_text("El documento se modificó después de la firma")
    assert notice.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(251, 233, 232)"
    screenshot(page, "verificacion-ataque")

    page.get_by_role("link", name="Verificar otro documento").click()
    page.get_by_label("Documento PDF").set_input_files(
        str(DATA / "third_party" / "signed_by_endesive.pdf")
    )
    page.get_by_role("button", name="Verificar").click()
    amber = page.locator(".notice-indeterminate")
    expect(amber).to_contain_text("Indeterminada")
    assert amber.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 247, 219)"
    screenshot(page, "verificacion-indeterminada")
    _only_local(session.requests, live)
    session.context.close()


def test_a_file_from_another_product_shows_its_warnings_and_a_shadow_attack_its_field(
    browser: Browser, live: LiveServer
) -> None:
    """A LibreOffice-style file signed and extended elsewhere: the verdict, and what was read
    leniently, in Spanish. Then a form field's appearance replaced after signing: red,
    naming the field."""
    session = recorded(browser)
    page = session.page()
    page.goto(f"{live.url}/verificar")
    page.get_by_label("Documento PDF").set_input_files(
        str(DATA / "corpus" / "lenient_libreoffice_additional_streams_blt.pdf")
    )
    page.get_by_role("button", name="Verificar").click()
    warnings = page.locator("section.warnings")
    expect(warnings).to_contain_text("Advertencias sobre el archivo")
    expect(warnings).to_contain_text("que no existe; se leyó como nulo")
    screenshot(page, "verificacion-advertencias")

    page.get_by_role("link", name="Verificar otro documento").click()
    page.get_by_label("Documento PDF").set_input_files(
        str(DATA / "shadow" / "attack_shadow_replace_via_form_appearance.pdf")
    )
    page.get_by_role("button", name="Verificar").click()
    expect(page.locator(".notice-invalid")).to_contain_text("No válida")
    expect(page.locator(".reasons")).to_contain_text(
        "La apariencia del campo de formulario 'Monto' se reemplazó después de la firma"
    )
    screenshot(page, "verificacion-apariencia-reemplazada")
    _only_local(session.requests, live)
    session.context.close()


def test_a_phone_follows_the_qr_code_to_the_public_record(
    browser: Browser, live: LiveServer, signed: dict
) -> None:
    assert signed["verification_url"].startswith(live.url)
    session = recorded(browser, **PHONE)
    page = session.page()
    page.goto(signed["verification_url"])  # what the QR code in the stamp holds
    expect(page.get_by_role("heading", level=1)).to_have_text("Registro público del documento")
    expect(page.locator(".doc-title")).to_have_text("Resolución de becas 2027")
    expect(page.locator("main")).to_contain_text("Lucía Fernández")
    # Nothing wider than the phone's screen: no sideways scrolling.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 412, width
    screenshot(page, "registro-publico-movil")
    expect(page.get_by_role("link", name="Descargar el documento")).to_be_visible()
    _only_local(session.requests, live)
    session.context.close()


def test_the_code_form_works_from_the_keyboard(
    browser: Browser, live: LiveServer, signed: dict
) -> None:
    session = recorded(browser, **PHONE)
    page = session.page()
    page.goto(f"{live.url}/verificar")
    page.get_by_label("Código de verificación").focus()
    page.keyboard.type(signed["verification_code"].lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/verificar/{signed['verification_code']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registro público del documento")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    page.goto(f"{live.url}/verificar")
    form_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert max(width, form_width) <= 412
    screenshot(page, "formulario-movil")
    session.context.close()
