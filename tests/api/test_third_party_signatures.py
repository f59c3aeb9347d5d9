"""PDFs signed by other tools verify: pyHanko's command line and endesive, an independent
implementation (made by ``tests/data/make_third_party_signed.py``, committed). Their CA is
not the institution's: the report says so, naming the issuer, until that root is configured
as a trust anchor; then the report names the anchor it used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend

THIRD_PARTY = Path(__file__).parents[1] / "data" / "third_party"
FILES = ["signed_by_pyhanko_cli.pdf", "signed_by_endesive.pdf"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"third-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _root_der() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = (THIRD_PARTY / "root.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


@pytest.mark.parametrize("name", FILES)
def test_other_tools_signatures_are_valid_offline(name: str) -> None:
    report = verify(THIRD_PARTY / name, VerificationPolicy([_root_der()])).report
    assert report.verdict == "valid", report.as_json()
    (signature,) = report.signatures
    assert signature.intact and signature.trusted and signature.covers_whole_document
    assert signature.trust_anchor is not None and "terceros" in signature.trust_anchor
    assert "Firmante de terceros" in signature.signer.name


def test_the_public_endpoint_trusts_them_once_their_root_is_configured(
    client: TestClient, backend: Backend
) -> None:
    for name in FILES:
        data = (THIRD_PARTY / name).read_bytes()
        report = client.post(
            "/api/v1/verify", files={"file": (name, data, "application/pdf")}
        ).json()
        assert report["verdict"] == "indeterminate", report
        assert any("CA raíz de terceros" in r for r in report["signatures"][0]["reasons"])
    anchors = [backend.settings.pki_dir / "root.pem", THIRD_PARTY / "root.pem"]
    settings = backend.settings.model_copy(update={"trust_roots": anchors})
    with TestClient(create_app(settings, backend.services)) as configured:
        for name in FILES:
            data = (THIRD_PARTY / name).read_bytes()
            report = configured.post(
                "/api/v1/verify", files={"file": (name, data, "application/pdf")}
            ).json()
            assert report["verdict"] == "valid", report
            assert "terceros" in report["signatures"][0]["trust_anchor"]
            assert report["copy"]["status"] == "unknown"


def test_untrusted_files_leave_no_traceback_in_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone can post files that pyHanko cannot validate; that must not write a
    traceback per request."""
    import logging

    data = (THIRD_PARTY / FILES[0]).read_bytes()
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            client.post("/api/v1/verify", files={"file": ("f.pdf", data, "application/pdf")})
    noisy = [r for r in caplog.records if r.exc_info and r.name.startswith("pyhanko")]
    assert not noisy, [r.getMessage() for r in noisy]
