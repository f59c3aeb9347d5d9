"""The committed samples (tests/data/make_signed_attacks.py) each get the right verdict
and a reason, in the JSON report and in the ETSI TS 119 102-2 report alike; the untouched
original stays valid, and tests/data/README.md lists every one of them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.generated.etsi import ts_11910202
from xsdata.formats.dataclass.parsers import XmlParser

from signing.verification import VerificationPolicy, verify
from tests.support.cli import run

SIGNED = Path(__file__).parent.parent / "data" / "signed"
README = Path(__file__).parent.parent / "data" / "README.md"
VR = "{http://uri.etsi.org/19102/v1.2.1#}"
MAIN_INDICATION = {
    "valid": "urn:etsi:019102:mainindication:total-passed",
    "invalid": "urn:etsi:019102:mainindication:total-failed",
    "indeterminate": "urn:etsi:019102:mainindication:indeterminate",
}


def _root() -> bytes:
    pem = (SIGNED / "pki_root.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_the_original_is_valid() -> None:
    report = verify(SIGNED / "signed_b_b.pdf", VerificationPolicy([_root()])).report
    assert report.verdict == "valid"
    assert report.signatures[0].covers_whole_document


@pytest.mark.parametrize(
    ("name", "intact", "reason"),
    [
        ("attack_byte_changed_in_signed_range.pdf", False, "signed bytes were changed"),
        ("attack_replaced_page_content.pdf", True, "modified after signing"),
        ("attack_added_page.pdf", True, "modified after signing"),
        ("attack_overlay_annotation.pdf", True, "modified after signing"),
    ],
)
def test_attacks_are_invalid_with_a_reason(name: str, intact: bool, reason: str) -> None:
    report = verify(SIGNED / name, VerificationPolicy([_root()])).report
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert signature.intact is intact
    assert any(reason in r for r in signature.reasons), signature.reasons
    if intact:
        assert not signature.covers_whole_document


def test_a_signer_revoked_before_signing_is_invalid_offline() -> None:
    # Only the trust root: the CRL that shows the revocation is in the document's DSS.
    report = verify(
        SIGNED / "attack_revoked_before_signing.pdf", VerificationPolicy([_root()])
    ).report
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert signature.intact and signature.revoked
    assert signature.level == "B-LT"
    assert any(
        "the signer's certificate was revoked on" in r
        and "(key compromise)" in r
        and "before the timestamped signing time" in r
        for r in signature.reasons
    ), signature.reasons


def test_a_revocation_after_the_timestamp_leaves_the_signature_valid() -> None:
    report = verify(
        SIGNED / "signed_revoked_after_signing_b_lt.pdf", VerificationPolicy([_root()])
    ).report
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    assert signature.level == "B-LT"
    assert signature.trusted and not signature.revoked
    assert signature.modifications_after == "lta_updates"
    # The verifier did see the revocation, in the DSS update made after signing.
    assert any("revoked later" in r for r in signature.reasons), signature.reasons


def test_a_certificate_expired_before_signing_is_invalid() -> None:
    report = verify(SIGNED / "signed_expired_certificate.pdf", VerificationPolicy([_root()])).report
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert signature.intact and not signature.revoked
    assert signature.level == "B-T"
    assert any(
        r.startswith("the signer's certificate had expired when the document was signed")
        for r in signature.reasons
    ), signature.reasons


@pytest.mark.parametrize(
    ("name", "sub_indication"),
    [
        ("signed_b_b.pdf", "OK"),
        ("signed_revoked_after_signing_b_lt.pdf", "OK"),
        ("attack_byte_changed_in_signed_range.pdf", "HASH_FAILURE"),
        ("attack_replaced_page_content.pdf", "FORMAT_FAILURE"),
        ("attack_added_page.pdf", "FORMAT_FAILURE"),
        ("attack_overlay_annotation.pdf", "FORMAT_FAILURE"),
        ("attack_revoked_before_signing.pdf", "REVOKED"),
        ("signed_expired_certificate.pdf", "EXPIRED"),
    ],
)
def test_the_etsi_report_agrees_with_the_verdict(name: str, sub_indication: str) -> None:
    result = verify(SIGNED / name, VerificationPolicy([_root()], etsi_report=True))
    report, xml = result.report, result.etsi_xml
    assert xml is not None
    root = ET.fromstring(xml)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{VR}ValidationReport"
    (single,) = root.findall(f"{VR}SignatureValidationReport")
    status = single.find(f"{VR}SignatureValidationStatus")
    assert status is not None
    assert status.findtext(f"{VR}MainIndication") == MAIN_INDICATION[report.verdict]
    assert status.findtext(f"{VR}SubIndication") == (
        f"urn:etsi:019102:subindication:{sub_indication}"
    )
    reasons = [e.text for e in status.iter(f"{VR}Value")]
    assert reasons == list(report.signatures[0].reasons)
    process = single.findtext(f"{VR}SignatureValidationProcess/{VR}SignatureValidationProcessID")
    assert (
        process
        == "urn:etsi:019102:validationprocess:"
        + {
            "B-B": "Basic",
            "B-T": "LTVM",
            "B-LT": "LTVM",
            "B-LTA": "LTA",
        }[report.signatures[0].level]
    )
    # It fits the report's schema, as pyHanko's generated model of it reads it back...
    assert XmlParser().from_bytes(xml, ts_11910202.ValidationReport)
    # ...and every validation object referred to is listed.
    listed = {e.get("id") for e in root.iter(f"{VR}ValidationObject")}
    referred = {e.get("VOReference") for e in root.iter() if e.get("VOReference")}
    assert referred <= listed


def test_an_unsigned_document_has_no_etsi_report() -> None:
    result = verify(
        SIGNED / "unsigned_resolution.pdf", VerificationPolicy([_root()], etsi_report=True)
    )
    report, xml = result.report, result.etsi_xml
    assert report.verdict == "indeterminate"
    assert xml is None


def test_the_readme_lists_every_sample() -> None:
    section = README.read_text().split("## Signed samples and attacks", 1)[1].split("\n## ")[0]
    listed = set(re.findall(r"^\| `([^`]+\.pdf)` \|", section, flags=re.MULTILINE))
    assert listed == {p.name for p in SIGNED.glob("*.pdf")}


@pytest.mark.parametrize("name", sorted(p.name for p in SIGNED.glob("attack_*.pdf")))
def test_the_cli_says_invalid_without_a_traceback(name: str, tmp_path: Path) -> None:
    result = run(["verify", "--trust", str(SIGNED / "pki_root.pem"), str(SIGNED / name)], tmp_path)
    assert result.returncode == 1
    assert "verdict: invalid" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


SHADOW = Path(__file__).parents[1] / "data" / "shadow"


def _shadow_root() -> bytes:
    pem = (SHADOW / "root.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


@pytest.mark.parametrize("name", ["shadow_hide_signed.pdf", "shadow_replace_signed.pdf"])
def test_the_documents_prepared_for_shadow_attacks_are_valid_as_signed(name: str) -> None:
    assert verify(SHADOW / name, VerificationPolicy([_shadow_root()])).report.verdict == "valid"


@pytest.mark.parametrize(
    ("name", "intact", "reason"),
    [
        # A white cover over forged text dropped from the content array after signing.
        ("attack_shadow_hide.pdf", True, "modified after signing"),
        # A signed form XObject redefined, same object number, with forged text.
        ("attack_shadow_replace.pdf", True, "modified after signing"),
        # Another document's signature value pasted into this one's /Contents.
        ("attack_copied_signature.pdf", False, "signed bytes were changed"),
    ],
)
def test_shadow_and_copied_signature_attacks_are_invalid(
    name: str, intact: bool, reason: str
) -> None:
    """Made by tests/data/make_shadow_attacks.py. (pdfsig calls both shadow files "Signature
    is Valid", adding only "Not total document signed".)"""
    report = verify(SHADOW / name, VerificationPolicy([_shadow_root()])).report
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert signature.intact is intact
    assert any(reason in r for r in signature.reasons), signature.reasons
    assert not any("certification" in r for r in signature.reasons)
