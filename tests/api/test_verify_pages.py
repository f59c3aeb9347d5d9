"""The public verification pages, as someone outside the institution uses them with no
account: upload a file or type the code, read the result in plain words in Spanish (or
English), download the sealed PDF report, the ETSI XML and the JSON."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyhanko.sign.general import load_cert_from_pemder

from docsvc.app import create_app
from docsvc.composition import build_services
from docsvc.config import StorageBackend
from docsvc.demo.seed import DEMO_PIN
from docsvc.verification import retained
from docsvc.verification.periodic import TASKS, sweep_retained_verifications
from signing.verification import VerificationPolicy, verify
from storage import LocalObjectStore
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
DATA = Path(__file__).parents[1] / "data"
HOSTILE_TITLE = '<img src=x onerror="alert(1)">Resolución <script>alert(2)</script>'
HOSTILE_NAME = '"><img src=x onerror=alert(3)>.pdf'


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"pages-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _signed(client: TestClient, auth: Auth, title: str, confidentiality: str) -> dict:
    legal = auth("juridico")
    created = client.post(
        "/api/v1/documents",
        headers=legal,
        data={"doc_type": "resolution", "title": title, "confidentiality": confidentiality},
        files={"file": ("r.pdf", unique_pdf("Resolución"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    entry = client.post(
        "/api/v1/register/entries",
        headers=auth("registro"),
        json={
            "direction": "outgoing",
            "document_id": doc_id,
            "subject": "Resolución",
            "counterpart": "Ciudadanía",
            "document_date": "2026-11-20",
        },
    )
    assert entry.status_code == 201, entry.text
    signed = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=legal, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 201, signed.text
    content = client.get(f"/api/v1/documents/{doc_id}/versions/2/content", headers=legal).content
    return {
        "content": content,
        "code": signed.json()["verification_code"],
        "url": signed.json()["verification_url"],
        "number": entry.json()["number"],
    }


@pytest.fixture(scope="module")
def public_doc(client: TestClient, auth: Auth) -> dict:
    return _signed(client, auth, HOSTILE_TITLE, "public")


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _upload(
    client: TestClient, data: bytes, name: str = "copia.pdf", lang: str = "es"
) -> tuple[int, str, str]:
    form = client.get(f"/verificar?lang={lang}")
    response = client.post(
        f"/verificar?lang={lang}",
        data={"csrf_token": _csrf(form.text)},
        files={"file": (name, data, "application/pdf")},
        follow_redirects=False,
    )
    if response.status_code != 303:
        return response.status_code, response.text, ""
    location = response.headers["location"]
    page = client.get(location)
    return page.status_code, page.text, location


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_form_is_in_spanish_with_a_csrf_token(client: TestClient) -> None:
    page = client.get("/verificar")
    assert page.status_code == 200
    assert '<html lang="es"' in page.text
    assert "Verificar un documento firmado" in page.text
    assert "No necesita una cuenta" in page.text
    assert _csrf(page.text)
    assert "docsvc_prelogin" in page.headers["set-cookie"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    english = client.get("/verificar?lang=en")
    assert "Verify a signed document" in english.text and '<html lang="en"' in english.text
    client.cookies.clear()


def test_an_upload_shows_the_verdict_in_plain_words_and_offers_the_reports(
    client: TestClient, backend: Backend, public_doc: dict, tmp_path: Path
) -> None:
    status, page, location = _upload(client, public_doc["content"], HOSTILE_NAME)
    assert status == 200, page
    text = _text(page)
    assert "notice-valid" in page
    assert "Resultado del documento: Válida" in text
    assert "Todas las firmas son válidas" in text
    assert "Lucía Fernández" in text
    assert "Es idéntico, bit a bit, a la versión 2 (la última)" in text
    assert f'href="/verificar/{public_doc["code"]}"' in page
    # The hostile file name is shown as text, never as markup.
    assert "<img src=x onerror=alert(3)>" not in page
    assert "&lt;img src=x onerror=alert(3)&gt;.pdf" in page

    english = client.get(f"{location}?lang=en").text
    assert "Document result: Valid" in _text(english)

    pdf = client.get(f"{location}/informe.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "informe.pdf").write_bytes(pdf.content)
    root = load_cert_from_pemder(str(backend.settings.pki_dir / "root.pem")).dump()
    assert verify(tmp_path / "informe.pdf", VerificationPolicy([root])).report.verdict == "valid"
    xml = client.get(f"{location}/informe-etsi.xml")
    assert xml.status_code == 200 and b"ValidationReport" in xml.content
    report = client.get(f"{location}/informe.json").json()
    assert report["verdict"] == "valid" and report["copy"]["status"] == "identical"


def test_an_attack_is_red_with_its_reason_in_spanish(client: TestClient) -> None:
    data = (DATA / "shadow" / "attack_shadow_hide.pdf").read_bytes()
    status, page, _ = _upload(client, data)
    assert status == 200
    assert "notice-invalid" in page and "signature-invalid" in page
    text = _text(page)
    assert "Resultado del documento: No válida" in text
    assert "El documento se modificó después de la firma (otros cambios)" in text
    assert "No coincide con ningún documento registrado" in text


def test_a_replaced_field_appearance_is_red_naming_the_field(client: TestClient) -> None:
    """The shadow attack through a form field's appearance: its value stays as signed."""
    data = (DATA / "shadow" / "attack_shadow_replace_via_form_appearance.pdf").read_bytes()
    status, page, _ = _upload(client, data)
    assert status == 200
    assert "notice-invalid" in page
    text = _text(page)
    assert "La apariencia del campo de formulario 'Monto' se reemplazó después de la firma" in text


