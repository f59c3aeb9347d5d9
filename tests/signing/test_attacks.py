"""The committed attack files (tests/data/make_signed_attacks.py) each get the right verdict
and a reason; the untouched original stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from signing.verification import verify_pdf
from tests.cli.test_cli import run

SIGNED = Path(__file__).parent.parent / "data" / "signed"


def _root() -> bytes:
    pem = (SIGNED / "pki_root.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_the_original_is_valid() -> None:
    report = verify_pdf(SIGNED / "signed_b_b.pdf", [_root()])
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
    report = verify_pdf(SIGNED / name, [_root()])
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert signature.intact is intact
    assert any(reason in r for r in signature.reasons), signature.reasons
    if intact:
        assert not signature.covers_whole_document


@pytest.mark.parametrize("name", sorted(p.name for p in SIGNED.glob("attack_*.pdf")))
def test_the_cli_says_invalid_without_a_traceback(name: str, tmp_path: Path) -> None:
    result = run(["verify", "--trust", str(SIGNED / "pki_root.pem"), str(SIGNED / name)], tmp_path)
    assert result.returncode == 1
    assert "verdict: invalid" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
