"""``docsvc verify --etsi-report`` writes an ETSI TS 119 102-2 report that agrees with the
verdict, and ``docsvc verify`` without ``--trust`` checks the institution's current CRL:
real processes, real exit codes, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.config import Settings
from docsvc.db.engine import make_engine, make_session_factory
from docsvc.demo.sample_pdfs import demo_documents
from docsvc.pki.service import record_issued, revoke
from signing.dev_pki import issue_official, load_dev_pki
from signing.pades import Level, LocalTimeStamper, SignatureRequest, sign_file, unlock_pkcs12
from signing.tsa import tsa_config
from tests.support.cli import instance_secret, run

SIGNED = Path(__file__).parent.parent / "data" / "signed"
VR = "{http://uri.etsi.org/19102/v1.2.1#}"
MAIN_INDICATION = {
    "valid": "urn:etsi:019102:mainindication:total-passed",
    "invalid": "urn:etsi:019102:mainindication:total-failed",
    "indeterminate": "urn:etsi:019102:mainindication:indeterminate",
}
PIN = "8642"


def _indications(path: Path) -> list[str | None]:
    root = ET.parse(path).getroot()  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{VR}ValidationReport"
    return [
        report.findtext(f"{VR}SignatureValidationStatus/{VR}MainIndication")
        for report in root.findall(f"{VR}SignatureValidationReport")
    ]


@pytest.mark.parametrize(
    "name",
    [
        "signed_b_b.pdf",
        "attack_added_page.pdf",
        "attack_revoked_before_signing.pdf",
        "signed_expired_certificate.pdf",
    ],
)
def test_the_etsi_report_matches_the_verdict(name: str, tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    result = run(
        [
            "verify",
            "--json",
            "--trust",
            str(SIGNED / "pki_root.pem"),
            "--etsi-report",
            str(out),
            str(SIGNED / name),
        ],
        tmp_path,
    )
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert result.returncode == (0 if report["verdict"] == "valid" else 1)
    assert _indications(out) == [MAIN_INDICATION[s["verdict"]] for s in report["signatures"]]


@dataclass(frozen=True)
class Institution:
    data_dir: Path
    root: Path
    unsigned: Path


@dataclass(frozen=True)
class Signed:
    serial: int  # of the signer's certificate
    b_b: Path
    b_t: Path
    twice: Path  # two B-B signatures


@pytest.fixture(scope="module")
def institution(tmp_path_factory: pytest.TempPathFactory) -> Institution:
    data_dir = tmp_path_factory.mktemp("verify-etsi")
    assert run(["init"], data_dir).returncode == 0
    root = data_dir / "root.pem"
    root.write_bytes((data_dir / "pki" / "root.pem").read_bytes())
    unsigned = data_dir / "resolucion.pdf"
    unsigned.write_bytes(demo_documents()[4].pdf)
    return Institution(data_dir, root, unsigned)


def _sign_as(institution: Institution, username: str, out: Path) -> Signed:
    """A certificate the institution issues (and records) to ``username``, and documents
    signed with it: at B-B, at B-T, and twice at B-B."""
    data_dir = institution.data_dir
    pki = load_dev_pki(data_dir / "pki", instance_secret(data_dir))
    official = issue_official(
        pki,
        full_name="Carlos Méndez",
        username=username,
        organisation="Ministerio",
        position="Viceministro",
        pin=PIN,
    )
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as db:
            record_issued(db, official.certificate, "signing")
            db.commit()
    finally:
        engine.dispose()
    key = unlock_pkcs12(official.pkcs12, PIN)
    chain = [c.public_bytes(Encoding.DER) for c in (pki.issuing.certificate, pki.root.certificate)]
    stamper = LocalTimeStamper(tsa_config(pki.tsa, chain, settings.tsa_policy_oid))
    b_b, b_t, twice = (out / name for name in ("b_b.pdf", "b_t.pdf", "twice.pdf"))
    sign_file(institution.unsigned, b_b, key, SignatureRequest(Level.B_B))
    sign_file(institution.unsigned, b_t, key, SignatureRequest(Level.B_T), stamper)
    sign_file(b_b, twice, key, SignatureRequest(Level.B_B, field_name="Firma2"))
    return Signed(official.certificate.serial_number, b_b, b_t, twice)


@pytest.fixture(scope="module")
def signed(institution: Institution, tmp_path_factory: pytest.TempPathFactory) -> Signed:
    return _sign_as(institution, "viceministro", tmp_path_factory.mktemp("signed"))


def test_one_signature_validation_report_per_signature(
    institution: Institution, signed: Signed, tmp_path: Path
) -> None:
    out = tmp_path / "twice.xml"
    result = run(["verify", "--etsi-report", str(out), str(signed.twice)], institution.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _indications(out) == [MAIN_INDICATION["valid"]] * 2


def test_no_report_for_an_unsigned_document(institution: Institution, tmp_path: Path) -> None:
    out = tmp_path / "none.xml"
    result = run(
        ["verify", "--etsi-report", str(out), str(institution.unsigned)],
        institution.data_dir,
    )
    assert result.returncode == 1
    assert "no signature" in result.stderr
    assert not out.exists()


def test_an_unwritable_report_path_is_one_line(institution: Institution, signed: Signed) -> None:
    out = institution.data_dir / "no" / "such" / "dir" / "report.xml"
    result = run(["verify", "--etsi-report", str(out), str(signed.b_b)], institution.data_dir)
    assert result.returncode == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_without_trust_the_institutions_current_crl_counts(
    institution: Institution, tmp_path: Path
) -> None:
    data_dir = institution.data_dir
    revocable = _sign_as(institution, "revocable", tmp_path)
    before = run(["verify", str(revocable.b_b)], data_dir)
    assert before.returncode == 0, before.stdout + before.stderr

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as db:
            revoke(
                db,
                None,
                revocable.serial,
                x509.ReasonFlags.key_compromise,
                at=dt.datetime.now(dt.UTC),
            )
            db.commit()
    finally:
        engine.dispose()

    # B-B: only the signer's word places the signature before the revocation.
    unproven = run(["verify", "--json", str(revocable.b_b)], data_dir)
    assert unproven.returncode == 1, unproven.stdout + unproven.stderr
    signature = json.loads(unproven.stdout)["signatures"][0]
    assert signature["verdict"] == "indeterminate" and signature["revoked"]
    assert any("key compromise" in r for r in signature["reasons"])
    # B-T: the timestamp proves the signature came first.
    proven = run(["verify", "--json", str(revocable.b_t)], data_dir)
    assert proven.returncode == 0, proven.stdout + proven.stderr
    signature = json.loads(proven.stdout)["signatures"][0]
    assert signature["verdict"] == "valid" and not signature["revoked"]
    assert any("revoked later" in r for r in signature["reasons"])
    # With explicit anchors, the institution's CRL is not consulted.
    anchored = run(["verify", "--trust", str(institution.root), str(revocable.b_b)], data_dir)
    assert anchored.returncode == 0, anchored.stdout + anchored.stderr
    for result in (unproven, proven, anchored):
        assert "Traceback" not in result.stdout + result.stderr
