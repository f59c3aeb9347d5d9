"""``docsvc sign`` and ``docsvc verify`` as an operator runs them, with docs/contracts.md's exit
codes: 0 valid, 1 invalid or indeterminate, 2 unreadable; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.demo.sample_pdfs import demo_documents
from signing.dev_pki import PkiUrls, create_dev_pki, issue_official, load_dev_pki
from tests.support.cli import instance_secret, run

BAD = Path(__file__).parent.parent / "data" / "bad_inputs"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    data_dir = tmp_path_factory.mktemp("signing-cli")
    assert run(["init"], data_dir).returncode == 0
    pki = load_dev_pki(data_dir / "pki", instance_secret(data_dir))
    official = issue_official(
        pki,
        full_name="Carlos Méndez",
        username="viceministro",
        organisation="Ministerio",
        position="Viceministro",
        pin="8642",
    )
    p12 = data_dir / "viceministro.p12"
    p12.write_bytes(official.pkcs12)
    unsigned = data_dir / "resolucion.pdf"
    unsigned.write_bytes(demo_documents()[4].pdf)
    return data_dir, p12, unsigned


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_sign_then_verify(setup: tuple[Path, Path, Path], level: str) -> None:
    data_dir, p12, unsigned = setup
    signed = data_dir / f"signed-{level}.pdf"
    made = run(
        [
            "sign",
            str(unsigned),
            "-o",
            str(signed),
            "--level",
            level,
            "--p12",
            str(p12),
            "--pin",
            "8642",
        ],
        data_dir,
    )
    assert made.returncode == 0, made.stderr
    checked = run(["verify", str(signed)], data_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "verdict: valid" in checked.stdout
    report = json.loads(run(["verify", "--json", str(signed)], data_dir).stdout)
    assert report["verdict"] == "valid"
    assert report["signatures"][0]["level"] == level
    assert set(report) >= {"verdict", "document", "signatures"}


def test_wrong_pin_is_refused(setup: tuple[Path, Path, Path]) -> None:
    data_dir, p12, unsigned = setup
    result = run(
        ["sign", str(unsigned), "-o", str(data_dir / "x.pdf"), "--p12", str(p12), "--pin", "0000"],
        data_dir,
    )
    assert result.returncode == 1
    assert "PIN" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (data_dir / "x.pdf").exists()


def test_exit_codes(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data_dir, _p12, unsigned = setup
    # Unsigned: indeterminate, exit 1.
    assert run(["verify", str(unsigned)], data_dir).returncode == 1
    # Unreadable inputs: exit 2, one line, no traceback.
    for name in ("jpeg_named.pdf", "truncated.pdf", "empty.pdf", "garbage_after_header.pdf"):
        result = run(["verify", str(BAD / name)], data_dir)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
    assert run(["verify", str(tmp_path / "missing.pdf")], data_dir).returncode == 2


def test_untrusted_root_is_not_valid(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data_dir, p12, unsigned = setup
    signed = data_dir / "for-trust.pdf"
    run(
        [
            "sign",
            str(unsigned),
            "-o",
            str(signed),
            "--level",
            "B-B",
            "--p12",
            str(p12),
            "--pin",
            "8642",
        ],
        data_dir,
    )
    other = create_dev_pki("Otra", PkiUrls("http://127.0.0.1:9"))
    root = tmp_path / "other-root.pem"
    root.write_bytes(other.root.certificate.public_bytes(Encoding.PEM))
    result = run(["verify", "--json", "--trust", str(root), str(signed)], data_dir)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["verdict"] == "indeterminate"
    assert any("untrusted" in r for r in report["signatures"][0]["reasons"])
