"""PAdES B-B and B-T with an official's PKCS#12: our report says valid and names the level,
and poppler's pdfsig, an independent validator, agrees."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.demo.sample_pdfs import demo_documents
from signing import SigningError, WrongPin
from signing.dev_pki import DevPki, OfficialCertificate, PkiUrls, create_dev_pki, issue_official
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.revocation import build_crl
from signing.tsa import tsa_config
from signing.verification import verify_pdf

POLICY = "2.25.329800735698586629295641978511506172918"
PIN = "2468"


@pytest.fixture(scope="module")
def pki() -> DevPki:
    return create_dev_pki("Ministerio de Pruebas", PkiUrls("http://127.0.0.1:8000"))


@pytest.fixture(scope="module")
def official(pki: DevPki) -> OfficialCertificate:
    return issue_official(
        pki,
        full_name="Ana María Rojas",
        username="ministra",
        organisation="Ministerio de Pruebas",
        position="Ministra",
        pin=PIN,
    )


@pytest.fixture(scope="module")
def timestamper(pki: DevPki) -> LocalTimeStamper:
    chain = [
        pki.issuing.certificate.public_bytes(Encoding.DER),
        pki.root.certificate.public_bytes(Encoding.DER),
    ]
    return LocalTimeStamper(tsa_config(pki.tsa, chain, POLICY))


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "resolucion.pdf"
    path.write_bytes(demo_documents()[1].pdf)
    return path


def _root(pki: DevPki) -> bytes:
    return pki.root.certificate.public_bytes(Encoding.DER)


def _material(pki: DevPki) -> ValidationMaterial:
    return ValidationMaterial(trust_roots=(_root(pki),), crls=(build_crl(pki, [], number=1),))


@pytest.mark.parametrize("level", list(Level))
def test_signed_files_verify_valid_with_the_right_level(
    pki: DevPki,
    official: OfficialCertificate,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    key = unlock_pkcs12(official.pkcs12, PIN)
    sign_file(unsigned, signed, key, SignatureRequest(level), timestamper, _material(pki))
    report = verify_pdf(signed, [_root(pki)])
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    assert signature.level == level.value
    assert signature.intact and signature.trusted and not signature.revoked
    # The DSS and archive timestamp of B-LT/B-LTA come after the signature, as updates.
    assert signature.covers_whole_document == (level in (Level.B_B, Level.B_T))
    assert signature.modifications_after in (
        ("none",) if level in (Level.B_B, Level.B_T) else ("none", "lta_updates")
    )
    assert "Ana María Rojas" in signature.signer.name
    assert (signature.timestamp_time is not None) == (level is not Level.B_B)
    assert report.document.revisions >= 2
    assert report.as_json()["verdict"] == "valid"


def test_an_unknown_root_is_untrusted_not_valid(
    official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, unlock_pkcs12(official.pkcs12, PIN), SignatureRequest(Level.B_B))
    other = create_dev_pki("Otra institución", PkiUrls("http://127.0.0.1:9"))
    report = verify_pdf(signed, [other.root.certificate.public_bytes(Encoding.DER)])
    assert report.verdict == "indeterminate"
    assert any("untrusted" in r for r in report.signatures[0].reasons)


def test_a_changed_byte_inside_the_signed_range_is_invalid(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, unlock_pkcs12(official.pkcs12, PIN), SignatureRequest(Level.B_B))
    data = bytearray(signed.read_bytes())
    # A byte of the page's (compressed) content stream, well inside the signed range.
    position = data.index(b"stream\n") + 20
    data[position] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    report = verify_pdf(tampered, [_root(pki)])
    assert report.verdict == "invalid"
    assert not report.signatures[0].intact
    assert report.signatures[0].reasons


def test_wrong_pin_and_missing_trust(official: OfficialCertificate, unsigned: Path) -> None:
    with pytest.raises(WrongPin):
        unlock_pkcs12(official.pkcs12, "0000")
    with pytest.raises(SigningError, match="trust root"):
        verify_pdf(unsigned, [])


def test_an_unsigned_pdf_is_indeterminate(pki: DevPki, unsigned: Path) -> None:
    report = verify_pdf(unsigned, [_root(pki)])
    assert report.verdict == "indeterminate"
    assert report.reasons == ("the document has no signature",)


@pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("certutil") is None,
    reason="poppler-utils and libnss3-tools are installed by make test",
)
@pytest.mark.parametrize("level", list(Level))
def test_pdfsig_agrees(
    pki: DevPki,
    official: OfficialCertificate,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    key = unlock_pkcs12(official.pkcs12, PIN)
    sign_file(unsigned, signed, key, SignatureRequest(level), timestamper, _material(pki))
    nss = tmp_path / "nss"
    nss.mkdir()
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "docsvc-root",
            "-t",
            "CT,C,C",
            "-i",
            str(root_pem),
        ],
        check=True,
    )
    out = subprocess.run(
        # pdfsig asks the OCSP responder named in the certificate online; no docsvc server
        # runs in this unit test, so that check is off here (the service's own OCSP is
        # tested in tests/api/test_pki_endpoints.py).
        ["pdfsig", "-nssdir", f"sql:{nss}", "-no-ocsp", str(signed)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "Signature is Valid." in out, out
    assert "Certificate is Trusted." in out, out
    assert "Ana María Rojas" in out


def test_the_signature_size_is_estimated_and_a_short_estimate_is_retried(
    pki: DevPki,
    official: OfficialCertificate,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import signing.pades as pades

    key = unlock_pkcs12(official.pkcs12, PIN)
    # Tight by design: far less than the flat 12 KiB, so verifiers tokenise less hex.
    assert pades._estimated_size(key, Level.B_B) <= 8 * 1024
    # No allowance for the timestamp token: the first attempt cannot fit, the retry does.
    monkeypatch.setattr(pades, "TIMESTAMP_ALLOWANCE", 0)
    monkeypatch.setattr(pades, "CMS_ALLOWANCE", 0)
    signed = tmp_path / "retried.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_T), timestamper)
    report = verify_pdf(signed, [_root(pki)])
    assert report.verdict == "valid", report
    assert report.signatures[0].level == "B-T"
