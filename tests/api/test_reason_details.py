"""``POST /api/v1/verify``: each reason as a code with its ETSI sub-indication and
parameters (``reason_details``), its message in the requested language (English unless
``lang`` asks otherwise), beside the ``reasons`` and ``reason_codes`` of before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

DATA = Path(__file__).parents[1] / "data"
DETAIL_KEYS = {"code", "sub_indication", "params", "message"}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"reasons-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _verify(client: TestClient, data: bytes, lang: str | None = None) -> dict:
    query = f"?lang={lang}" if lang else ""
    response = client.post(
        f"/api/v1/verify{query}", files={"file": ("f.pdf", data, "application/pdf")}
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def _check_shape(item: dict) -> None:
    """``reason_details`` parallels ``reasons`` and ``reason_codes``."""
    details = item["reason_details"]
    assert [d["code"] for d in details] == item["reason_codes"]
    assert [d["message"] for d in details] == item["reasons"]
    for detail in details:
        assert set(detail) == DETAIL_KEYS
        assert detail["sub_indication"] is None or detail["sub_indication"].isupper()
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in detail["params"].items())


def test_the_document_s_own_reason(client: TestClient) -> None:
    english = _verify(client, unique_pdf("Sin firmas"))
    _check_shape(english)
    assert english["reason_details"] == [
        {
            "code": "no_signature",
            "sub_indication": None,
            "params": {},
            "message": "the document has no signature",
        }
    ]
    spanish = _verify(client, unique_pdf("Sin firmas"), "es")
    assert spanish["reason_details"][0]["message"] == "El documento no tiene ninguna firma"
    assert spanish["reasons"] == ["El documento no tiene ninguna firma"]
    assert spanish["reason_codes"] == ["no_signature"]


def test_an_untrusted_signer_names_its_issuer_with_pyhanko_s_sub_indication(
    client: TestClient,
) -> None:
    data = (DATA / "third_party" / "signed_by_endesive.pdf").read_bytes()
    report = _verify(client, data)
    (signature,) = report["signatures"]
    _check_shape(signature)
    (detail,) = signature["reason_details"]
    assert detail["code"] == "unknown_issuer"
    assert detail["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert "CA raíz de terceros" in detail["params"]["issuer"]
    assert detail["message"].startswith("untrusted: no configured trust anchor issued")
    spanish = _verify(client, data, "es")["signatures"][0]["reason_details"][0]
    assert spanish["params"] == detail["params"]
    assert spanish["message"].startswith(
        "No confiable: ninguna ancla de confianza configurada emitió el certificado del firmante"
    )
    assert "Nombre común: CA raíz de terceros" in spanish["message"]


def test_a_shadow_attack_names_the_field_in_both_languages(client: TestClient) -> None:
    data = (DATA / "shadow" / "attack_shadow_replace_via_form_appearance.pdf").read_bytes()
    report = _verify(client, data)
    assert report["verdict"] == "invalid"
    (signature,) = report["signatures"]
    _check_shape(signature)
    found = [d for d in signature["reason_details"] if d["code"] == "form_appearance_changed"]
    assert found == [
        {
            "code": "form_appearance_changed",
            "sub_indication": "FORMAT_FAILURE",
            "params": {"field": "Monto"},
            "message": "the appearance of form field 'Monto' was replaced after signing while "
            "its value stayed as signed: the page no longer shows what was signed",
        }
    ]
    spanish = _verify(client, data, "es")["signatures"][0]
    assert (
        "La apariencia del campo de formulario 'Monto' se reemplazó después de la firma sin que "
        "cambiara su valor: la página ya no muestra lo que se firmó"
    ) in spanish["reasons"]


def test_warnings_are_in_the_requested_language(client: TestClient) -> None:
    data = (DATA / "corpus" / "lenient_libreoffice_additional_streams_blt.pdf").read_bytes()
    english = _verify(client, data)
    (dangling,) = [w for w in english["warnings"] if w["code"] == "dangling_reference"][:1]
    assert set(dangling) == {"code", "message", "subject"}
    assert "which does not exist; it was read as null" in dangling["message"]
    spanish = _verify(client, data, "es")
    (dangling,) = [w for w in spanish["warnings"] if w["code"] == "dangling_reference"][:1]
    assert "que no existe; se leyó como nulo" in dangling["message"]