def test_deviations_read_leniently_are_warnings_in_spanish(
    client: TestClient, backend: Backend
) -> None:
    """A LibreOffice-style trailer entry naming a missing object: the verdict stands, and the
    page says what was tolerated, in Spanish, without English."""
    name = "lenient_libreoffice_additional_streams_blt.pdf"
    data = (DATA / "corpus" / name).read_bytes()
    status, page, location = _upload(client, data)
    assert status == 200
    text = _text(page)
    assert "Advertencias sobre el archivo" in text
    warnings = text[text.index("Advertencias sobre el archivo") :].split("Firma 1")[0]
    assert "que no existe; se leyó como nulo, como indica la norma PDF" in warnings
    assert not re.search(r"\b(the|was|which|object|does|not|read)\b", warnings), warnings
    english = _text(client.get(f"{location}?lang=en").text)
    assert "which does not exist; it was read as null" in english
    report = client.get(f"{location}/informe.json").json()
    assert "dangling_reference" in {w["code"] for w in report["warnings"]}


def test_an_untrusted_signature_is_amber(client: TestClient) -> None:
    data = (DATA / "third_party" / "signed_by_endesive.pdf").read_bytes()
    status, page, _ = _upload(client, data)
    assert status == 200
    assert "notice-indeterminate" in page
    assert "ninguna ancla de confianza configurada emitió el certificado" in _text(page)


def test_bad_uploads_get_the_form_back_with_the_reason(
    client: TestClient, backend: Backend
) -> None:
    kept = _kept(backend)
    status, page, _ = _upload(client, (DATA / "bad_inputs" / "truncated.pdf").read_bytes())
    assert status == 400
    assert "El archivo no se puede leer como PDF." in page
    status, page, _ = _upload(client, (DATA / "hostile" / "object_stream_bomb.pdf").read_bytes())
    assert status == 422
    assert "se expanden más allá del límite" in page
    # Without the form's token: refused, and nothing is kept.
    response = client.post("/verificar", files={"file": ("c.pdf", b"%PDF-1.7", "application/pdf")})
    assert response.status_code == 403
    assert "La sesión del formulario caducó" in response.text
    assert _kept(backend) == kept


