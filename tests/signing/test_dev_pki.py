"""The development PKI: a chain that OpenSSL accepts, with the extensions validators expect,
and officials' keys that only their PIN opens."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from signing import PkiError
from signing.dev_pki import (
    DOCUMENT_SIGNING,
    DevPki,
    issue_official,
    load_dev_pki,
    save_dev_pki,
)
from tests.support.pki import URLS


def _pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    return path


def _openssl_verify(tmp_path: Path, pki: DevPki, leaf: x509.Certificate, purpose: str) -> str:
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(_pem(tmp_path / "root.pem", pki.root.certificate)),
            "-untrusted",
            str(_pem(tmp_path / "issuing.pem", pki.issuing.certificate)),
            "-purpose",
            purpose,
            str(_pem(tmp_path / "leaf.pem", leaf)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def test_openssl_accepts_the_chains(pki: DevPki, tmp_path: Path) -> None:
    official = issue_official(
        pki,
        full_name="Ana María Rojas",
        username="ministra",
        organisation="Ministerio de Pruebas",
        position="Ministra",
        pin="1234",
    )
    assert "leaf.pem: OK" in _openssl_verify(tmp_path, pki, official.certificate, "any")
    assert "leaf.pem: OK" in _openssl_verify(tmp_path, pki, pki.tsa.certificate, "timestampsign")
    assert "leaf.pem: OK" in _openssl_verify(tmp_path, pki, pki.ocsp.certificate, "any")


def test_extensions(pki: DevPki) -> None:
    root_bc = pki.root.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root_bc.critical and root_bc.value.ca
    issuing_bc = pki.issuing.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert issuing_bc.value.path_length == 0
    tsa_eku = pki.tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert tsa_eku.critical
    assert list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    ocsp = pki.ocsp.certificate.extensions
    assert ocsp.get_extension_for_oid(ExtensionOID.OCSP_NO_CHECK)
    assert (
        ExtendedKeyUsageOID.OCSP_SIGNING
        in ocsp.get_extension_for_class(x509.ExtendedKeyUsage).value
    )


def test_officials_certificates_are_for_non_repudiation(pki: DevPki) -> None:
    official = issue_official(
        pki,
        full_name="Carlos Méndez",
        username="viceministro",
        organisation="Ministerio de Pruebas",
        position="Viceministro",
        pin="4321",
    )
    cert = official.certificate
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and usage.digital_signature and not usage.key_cert_sign
    assert DOCUMENT_SIGNING in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert {d.access_location.value for d in aia} == {URLS.ocsp, URLS.ca_issuers}
    crl = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl[0].full_name is not None
    assert crl[0].full_name[0].value == URLS.crl
    assert cert.subject.rfc4514_string().startswith("CN=Carlos Méndez")
    assert cert.issuer == pki.issuing.certificate.subject


def test_only_the_pin_opens_an_officials_key(pki: DevPki) -> None:
    official = issue_official(
        pki,
        full_name="Lucía Fernández",
        username="juridico",
        organisation="Ministerio de Pruebas",
        position=None,
        pin="s3creto",
    )
    key, cert, chain = pkcs12.load_key_and_certificates(official.pkcs12, b"s3creto")
    assert key is not None
    assert cert == official.certificate
    assert chain == [pki.issuing.certificate, pki.root.certificate]
    with pytest.raises(ValueError, match="Invalid password"):
        pkcs12.load_key_and_certificates(official.pkcs12, b"wrong")
    with pytest.raises(PkiError):
        issue_official(pki, full_name="X", username="x", organisation="M", position=None, pin="12")


def test_save_and_load(pki: DevPki, tmp_path: Path) -> None:
    save_dev_pki(pki, tmp_path / "pki", b"service-secret")
    assert (tmp_path / "pki" / "root.key.pem").stat().st_mode & 0o077 == 0
    assert b"ENCRYPTED" in (tmp_path / "pki" / "issuing.key.pem").read_bytes()
    loaded = load_dev_pki(tmp_path / "pki", b"service-secret")
    assert loaded.root.certificate == pki.root.certificate
    assert loaded.urls == URLS
    with pytest.raises(PkiError, match="already exists"):
        save_dev_pki(pki, tmp_path / "pki", b"service-secret")
    with pytest.raises(PkiError, match="cannot open"):
        load_dev_pki(tmp_path / "pki", b"wrong-secret")
    with pytest.raises(PkiError, match="docsvc init"):
        load_dev_pki(tmp_path / "nothing", b"service-secret")
