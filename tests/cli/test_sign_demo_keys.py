"""``docsvc sign`` without a key signs as a demo official, and ``docsvc keys`` issues and
lists officials' credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docsvc.demo.sample_pdfs import demo_documents
from signing.ltv import last_timestamp
from tests.support.cli import run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("demo-sign")
    made = run(["init", "--demo"], data_dir)
    assert made.returncode == 0, made.stderr
    assert "signing PIN of officials: 123456" in made.stdout
    unsigned = data_dir / "resolucion.pdf"
    unsigned.write_bytes(demo_documents()[1].pdf)
    return data_dir, unsigned


def test_without_a_key_the_demo_minister_signs(demo: tuple[Path, Path]) -> None:
    data_dir, unsigned = demo
    signed = data_dir / "firmada.pdf"
    made = run(["sign", str(unsigned), "-o", str(signed), "--level", "B-T"], data_dir)
    assert made.returncode == 0, made.stderr
    assert "Ana María Rojas" in made.stdout
    report = json.loads(run(["verify", "--json", str(signed)], data_dir).stdout)
    assert report["verdict"] == "valid"
    assert report["signatures"][0]["level"] == "B-T"


def test_another_demo_official_and_a_wrong_pin(demo: tuple[Path, Path]) -> None:
    data_dir, unsigned = demo
    signed = data_dir / "vice.pdf"
    made = run(["sign", str(unsigned), "-o", str(signed), "--user", "viceministro"], data_dir)
    assert made.returncode == 0, made.stderr
    assert "Carlos Méndez" in made.stdout
    wrong = run(["sign", str(unsigned), "-o", str(data_dir / "x.pdf"), "--pin", "9999"], data_dir)
    assert wrong.returncode == 1
    assert "PIN" in wrong.stderr and "Traceback" not in wrong.stderr
    unknown = run(
        ["sign", str(unsigned), "-o", str(data_dir / "y.pdf"), "--user", "registro"], data_dir
    )
    assert unknown.returncode == 2
    assert "docsvc init --demo" in unknown.stderr


def test_keys_issue_replaces_the_credential_under_a_new_pin(demo: tuple[Path, Path]) -> None:
    data_dir, unsigned = demo
    issued = run(["keys", "issue", "programas", "--pin-stdin"], data_dir, stdin="567890\n")
    assert issued.returncode == 0, issued.stderr
    listed = run(["keys", "list"], data_dir)
    assert listed.returncode == 0
    rows = [line for line in listed.stdout.splitlines() if line.startswith("programas")]
    assert len(rows) == 1 and "pkcs12" in rows[0]
    old_pin = run(
        ["sign", str(unsigned), "-o", str(data_dir / "p.pdf"), "--user", "programas"], data_dir
    )
    assert old_pin.returncode == 1
    new_pin = run(
        ["sign", str(unsigned), "-o", str(data_dir / "p.pdf"), "--user", "programas",
         "--pin", "567890"],
        data_dir,
    )  # fmt: skip
    assert new_pin.returncode == 0, new_pin.stderr
    short = run(["keys", "issue", "programas", "--pin-stdin"], data_dir, stdin="12\n")
    assert short.returncode == 1 and "PIN" in short.stderr


def test_without_demo_data_a_key_is_required(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    source = tmp_path / "in.pdf"
    source.write_bytes(demo_documents()[0].pdf)
    result = run(["sign", str(source), "-o", str(tmp_path / "out.pdf")], tmp_path)
    assert result.returncode == 2
    assert "--p12" in result.stderr and "Traceback" not in result.stderr


def test_keys_export_hands_the_official_a_pbes2_pkcs12_under_the_pin(
    demo: tuple[Path, Path],
) -> None:
    """``docsvc keys export``: the PIN opens it (and nothing else does), mode 0600, and an
    existing file is never overwritten."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    data_dir, _ = demo
    out = data_dir / "viceministro.p12"
    wrong = run(["keys", "export", "viceministro", str(out), "--pin-stdin"], data_dir, "000000\n")
    assert wrong.returncode == 1 and "PIN" in wrong.stderr and not out.exists()
    made = run(["keys", "export", "viceministro", str(out), "--pin-stdin"], data_dir, "123456\n")
    assert made.returncode == 0, made.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    loaded = pkcs12.load_pkcs12(out.read_bytes(), b"123456")
    assert loaded.cert is not None and "Carlos" in loaded.cert.certificate.subject.rfc4514_string()
    with pytest.raises(ValueError, match=r"[Ii]nvalid password|[Cc]ould not"):
        pkcs12.load_pkcs12(out.read_bytes(), b"000000")
    again = run(["keys", "export", "viceministro", str(out), "--pin-stdin"], data_dir, "123456\n")
    assert again.returncode == 2 and "exists" in again.stderr


def test_keys_renew_tsa_rolls_the_timestamp_authority_over(demo: tuple[Path, Path]) -> None:
    """Before the development TSA's certificate ends, the operator gives it a new key:
    what it stamped before still verifies, and what it stamps from then on reaches
    further. (Last in this module: the PKI changes under the tests after it.)"""
    data_dir, unsigned = demo
    before_pem = (data_dir / "pki" / "tsa.pem").read_bytes()
    earlier = data_dir / "antes.pdf"
    made = run(["sign", str(unsigned), "-o", str(earlier), "--level", "B-LTA"], data_dir)
    assert made.returncode == 0, made.stderr
    earlier_stamp = last_timestamp(earlier)

    renewed = run(["keys", "renew-tsa"], data_dir)
    assert renewed.returncode == 0, renewed.stderr
    assert "timestamp authority renewed" in renewed.stdout
    assert (data_dir / "pki" / "tsa.pem").read_bytes() != before_pem

    later = data_dir / "despues.pdf"
    made = run(["sign", str(unsigned), "-o", str(later), "--level", "B-LTA"], data_dir)
    assert made.returncode == 0, made.stderr
    later_stamp = last_timestamp(later)
    assert earlier_stamp is not None and later_stamp is not None
    assert later_stamp.authority_expires > earlier_stamp.authority_expires
    for path in (earlier, later):
        report = json.loads(run(["verify", "--json", str(path)], data_dir).stdout)
        assert report["verdict"] == "valid", report

    # Where the timestamp authority is someone else's, there is nothing to renew here.
    refused = run(["keys", "renew-tsa"], data_dir, DOCSVC_DEV_PKI="false")
    assert refused.returncode == 1
    assert "no development PKI" in refused.stderr