def test_a_typed_code_leads_to_the_public_record(client: TestClient, public_doc: dict) -> None:
    assert public_doc["url"].endswith(f"/verificar/{public_doc['code']}")  # the QR code
    typed = public_doc["code"].lower().replace("-", " ")
    response = client.get("/verificar", params={"codigo": typed}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/verificar/{public_doc['code']}"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    text = _text(page.text)
    assert "Registro público del documento" in text
    # One plain verdict first, before any technical detail.
    verdict = text.split("Registro público del documento", 2)[2]  # after the title and h1
    assert verdict.lstrip().startswith("Documento auténtico Custodiado por ")
    assert "firmado por Lucía Fernández; la última firma se realizó el " in verdict
    assert verdict.index("Documento auténtico") < verdict.index("Detalles técnicos")
    assert verdict.index("Detalles técnicos") < verdict.index("SHA-256")
    assert "Resolución" in text and public_doc["number"] in text
    assert "Lucía Fernández" in text
    assert hashlib_of(public_doc["content"]) in text
    assert f"/api/v1/verify/{public_doc['code']}/content" in page.text
    # The public title is shown, as text.
    assert "<script>alert(2)" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text


def test_a_confidential_document_shows_its_register_data_only(
    client: TestClient, auth: Auth
) -> None:
    secret = _signed(client, auth, "Sumario reservado", "confidential")
    page = client.get(f"/verificar/{secret['code']}")
    assert page.status_code == 200
    assert "Sumario reservado" not in page.text
    assert "solo se muestran sus datos de registro" in page.text
    assert "/content" not in page.text


def test_unknown_and_malformed_codes(client: TestClient) -> None:
    page = client.get("/verificar/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert page.status_code == 404
    assert "Ningún documento tiene ese código de verificación." in page.text
    page = client.get("/verificar", params={"codigo": "<b>no</b>"})
    assert page.status_code == 400
    assert "Ese no es un código de verificación válido" in page.text
    assert "<b>no</b>" not in page.text


def _kept(backend: Backend) -> set[str]:
    """The names of the objects kept for the verification page, in the shared store."""
    return {info.name for info in backend.services.store.list_temporary(retained.PREFIX)}


def _token_of(location: str) -> str:
    return location.rsplit("/", 1)[1]


def _age(backend: Backend, token: str, by: timedelta) -> None:
    """Make a kept verification look ``by`` older, as a process reading it would see it."""
    store = backend.services.store
    name = f"{retained.PREFIX}{token}.json"
    meta = json.loads(b"".join(store.iter_temporary(name)))
    meta["kept_at"] = (datetime.fromisoformat(meta["kept_at"]) - by).isoformat()
    data = json.dumps(meta).encode()
    store.put_temporary(name, io.BytesIO(data), len(data))


def test_kept_files_expire(client: TestClient, backend: Backend, public_doc: dict) -> None:
    status, _, location = _upload(client, public_doc["content"])
    assert status == 200
    token = _token_of(location)
    assert {f"{retained.PREFIX}{token}.json", f"{retained.PREFIX}{token}.pdf"} <= _kept(backend)
    _age(backend, token, retained.RETAINED_FOR + timedelta(seconds=5))
    page = client.get(location)
    assert page.status_code == 410
    assert "Esta verificación caducó" in page.text
    # The first access after its time deleted it from the store.
    assert not any(token in name for name in _kept(backend))
    assert client.get(location).status_code == 404
    assert client.get(f"{location}/informe.json").status_code == 404


def test_the_sweep_deletes_expired_kept_files_from_the_store(
    client: TestClient, backend: Backend, public_doc: dict
) -> None:
    status, _, location = _upload(client, public_doc["content"])
    assert status == 200
    token = _token_of(location)
    store = backend.services.store
    # Not yet due: nothing goes.
    assert retained.sweep(store) == 0
    assert any(token in name for name in _kept(backend))
    # A file whose report never arrived (a process died between the two puts) goes too.
    store.put_temporary(f"{retained.PREFIX}orphan.pdf", io.BytesIO(b"%PDF-1.7"), 8)
    later = datetime.now(UTC) + retained.RETAINED_FOR + timedelta(seconds=5)
    assert retained.sweep(store, now=later) >= 1
    assert _kept(backend) == set()
    assert client.get(location).status_code == 404
    # The sweep works on the store the deployment shares: one process of it takes each turn.
    (task,) = TASKS
    assert task.work is sweep_retained_verifications and task.once_per_deployment


def test_a_file_verified_on_one_host_is_shown_and_downloaded_on_another(
    backend: Backend, public_doc: dict, tmp_path: Path
) -> None:
    """Two app processes as two hosts behind a load balancer would run them: services of
    their own built from their own data directories (so nothing on one host's disk is seen
    by the other), over the one database and the one object store."""
    other_dir = tmp_path / "other-host"
    shutil.copytree(  # its own copy of the PKI and secrets, no objects, no scratch
        backend.settings.data_dir,
        other_dir,
        ignore=shutil.ignore_patterns("objects", "tmp", "docsvc.sqlite3*"),
    )
    other_settings = backend.settings.model_copy(
        update={"data_dir": other_dir, "database_url": backend.settings.effective_database_url}
    )
    shared_store = (
        LocalObjectStore(backend.settings.local_store_dir)
        if backend.settings.storage_backend is StorageBackend.local
        else None  # the same bucket, by the same settings
    )
    first_services = build_services(backend.settings)
    other_services = build_services(other_settings, store=shared_store)
    try:
        first = TestClient(create_app(backend.settings, first_services))
        second = TestClient(create_app(other_settings, other_services))
        with first, second:
            status, page, location = _upload(first, public_doc["content"], "copia-host-a.pdf")
            assert status == 200, page
            token = _token_of(location)
            for settings in (backend.settings, other_settings):
                assert not [p for p in settings.shared_tmp_dir.rglob("*") if token in p.name]
            assert f"{retained.PREFIX}{token}.json" in _kept(backend)

            shown = second.get(location)
            assert shown.status_code == 200, shown.text
            assert "Resultado del documento: Válida" in _text(shown.text)
            assert "copia-host-a.pdf" in shown.text
            assert "Document result: Valid" in _text(second.get(f"{location}?lang=en").text)
            pdf = second.get(f"{location}/informe.pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            xml = second.get(f"{location}/informe-etsi.xml")
            assert xml.status_code == 200 and b"ValidationReport" in xml.content
            report = second.get(f"{location}/informe.json").json()
            assert report["verdict"] == "valid" and report["copy"]["status"] == "identical"
            # The copy downloaded for the ETSI report is gone from the second host's disk.
            assert not [p for p in (other_dir / "tmp").rglob("*") if p.is_file()]

            # Expired, it is gone for both.
            _age(backend, token, retained.RETAINED_FOR + timedelta(seconds=5))
            assert second.get(location).status_code == 410
            assert first.get(location).status_code == 404
    finally:
        first_services.close()
        other_services.close()


def hashlib_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
