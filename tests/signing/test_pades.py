"""PAdES B-B and B-T with an official's PKCS#12: our report says valid and names the level,
and poppler's pdfsig, an independent validator, agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from signing import SigningError, WrongPin
from signing.dev_pki import DevPki, OfficialCertificate, PkiUrls, create_dev_pki
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    sign_file,
    unlock_pkcs12,
)
from signing.verification import VerificationPolicy, verify
from tests.support.pdfsig import pdfsig_output, requires_pdfsig
from tests.support.pki import PIN, material, root_der, root_pem


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
    sign_file(unsigned, signed, key, SignatureRequest(level), timestamper, material(pki))
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
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
    report = verify(signed, VerificationPolicy([root_der(other)])).report
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
    report = verify(tampered, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "invalid"
    assert not report.signatures[0].intact
    assert report.signatures[0].reasons


def test_wrong_pin_and_missing_trust(official: OfficialCertificate, unsigned: Path) -> None:
    with pytest.raises(WrongPin):
        unlock_pkcs12(official.pkcs12, "0000")
    with pytest.raises(SigningError, match="trust root"):
        verify(unsigned, VerificationPolicy([]))


def test_an_unsigned_pdf_is_indeterminate(pki: DevPki, unsigned: Path) -> None:
    report = verify(unsigned, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "indeterminate"
    assert report.reasons == ("the document has no signature",)


@requires_pdfsig
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
    sign_file(unsigned, signed, key, SignatureRequest(level), timestamper, material(pki))
    # No docsvc server runs here to answer pdfsig's OCSP request: that check is off.
    out = pdfsig_output(signed, root_pem(pki, tmp_path / "root.pem"), tmp_path)
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
    # Tight by design, in hex digits: no more than the flat 12 Ki digits, so verifiers
    # tokenise less hex.
    assert pades._estimated_size(key, Level.B_B) <= pades.SIGNATURE_BYTES_RESERVED
    attempts: list[int] = []
    real_sign_once = pades._sign_once

    def counted(*args: object) -> str:
        attempts.append(1)
        return real_sign_once(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pades, "_sign_once", counted)
    # The estimate fits at every level: each signature is made once, not signed again.
    for level in Level:
        attempts.clear()
        target = tmp_path / f"once-{level.value}.pdf"
        sign_file(unsigned, target, key, SignatureRequest(level), timestamper, material(pki))
        assert len(attempts) == 1, level
        assert verify(target, VerificationPolicy([root_der(pki)])).report.verdict == "valid"
    # No allowance for the timestamp token: the first attempt cannot fit, the retry does.
    monkeypatch.setattr(pades, "TIMESTAMP_ALLOWANCE", 0)
    monkeypatch.setattr(pades, "CMS_ALLOWANCE", 0)
    attempts.clear()
    signed = tmp_path / "retried.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_T), timestamper)
    assert len(attempts) == 2
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    assert report.signatures[0].level == "B-T"


def test_the_report_names_the_trust_anchor_or_says_why_none_matched(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    key = unlock_pkcs12(official.pkcs12, PIN)
    signed = tmp_path / "anchored.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B))
    trusted = verify(signed, VerificationPolicy([root_der(pki)])).report.signatures[0]
    assert trusted.trust_anchor is not None and "CA raíz" in trusted.trust_anchor
    stranger = create_dev_pki("Otra institución", PkiUrls("http://127.0.0.1:9"))
    untrusted = verify(signed, VerificationPolicy([root_der(stranger)])).report.signatures[0]
    assert untrusted.verdict == "indeterminate" and untrusted.trust_anchor is None
    assert any("its issuer:" in reason and "CA emisora" in reason for reason in untrusted.reasons)
