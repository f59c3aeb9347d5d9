"""A stand-in's signature says so in its signed attributes: a claimed role (CAdES
signer-attributes-v2, id-at-role) naming the official signed for. Verification reads it
from there, never from the /Reason sentence, and the public page and the JSON report show
it as the ``stand_in`` reason. (The sentence alone: tests/signing/test_stand_in_role.py.)"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from asn1crypto import cms
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import find_unique_cms_attribute

from docsvc.demo.seed import DEMO_PIN
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.documents import upload
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
STAND_IN = "signed by Miguel Torres as stand-in for Carlos Méndez (Viceministro)"
SUPLENTE = "Firmado por Miguel Torres como suplente de Carlos Méndez (Viceministro)"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"stand-in-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def signed_by_stand_in(client: TestClient, auth: Auth) -> bytes:
    """A public document of Social Programmes approved by the vice-minister's position, signed
    by the director he named as his stand-in for today."""
    document = upload(
        client,
        auth("preparador"),
        unique_pdf("Informe de programas"),
        title="Informe de programas sociales",
        confidentiality="public",
    )
    created = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={
            "document_id": document["id"],
            "level": "B-B",
            "steps": [{"role_label": "approved", "signers": [{"position": "DVM:VMIN"}]}],
        },
    )
    assert created.status_code == 201, created.text
    today = dt.date.today()
    named = client.post(
        "/api/v1/stand-ins",
        headers=auth("viceministro"),
        json={"substitute": "programas", "starts_on": str(today), "ends_on": str(today)},
    )
    assert named.status_code == 201, named.text
    done = client.post(
        f"/api/v1/signing-lines/{created.json()['id']}/sign",
        headers=auth("programas"),
        json={"pin": DEMO_PIN},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "signed"
    content = client.get(
        f"/api/v1/documents/{document['id']}/content", headers=auth("preparador")
    ).content
    assert isinstance(content, bytes)
    return content


def _last_signature(data: bytes) -> tuple[cms.SignerInfo, str]:
    reader = PdfFileReader(io.BytesIO(data))
    embedded = reader.embedded_signatures[-1]
    return embedded.signer_info, str(embedded.sig_object.get("/Reason"))


def test_the_claimed_role_is_in_the_signed_attributes(signed_by_stand_in: bytes) -> None:
    signer_info, stated = _last_signature(signed_by_stand_in)
    attributes = find_unique_cms_attribute(signer_info["signed_attrs"], "signer_attributes_v2")
    (claimed,) = attributes["claimed_attributes"]
    assert claimed["type"].dotted == "2.5.4.72"  # id-at-role (RFC 5755 RoleSyntax)
    (role,) = claimed["values"]
    assert role["role_name"].name == "uniform_resource_identifier"
    assert role["role_name"].native == "urn:docsvc:role:stand-in"
    (authority,) = role["role_authority"]
    assert authority.name == "directory_name"
    assert authority.chosen.native == {"common_name": "Carlos Méndez", "title": "Viceministro"}
    # The words stay for other readers: the reason a stand-in's signature has always stated.
    assert stated.endswith(
        "firmado por Miguel Torres como suplente de Carlos Méndez (Viceministro)"
    )


def test_verification_reads_the_role_not_the_sentence(
    signed_by_stand_in: bytes, backend: Backend, tmp_path: Path
) -> None:
    path = tmp_path / "suplente.pdf"
    path.write_bytes(signed_by_stand_in)
    report = verify(path, VerificationPolicy([backend.root_der()])).report
    assert report.verdict == "valid", report.as_json()
    (reason,) = report.signatures[-1].reason_details
    assert reason.code == "stand_in" and reason.sub_indication is None
    assert reason.parameters == {
        "signer": "Miguel Torres",
        "principal": "Carlos Méndez",
        "position": "Viceministro",
    }
    assert report.signatures[-1].reasons == (STAND_IN,)


def test_the_json_report_shows_the_stand_in(client: TestClient, signed_by_stand_in: bytes) -> None:
    files = {"file": ("suplente.pdf", signed_by_stand_in, "application/pdf")}
    english = client.post("/api/v1/verify", files=files)
    assert english.status_code == 200, english.text
    body = english.json()
    assert body["verdict"] == "valid"
    signature = body["signatures"][-1]
    assert signature["reason_codes"] == ["stand_in"]
    assert signature["reasons"] == [STAND_IN]
    assert signature["reason_details"] == [
        {
            "code": "stand_in",
            "sub_indication": None,
            "params": {
                "signer": "Miguel Torres",
                "principal": "Carlos Méndez",
                "position": "Viceministro",
            },
            "message": STAND_IN,
        }
    ]
    spanish = client.post("/api/v1/verify?lang=es", files=files).json()
    assert spanish["signatures"][-1]["reasons"] == [SUPLENTE]
    assert spanish["signatures"][-1]["reason_details"][0]["message"] == SUPLENTE


def test_the_public_page_shows_the_stand_in(client: TestClient, signed_by_stand_in: bytes) -> None:
    form = client.get("/verificar")
    response = client.post(
        "/verificar",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("suplente.pdf", signed_by_stand_in, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    page = client.get(location)
    assert page.status_code == 200
    assert SUPLENTE in _text(page.text)
    assert STAND_IN in _text(client.get(f"{location}?lang=en").text)
    client.cookies.clear()


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
