"""Production shape: an institution without a development PKI signs with trust services
named in its configuration (DOCSVC_TSA_URL, DOCSVC_OCSP_URL, DOCSVC_TRUST_ROOTS). Here the
outside CA, TSA and OCSP responder are another docsvc, served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from docsvc.composition import build_services
from docsvc.demo.sample_pdfs import demo_documents
from docsvc.pki.service import revoke
from signing.dev_pki import PkiUrls, create_dev_pki, issue_official
from tests.support.served import PIN, Served, issue

TSA_REQUEST = re.compile(r'"POST /pki/tsa ')
OCSP_POST = re.compile(r'"POST /pki/ocsp ')


@pytest.fixture(scope="module")
def institution(served: Served, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A second institution, configured as production is: no development PKI of its own."""
    data_dir = tmp_path_factory.mktemp("outside-trust")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        "DOCSVC_ENV": "test",
        "DOCSVC_DATA_DIR": str(data_dir),
        "DOCSVC_DEV_PKI": "false",
        "DOCSVC_TSA_URL": f"{served.base}/pki/tsa",
        "DOCSVC_OCSP_URL": f"{served.base}/pki/ocsp",
        "DOCSVC_TRUST_ROOTS": json.dumps([str(served.settings.pki_dir / "root.pem")]),
    }
    done = _docsvc(["init"], env)
    assert done.returncode == 0, done.stderr
    assert not (data_dir / "pki").exists()
    return env


def _docsvc(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docsvc", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _sign(env: dict[str, str], p12: Path, level: str, directory: Path) -> tuple[Path, int]:
    source = directory / "resolucion.pdf"
    source.write_bytes(demo_documents()[1].pdf)
    signed = directory / f"{p12.stem}-{level}.pdf"
    done = _docsvc(
        ["sign", str(source), "-o", str(signed), "--level", level, "--p12", str(p12),
         "--pin", PIN],
        env,
    )  # fmt: skip
    return signed, done.returncode


@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_signing_uses_the_configured_tsa_and_ocsp(
    served: Served,
    institution: dict[str, str],
    tmp_path: Path,
    level: str,
) -> None:
    p12, _ = issue(served, tmp_path, f"outside-{level.lower()}")
    tsa_before = len(TSA_REQUEST.findall(served.log.read_text()))
    ocsp_before = len(OCSP_POST.findall(served.log.read_text()))
    signed, code = _sign(institution, p12, level, tmp_path)
    assert code == 0
    log = served.log.read_text()
    assert len(TSA_REQUEST.findall(log)) > tsa_before
    if level == "B-LT":
        assert len(OCSP_POST.findall(log)) > ocsp_before
    report = json.loads(_docsvc(["verify", "--json", str(signed)], institution).stdout)
    assert report["verdict"] == "valid", report
    assert report["signatures"][0]["level"] == level


def test_a_revoked_signer_cannot_make_a_long_term_signature(
    served: Served,
    institution: dict[str, str],
    tmp_path: Path,
) -> None:
    p12, serial = issue(served, tmp_path, "outside-revoked")
    services = build_services(served.settings)
    try:
        with services.sessions() as db:
            revoke(db, None, serial, x509.ReasonFlags.key_compromise)
            db.commit()
    finally:
        services.close()
    signed, code = _sign(institution, p12, "B-LT", tmp_path)
    assert code == 1
    assert not signed.exists()


def test_without_a_tsa_timestamped_levels_are_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        "DOCSVC_ENV": "test",
        "DOCSVC_DATA_DIR": str(tmp_path),
        "DOCSVC_DEV_PKI": "false",
    }
    assert _docsvc(["init"], env).returncode == 0
    pki = create_dev_pki("Otra CA", PkiUrls("http://127.0.0.1:9"))
    official = issue_official(
        pki, full_name="Ana Rojas", username="ana", organisation="X", position=None, pin=PIN
    )
    p12 = tmp_path / "ana.p12"
    p12.write_bytes(official.pkcs12)
    source = tmp_path / "in.pdf"
    source.write_bytes(demo_documents()[0].pdf)
    done = _docsvc(["sign", str(source), "-o", str(tmp_path / "out.pdf"), "--level", "B-T",
                    "--p12", str(p12), "--pin", PIN], env)  # fmt: skip
    assert done.returncode == 1
    assert "DOCSVC_TSA_URL" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.pdf").exists()
