"""The service's own PKI endpoints, checked with OpenSSL as an outside validator would:
RFC 3161 tokens, the CRL and OCSP answers, before and after a revocation."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient

from docsvc.pki.service import dev_pki, ensure_dev_pki, revoke
from signing.dev_pki import DevPki, issue_official
from tests.support.backends import BACKENDS, Backend, build_backend


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Backend, TestClient, DevPki, Path]]:
    backend = build_backend(
        request.param, tmp_path_factory.mktemp(f"pki-{request.param}"), request, seed=False
    )
    with backend.services.sessions() as db:
        assert ensure_dev_pki(db, backend.settings)
        db.commit()
    pki = dev_pki(backend.services.keys)
    files = tmp_path_factory.mktemp("pem")
    for name, cert in (
        ("root", pki.root.certificate),
        ("issuing", pki.issuing.certificate),
        ("tsa", pki.tsa.certificate),
        ("ocsp", pki.ocsp.certificate),
    ):
        (files / f"{name}.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    with backend.client() as client:
        yield backend, client, pki, files
    backend.services.close()


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def test_openssl_verifies_a_token_from_the_tsa_endpoint(
    served: tuple[Backend, TestClient, DevPki, Path], tmp_path: Path
) -> None:
    _, client, _, files = served
    data = tmp_path / "resolucion.pdf"
    data.write_bytes(b"%PDF-1.7 resolucion")
    query = tmp_path / "q.tsq"
    assert (
        _openssl(
            "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)
        ).returncode
        == 0
    )
    response = client.post(
        "/pki/tsa",
        content=query.read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/timestamp-reply"
    reply = tmp_path / "r.tsr"
    reply.write_bytes(response.content)
    chain = tmp_path / "chain.pem"
    chain.write_bytes((files / "issuing.pem").read_bytes() + (files / "tsa.pem").read_bytes())
    verified = _openssl(
        "ts",
        "-verify",
        "-in",
        str(reply),
        "-queryfile",
        str(query),
        "-CAfile",
        str(files / "root.pem"),
        "-untrusted",
        str(chain),
    )
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr


def test_wrong_content_type_is_a_clear_400(
    served: tuple[Backend, TestClient, DevPki, Path],
) -> None:
    _, client, _, _ = served
    response = client.post("/pki/tsa", content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_content_type"
    too_big = client.post(
        "/pki/ocsp", content=b"x" * 70_000, headers={"Content-Type": "application/ocsp-request"}
    )
    assert too_big.status_code == 413


def _ask_ocsp(
    client: TestClient, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPResponse:
    # SHA-1 CertIDs are what most OCSP clients still send (RFC 5019), so the responder must
    # answer them; it is an identifier here, not a signature.
    sha1 = hashes.SHA1()  # noqa: S303
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, sha1).build()
    response = client.post(
        "/pki/ocsp",
        content=request.public_bytes(Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


def test_ocsp_and_crl_follow_revocation(
    served: tuple[Backend, TestClient, DevPki, Path], tmp_path: Path
) -> None:
    backend, client, pki, files = served
    # The TSA certificate was recorded at init: good, and OpenSSL verifies the answer.
    request_file = tmp_path / "req.der"
    made = _openssl(
        "ocsp",
        "-issuer",
        str(files / "issuing.pem"),
        "-cert",
        str(files / "tsa.pem"),
        "-reqout",
        str(request_file),
    )
    assert made.returncode == 0, made.stderr
    answer = client.post(
        "/pki/ocsp",
        content=request_file.read_bytes(),
        headers={"Content-Type": "application/ocsp-request"},
    )
    response_file = tmp_path / "resp.der"
    response_file.write_bytes(answer.content)
    # With -reqin alone OpenSSL checks the signature chain and that our nonce echoes its own.
    checked = _openssl(
        "ocsp",
        "-respin",
        str(response_file),
        "-reqin",
        str(request_file),
        "-CAfile",
        str(files / "root.pem"),
        "-verify_other",
        str(files / "issuing.pem"),
    )
    assert "Response verify OK" in checked.stdout + checked.stderr, checked.stdout + checked.stderr
    # With -cert it prints the status (it would build a fresh nonce, hence -no_nonce).
    checked = _openssl(
        "ocsp",
        "-respin",
        str(response_file),
        "-issuer",
        str(files / "issuing.pem"),
        "-cert",
        str(files / "tsa.pem"),
        "-CAfile",
        str(files / "root.pem"),
        "-verify_other",
        str(files / "issuing.pem"),
        "-no_nonce",
    )
    assert ": good" in checked.stdout

    # A certificate this CA never recorded is "unknown", not "good".
    stranger = issue_official(
        pki, full_name="Nadie", username="nadie", organisation="M", position=None, pin="1234"
    )
    assert _ask_ocsp(client, stranger.certificate, pki.issuing.certificate).certificate_status == (
        ocsp.OCSPCertStatus.UNKNOWN
    )

    # Revoke the TSA certificate: OCSP says so at once, and so does the CRL.
    with backend.services.sessions() as db:
        revoke(db, None, pki.tsa.certificate.serial_number, x509.ReasonFlags.key_compromise)
        db.commit()
    revoked = _ask_ocsp(client, pki.tsa.certificate, pki.issuing.certificate)
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.key_compromise

    crl_response = client.get("/pki/crl/issuing.crl")
    assert crl_response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(crl_response.content)
    assert crl.is_signature_valid(pki.issuing.key.public_key())
    entry = crl.get_revoked_certificate_by_serial_number(pki.tsa.certificate.serial_number)
    assert entry is not None
    crl_file = tmp_path / "issuing.crl"
    crl_file.write_bytes(crl_response.content)
    assert (
        "verify OK"
        in _openssl(
            "crl",
            "-inform",
            "DER",
            "-in",
            str(crl_file),
            "-CAfile",
            str(files / "issuing.pem"),
            "-noout",
        ).stderr
    )


def test_garbage_ocsp_gets_malformed_request(
    served: tuple[Backend, TestClient, DevPki, Path],
) -> None:
    _, client, _, _ = served
    response = client.post(
        "/pki/ocsp", content=b"garbage", headers={"Content-Type": "application/ocsp-request"}
    )
    assert response.status_code == 200
    parsed = ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_ca_certificates_are_published(served: tuple[Backend, TestClient, DevPki, Path]) -> None:
    _, client, pki, _ = served
    root = client.get("/pki/certs/root.cer")
    assert root.headers["content-type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(root.content) == pki.root.certificate
    assert client.get("/pki/certs/nothing.cer").status_code == 404
