"""The public address follows where the service is served unless it is set: the QR code
on a document signed on a non-default port leads to a page that answers; a configured
address that does not answer is reported."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import pypdfium2 as pdfium
import pytest
import zxingcpp

from docsvc.cli import public_address
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from tests.support.live_server import free_port
from tests.support.pdfs import unique_pdf
from tests.support.served import serving


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "http://127.0.0.1:18500"),
        ("0.0.0.0", "http://127.0.0.1:18500"),  # noqa: S104 - the address given to serve
        ("::1", "http://[::1]:18500"),
        ("registro.example.gob", "http://registro.example.gob:18500"),
    ],
)
def test_the_served_address_as_a_browser_writes_it(host: str, expected: str) -> None:
    assert public_address.served_url(host, 18500) == expected


def test_a_set_public_address_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCSVC_PUBLIC_URL", "https://registro.example.gob")
    assert public_address.follow_served_address("127.0.0.1", 18500) == (
        "https://registro.example.gob",
        True,
    )
    monkeypatch.delenv("DOCSVC_PUBLIC_URL")
    assert public_address.follow_served_address("127.0.0.1", 18500) == (
        "http://127.0.0.1:18500",
        False,
    )


def _qr_url(pdf: bytes) -> str:
    """The QR code on the signed document's stamp, read from its rendered page."""
    document = pdfium.PdfDocument(pdf)
    try:
        document.init_forms()  # the stamp is a form field's appearance
        page = document[len(document) - 1]  # the stamp is on the last page
        image = page.render(scale=4, may_draw_forms=True).to_pil()
    finally:
        document.close()
    codes = [code.text for code in zxingcpp.read_barcodes(image)]
    urls = [text for text in codes if text.startswith("http")]
    assert len(urls) == 1, codes
    return urls[0]


def test_the_qr_code_of_a_document_signed_on_another_port_leads_to_its_page(
    tmp_path: Path,
) -> None:
    with serving(tmp_path / "inst", demo=True, public_url=None) as served:
        assert served.base.rsplit(":", 1)[1] != "8000"
        with httpx.Client(base_url=served.base, timeout=120) as client:
            token = client.post(
                "/api/v1/auth/token", json={"username": "juridico", "password": DEMO_PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            created = client.post(
                "/api/v1/documents",
                headers=headers,
                data={"doc_type": "report", "title": "Informe con código QR"},
                files={"file": ("i.pdf", unique_pdf("Informe con código QR"), "application/pdf")},
            )
            assert created.status_code == 201, created.text
            document_id = created.json()["id"]
            signed = client.post(
                f"/api/v1/documents/{document_id}/signatures",
                headers=headers,
                json={"pin": DEMO_PIN, "visible": True},
            )
            assert signed.status_code == 201, signed.text
            pdf = client.get(f"/api/v1/documents/{document_id}/content", headers=headers)
        url = _qr_url(pdf.content)
        assert url.startswith(f"{served.base}/verificar/"), url
        # Fetched as a phone would, with no session.
        landing = httpx.get(url, headers={"accept": "text/html"}, timeout=30)
        assert landing.status_code == 200
        assert url.rsplit("/", 1)[1] in landing.text  # the verification code it printed
        log = served.log.read_text()
        assert f"Public address: {served.base}" in log and "does not answer" not in log


def test_a_public_address_that_does_not_answer_is_reported(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with serving(tmp_path / "inst", public_url=nowhere) as served:
        deadline = time.monotonic() + 30
        while "does not answer" not in served.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = served.log.read_text()
    assert f"the public address {nowhere} does not answer" in log
    assert "DOCSVC_PUBLIC_URL" in log
