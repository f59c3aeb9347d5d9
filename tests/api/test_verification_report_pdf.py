"""The verification report as a PDF sealed by the institution: it says what the JSON report
says, in Spanish or English, and is itself a valid signed PDF, for us and for pdfsig."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from babel.dates import format_datetime
from fastapi.testclient import TestClient
from pydantic import SecretStr
from pyhanko.sign.general import load_cert_from_pemder

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PIN
from docsvc.pki.service import dev_pki
from signing.dev_pki import issue_seal
from signing.verification import VerificationPolicy, verify
from tests.harness.softhsm import shared_softhsm
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf
from tests.support.pdfsig import pdfsig_output, requires_pdfsig

DATA = Path(__file__).parents[1] / "data"
Auth = Callable[[str], dict[str, str]]
UNSIGNED = Path(__file__).parents[1] / "data" / "signed" / "unsigned_resolution.pdf"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"report-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def signed_copy(client: TestClient, auth: Auth) -> tuple[bytes, str]:
    legal = auth("juridico")
    created = client.post(
        "/api/v1/documents",
        headers=legal,
        data={
            "doc_type": "resolution",
            "title": "Resolución de becas",
            "confidentiality": "public",
        },
        files={"file": ("r.pdf", unique_pdf("Resolución de becas"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    signed = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=legal, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 201, signed.text
    content = client.get(f"/api/v1/documents/{doc_id}/versions/2/content", headers=legal).content
    return content, signed.json()["verification_code"]


def _report(client: TestClient, data: bytes, lang: str = "es") -> bytes:
    response = client.post(
        f"/api/v1/verify?format=pdf&lang={lang}",
        files={"file": ("copia recibida.pdf", data, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "informe-verificacion.pdf" in response.headers["content-disposition"]
    return response.content


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(done.stdout.split())


def test_the_report_says_what_the_json_says_and_is_sealed(
    client: TestClient, backend: Backend, signed_copy: tuple[bytes, str], tmp_path: Path
) -> None:
    data, code = signed_copy
    pdf = _report(client, data)
    path = tmp_path / "informe.pdf"
    path.write_bytes(pdf)
    root = backend.settings.pki_dir / "root.pem"
    sealed = verify(path, VerificationPolicy([load_cert_from_pemder(str(root)).dump()])).report
    assert sealed.verdict == "valid", sealed.as_json()
    (seal,) = sealed.signatures
    assert "Sello electrónico de" in seal.signer.name
    assert backend.settings.institution_name in seal.signer.name
    assert seal.level == "B-LT" and seal.modifications_after == "lta_updates"

    json_report = client.post(
        "/api/v1/verify", files={"file": ("c.pdf", data, "application/pdf")}
    ).json()
    text = _text(pdf, tmp_path)
    assert "Informe de verificación de firmas" in text
    assert "Resultado: VÁLIDA" in text
    assert json_report["document"]["sha256"] in text
    assert "copia recibida.pdf" in text
    assert "Lucía Fernández" in text
    assert (
        "Es idéntico, bit a bit, a la versión 2 (la última) del documento registrado con el "
        f"código {code}" in text
    )
    assert re.search(r"Página 1 de \d", text)
    # Laid out for people and archives: tagged PDF/A-2a in Spanish, a table per signature,
    # integrity and trust apart, every moment in the institution's local time.
    with pikepdf.open(io.BytesIO(pdf)) as laid_out:
        assert laid_out.open_metadata().pdfa_status == "2A"
        assert laid_out.Root.MarkInfo.Marked and "/StructTreeRoot" in laid_out.Root
        assert str(laid_out.Root.Lang) == "es"
    assert "Integridad Íntegro" in text and "Confianza De confianza" in text
    assert "UTC" not in text and "+00:00" not in text
    today = format_datetime(
        datetime.now(ZoneInfo(backend.settings.timezone)), "d 'de' MMMM 'de' y", locale="es"
    )
    assert f"Emitido por {backend.settings.institution_name} el {today}" in text

    english = _text(_report(client, data, "en"), tmp_path)
    assert "Signature verification report" in english and "Result: VALID" in english
    assert re.search(r"Page 1 of \d", english)


def test_an_unsigned_file_gets_a_report_that_says_so(client: TestClient, tmp_path: Path) -> None:
    text = _text(_report(client, UNSIGNED.read_bytes()), tmp_path)
    assert "Resultado: INDETERMINADA" in text
    assert "Motivo: El documento no tiene ninguna firma" in text


def test_deviations_read_leniently_are_in_the_report(client: TestClient, tmp_path: Path) -> None:
    """A file from another product with a trailer entry naming a missing object: the sealed
    report carries the warning, in Spanish, apart from the result it does not change."""
    data = (DATA / "corpus" / "lenient_libreoffice_additional_streams_blt.pdf").read_bytes()
    text = " ".join(_text(_report(client, data), tmp_path).split())
    assert "Advertencia sobre el archivo (no cambia el resultado): El archivo remite al objeto" in (
        text
    )
    assert "se leyó como nulo" in text


@requires_pdfsig
def test_pdfsig_accepts_the_seal(
    client: TestClient, backend: Backend, signed_copy: tuple[bytes, str], tmp_path: Path
) -> None:
    path = tmp_path / "informe.pdf"
    path.write_bytes(_report(client, signed_copy[0]))
    output = pdfsig_output(path, backend.settings.pki_dir / "root.pem", tmp_path)
    assert "Signature is Valid" in output, output
    assert "Certificate is Trusted" in output, output
    assert "Sello electrónico de" in output


def test_a_configured_seal_file_signs_the_reports(
    backend: Backend, signed_copy: tuple[bytes, str], tmp_path: Path
) -> None:
    issued = issue_seal(
        dev_pki(backend.services.keys), institution="Ministerio de Pruebas (HSM)", passphrase="1234"
    )
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(issued.pkcs12)
    settings = backend.settings.model_copy(update={"seal_p12": p12, "seal_pin": SecretStr("1234")})
    with TestClient(create_app(settings, backend.services)) as configured:
        pdf = _report(configured, signed_copy[0])
    path = tmp_path / "informe.pdf"
    path.write_bytes(pdf)
    root = backend.settings.pki_dir / "root.pem"
    sealed = verify(path, VerificationPolicy([load_cert_from_pemder(str(root)).dump()])).report
    assert "Ministerio de Pruebas (HSM)" in sealed.signatures[0].signer.name

    wrong = settings.model_copy(update={"seal_pin": SecretStr("0000")})
    with TestClient(create_app(wrong, backend.services)) as misconfigured:
        response = misconfigured.post(
            "/api/v1/verify?format=pdf",
            files={"file": ("c.pdf", signed_copy[0], "application/pdf")},
        )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "seal_unavailable"


def test_without_a_seal_the_pdf_report_is_refused_clearly(
    backend: Backend, signed_copy: tuple[bytes, str]
) -> None:
    settings = backend.settings.model_copy(update={"dev_pki": False})
    with TestClient(create_app(settings, backend.services)) as client:
        response = client.post(
            "/api/v1/verify?format=pdf",
            files={"file": ("c.pdf", signed_copy[0], "application/pdf")},
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "no_seal"
        assert "DOCSVC_SEAL_P12" in response.json()["error"]["message"]
        # The JSON report does not need the seal.
        assert (
            client.post(
                "/api/v1/verify", files={"file": ("c.pdf", signed_copy[0], "application/pdf")}
            ).status_code
            == 200
        )


def test_a_seal_on_an_hsm_signs_the_reports(
    backend: Backend, signed_copy: tuple[bytes, str], tmp_path: Path
) -> None:
    """The seal's key on a real SoftHSM2 token, as an HSM would hold it in production."""
    issued = issue_seal(
        dev_pki(backend.services.keys), institution="Ministerio de Pruebas (HSM)", passphrase="1234"
    )
    token = shared_softhsm().add_official(issued.pkcs12, "1234", key_label="sello", pin="246810")
    settings = backend.settings.model_copy(
        update={
            "pkcs11_lib": token.lib,
            "seal_pkcs11_token": token.token_label,
            "seal_pkcs11_key": token.key_label,
            "seal_pin": SecretStr(token.pin),
        }
    )
    with TestClient(create_app(settings, backend.services)) as configured:
        pdf = _report(configured, signed_copy[0])
        wrong = settings.model_copy(update={"seal_pin": SecretStr("000000")})
    path = tmp_path / "informe.pdf"
    path.write_bytes(pdf)
    root = backend.settings.pki_dir / "root.pem"
    sealed = verify(path, VerificationPolicy([load_cert_from_pemder(str(root)).dump()])).report
    assert sealed.verdict == "valid", sealed.as_json()
    assert "Sello electrónico de Ministerio de Pruebas (HSM)" in sealed.signatures[0].signer.name
    with TestClient(create_app(wrong, backend.services)) as misconfigured:
        response = misconfigured.post(
            "/api/v1/verify?format=pdf",
            files={"file": ("c.pdf", signed_copy[0], "application/pdf")},
        )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "seal_unavailable"


def test_a_tampered_file_reads_as_altered_not_as_a_trust_problem(
    client: TestClient, tmp_path: Path
) -> None:
    data = (DATA / "signed" / "attack_byte_changed_in_signed_range.pdf").read_bytes()
    text = _text(_report(client, data), tmp_path)
    assert "Integridad Alterado: el contenido ya no coincide con lo que se firmó" in text
    assert "Confianza Sin evaluar: la firma no corresponde al contenido" in text
    assert "No confiable" not in text
