"""Signing through the API with an official's key on a PKCS#11 token (SoftHSM2): the
token's PIN at each signature, never an unlocked session, and the key never leaves it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from docsvc.models import CredentialKind
from docsvc.organisation.repository import user_by_username
from docsvc.pki.service import dev_pki, record_issued
from docsvc.signatures.credentials import register_credential
from signing.dev_pki import issue_official
from signing.verification import VerificationPolicy, verify
from tests.harness.softhsm import shared_softhsm
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.holdings import holdings
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
TOKEN_PIN = "4321"

pytestmark = pytest.mark.skipif(
    shutil.which("softhsm2-util") is None, reason="softhsm2 is installed by make test"
)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"p11-{request.param}"), request, pki=True
    )
    pki = dev_pki(built.services.keys)
    issued = issue_official(
        pki,
        full_name="Patricia Núñez",
        username="rrhh",
        organisation=built.settings.institution_name,
        position="Directora de Recursos Humanos",
        pin="transfer",
    )
    token = shared_softhsm().add_official(
        issued.pkcs12, "transfer", key_label="rrhh-firma", pin=TOKEN_PIN
    )
    chain = b"".join(
        c.public_bytes(Encoding.PEM)
        for c in (issued.certificate, pki.issuing.certificate, pki.root.certificate)
    )
    with built.services.sessions() as db:
        user = user_by_username(db, "rrhh")
        assert user is not None
        record_issued(db, issued.certificate, "signing", user.id)
        register_credential(
            db, user, CredentialKind.pkcs11, chain, token=token.token_label, key=token.key_label
        )
        db.commit()
    built.settings.pkcs11_lib = token.lib
    yield built
    built.services.close()


def _doc_id(client: TestClient, headers: dict[str, str]) -> str:
    """A document of the signer's own department (signing another department's needs it
    sent for signature)."""
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "report", "title": "Lista de beneficiarios de Recursos Humanos"},
        files={"file": ("lista.pdf", unique_pdf("Lista de beneficiarios"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_a_token_key_signs_with_its_pin(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    headers = auth("rrhh")
    doc_id = _doc_id(client, headers)
    url = f"/api/v1/documents/{doc_id}/signatures"
    before = holdings(backend)
    for body, status, code in (
        ({}, 400, "pin_required"),
        ({"pin": "0000"}, 403, "wrong_pin"),
    ):
        refused = client.post(url, headers=headers, json=body)
        assert refused.status_code == status, refused.text
        assert refused.json()["error"]["code"] == code
    unlock = client.post("/api/v1/signing/session", headers=headers, json={"pin": TOKEN_PIN})
    assert unlock.status_code == 409
    assert holdings(backend) == before

    signed = client.post(url, headers=headers, json={"pin": TOKEN_PIN, "level": "B-LT"})
    assert signed.status_code == 201, signed.text
    path = tmp_path / "lista.pdf"
    path.write_bytes(client.get(f"/api/v1/documents/{doc_id}/content", headers=headers).content)
    root = dev_pki(backend.services.keys).root.certificate.public_bytes(Encoding.DER)
    report = verify(path, VerificationPolicy([root])).report
    assert report.verdict == "valid", report.as_json()
    assert report.signatures[-1].level == "B-LT"
    assert "Patricia Núñez" in report.signatures[-1].signer.name
