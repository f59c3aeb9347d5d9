"""Two-step signing through the API with a test-held "card": prepare returns what to sign,
the card signs it outside the service, finish embeds it. The state expires and is used
once; a wrong value, a replay or another official's finish changes nothing."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from fastapi.testclient import TestClient
from sqlalchemy import update

from docsvc.db.base import utcnow
from docsvc.models import CredentialKind, PendingExternalSignature
from docsvc.organisation.repository import user_by_username
from docsvc.pki.service import dev_pki, record_issued
from docsvc.signatures.credentials import register_credential
from signing.dev_pki import issue_official
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.holdings import holdings
from tests.support.pdfsig import PDFSIG_AVAILABLE, pdfsig_output

Auth = Callable[[str], dict[str, str]]
CARD_PIN = "card-pin"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"card-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def card(backend: Backend) -> rsa.RSAPrivateKey:
    """Lucía Fernández's card: the key stays here, in the test; the service gets only the
    certificate and its chain."""
    pki = dev_pki(backend.services.keys)
    issued = issue_official(
        pki,
        full_name="Lucía Fernández",
        username="juridico",
        organisation=backend.settings.institution_name,
        position="Directora de Asesoría Jurídica",
        pin=CARD_PIN,
    )
    key, cert, _ = pkcs12.load_key_and_certificates(issued.pkcs12, CARD_PIN.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and cert is not None
    chain = b"".join(
        c.public_bytes(Encoding.PEM) for c in (cert, pki.issuing.certificate, pki.root.certificate)
    )
    with backend.services.sessions() as db:
        user = user_by_username(db, "juridico")
        assert user is not None
        record_issued(db, cert, "signing", user.id)
        register_credential(db, user, CredentialKind.external, chain)
        db.commit()
    return key


def _doc_id(client: TestClient, headers: dict[str, str]) -> str:
    listing = client.get("/api/v1/documents", headers=headers, params={"limit": 100}).json()
    (match,) = [d for d in listing["items"] if d["title"].startswith("Oficio N.º PGE")]
    return str(match["id"])


def _card_signs(key: rsa.RSAPrivateKey, to_be_signed_b64: str) -> str:
    value = key.sign(base64.b64decode(to_be_signed_b64), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(value).decode()


def _root(backend: Backend) -> bytes:
    return dev_pki(backend.services.keys).root.certificate.public_bytes(Encoding.DER)


def test_prepare_sign_on_the_card_finish(
    client: TestClient,
    backend: Backend,
    auth: Auth,
    card: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    headers = auth("juridico")
    doc_id = _doc_id(client, headers)
    one_step = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=headers, json={"pin": "1234"}
    )
    assert one_step.status_code == 409
    assert one_step.json()["error"]["code"] == "use_external_signing"

    prepared = client.post(
        f"/api/v1/documents/{doc_id}/signatures/prepare", headers=headers, json={"level": "B-LT"}
    )
    assert prepared.status_code == 201, prepared.text
    body = prepared.json()
    assert body["signature_algorithm"] == "sha256WithRSAEncryption"
    finish_url = f"/api/v1/signatures/pending/{body['pending_id']}/finish"

    # Another official cannot finish it, and a value from another key is refused.
    before = holdings(backend)
    other = client.post(finish_url, headers=auth("ministra"), json={"signature_value": "AAAA"})
    assert other.status_code == 404
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = client.post(
        finish_url,
        headers=headers,
        json={"signature_value": _card_signs(stranger, body["to_be_signed"])},
    )
    assert wrong.status_code == 400, wrong.text
    assert wrong.json()["error"]["code"] == "signature_rejected"
    assert holdings(backend) == before

    done = client.post(
        finish_url,
        headers=headers,
        json={"signature_value": _card_signs(card, body["to_be_signed"])},
    )
    assert done.status_code == 201, done.text
    assert done.json()["signature"]["level"] == "B-LT"
    again = client.post(
        finish_url,
        headers=headers,
        json={"signature_value": _card_signs(card, body["to_be_signed"])},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_finished"

    signed = tmp_path / "oficio.pdf"
    signed.write_bytes(client.get(f"/api/v1/documents/{doc_id}/content", headers=headers).content)
    report = verify(signed, VerificationPolicy([_root(backend)])).report
    assert report.verdict == "valid", report.as_json()
    assert report.signatures[0].level == "B-LT"
    assert "Lucía Fernández" in report.signatures[0].signer.name
    if PDFSIG_AVAILABLE:
        root_pem = tmp_path / "root.pem"
        root_pem.write_bytes(
            dev_pki(backend.services.keys).root.certificate.public_bytes(Encoding.PEM)
        )
        out = pdfsig_output(signed, root_pem, tmp_path)
        assert "Signature is Valid." in out and "Certificate is Trusted." in out, out


def test_an_expired_preparation_is_gone(
    client: TestClient, backend: Backend, auth: Auth, card: rsa.RSAPrivateKey
) -> None:
    headers = auth("juridico")
    doc_id = _doc_id(client, headers)
    prepared = client.post(
        f"/api/v1/documents/{doc_id}/signatures/prepare", headers=headers, json={"level": "B-B"}
    ).json()
    with backend.services.sessions() as db:
        db.execute(
            update(PendingExternalSignature)
            .where(PendingExternalSignature.id == uuid.UUID(prepared["pending_id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    before = holdings(backend)
    late = client.post(
        f"/api/v1/signatures/pending/{prepared['pending_id']}/finish",
        headers=headers,
        json={"signature_value": _card_signs(card, prepared["to_be_signed"])},
    )
    assert late.status_code == 410, late.text
    assert late.json()["error"]["code"] == "pending_expired"
    assert holdings(backend) == before


def test_an_official_without_a_card_cannot_prepare(client: TestClient, auth: Auth) -> None:
    headers = auth("ministra")
    doc_id = _doc_id(client, auth("juridico"))
    response = client.post(
        f"/api/v1/documents/{doc_id}/signatures/prepare", headers=headers, json={}
    )
    # The minister cannot see the legal department's confidential letter at all.
    assert response.status_code in (404, 409)
