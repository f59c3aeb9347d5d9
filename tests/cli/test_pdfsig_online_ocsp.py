"""Outside validators against a running ``docsvc serve``: poppler's pdfsig asks the
service's OCSP responder online (no ``-no-ocsp``) and sees a revocation at once, and
OpenSSL accepts a token from the service's TSA endpoint.

``DOCSVC_PUBLIC_URL`` is set before ``docsvc init``, so the development PKI's certificates
name this server's port in their AIA (OCSP) and CRL distribution points. The proof that
pdfsig's OCSP request reached the service is uvicorn's access log.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.composition import build_services
from docsvc.demo.sample_pdfs import demo_documents
from docsvc.pki.service import revoke
from tests.support.pdfsig import nss_database, run_pdfsig
from tests.support.served import PIN, Served, issue

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pdfsig", "certutil", "openssl")),
    reason="poppler-utils, libnss3-tools and openssl are installed by make test",
)


@pytest.fixture(scope="module")
def nss(served: Served, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database that trusts the served PKI's root, and nothing else."""
    return nss_database(served.settings.pki_dir / "root.pem", tmp_path_factory.mktemp("nss"))


def _sign(served: Served, p12: Path, level: str, directory: Path) -> Path:
    source = directory / "resolucion.pdf"
    if not source.exists():
        source.write_bytes(demo_documents()[1].pdf)
    signed = directory / f"signed-{p12.stem}-{level}.pdf"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "docsvc",
            "sign",
            str(source),
            "-o",
            str(signed),
            "--level",
            level,
            "--p12",
            str(p12),
            "--pin",
            PIN,
        ],
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return signed


def _pdfsig(nss: str, signed: Path) -> str:
    """pdfsig with its OCSP check on (the default): NSS asks the responder in the
    certificate's AIA and reports a revoked certificate."""
    return run_pdfsig(signed, nss, ocsp=True, with_stderr=True)


def test_pdfsig_checks_ocsp_online_and_trusts_a_good_certificate(
    served: Served, nss: str, tmp_path: Path
) -> None:
    p12, _ = issue(served, tmp_path, "ministra")
    for level in ("B-B", "B-LT"):
        signed = _sign(served, p12, level, tmp_path)
        before = served.ocsp_requests()
        out = _pdfsig(nss, signed)
        assert "Signature is Valid." in out, out
        assert "Certificate is Trusted." in out, out
        assert "Ana María Rojas" in out
        # The check ran against this very service: its access log has the request (with
        # the responder unreachable pdfsig says "Unknown issue with Certificate" instead).
        assert served.wait_for_ocsp_requests(before) > before, served.log.read_text()[-2000:]


def test_pdfsig_sees_a_revocation_at_once(served: Served, nss: str, tmp_path: Path) -> None:
    p12, serial = issue(served, tmp_path, "viceministro")
    signed = _sign(served, p12, "B-B", tmp_path)
    assert "Certificate is Trusted." in _pdfsig(nss, signed)

    services = build_services(served.settings)
    try:
        with services.sessions() as db:
            revoke(db, None, serial, x509.ReasonFlags.key_compromise)
            db.commit()
    finally:
        services.close()

    before = served.ocsp_requests()
    out = _pdfsig(nss, signed)
    assert "Signature is Valid." in out, out
    assert "Certificate has been Revoked." in out, out
    assert "Certificate is Trusted." not in out
    assert served.wait_for_ocsp_requests(before) > before


def test_openssl_verifies_a_token_from_the_running_tsa(served: Served, tmp_path: Path) -> None:
    data = tmp_path / "resolucion.pdf"
    data.write_bytes(demo_documents()[1].pdf)
    query = tmp_path / "q.tsq"
    made = subprocess.run(
        ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    response = httpx.post(
        f"{served.base}/pki/tsa",
        content=query.read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/timestamp-reply"
    reply = tmp_path / "r.tsr"
    reply.write_bytes(response.content)

    # The anchors as an outside validator gets them: from the service's published URLs.
    root = x509.load_der_x509_certificate(httpx.get(f"{served.base}/pki/certs/root.cer").content)
    issuing = x509.load_der_x509_certificate(
        httpx.get(f"{served.base}/pki/certs/issuing.cer").content
    )
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(root.public_bytes(Encoding.PEM))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        issuing.public_bytes(Encoding.PEM) + (served.settings.pki_dir / "tsa.pem").read_bytes()
    )
    verified = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(reply),
            "-queryfile",
            str(query),
            "-CAfile",
            str(root_pem),
            "-untrusted",
            str(chain),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
