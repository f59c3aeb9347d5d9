"""Several signatures in sequence (scenario B's signing line): a certification signature
that allows form filling and signing, then approvals, each in its own revision and field.

Our report and poppler's pdfsig must accept every signature; a content change after the
certification must make it invalid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docsvc.demo.sample_pdfs import demo_documents
from signing import SigningError
from signing.appearance import StampSpec
from signing.dev_pki import DevPki, issue_official
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    SigningKey,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.verification import VerificationPolicy, verify
from tests.data.make_signed_attacks import add_page, overlay_annotation
from tests.support.pdfsig import PDFSIG_AVAILABLE, PDFSIG_MISSING_REASON, nss_database, run_pdfsig
from tests.support.pki import INSTITUTION, PIN, material, root_der, root_pem

CODE = "P4YD-0SSR-2026-0588"
STAMP = StampSpec(f"https://docsvc.example.gob.ec/verificar/{CODE}", CODE)
SIGNING_LINE = (
    ("Sofía Castillo", "analista", "Analista de Programas Sociales"),
    ("Miguel Torres", "director", "Director Financiero"),
    ("Lucía Ibáñez", "viceministra", "Viceministra"),
)


@pytest.fixture(scope="module")
def keys(pki: DevPki) -> tuple[SigningKey, ...]:
    return tuple(
        unlock_pkcs12(
            issue_official(
                pki,
                full_name=name,
                username=username,
                organisation=INSTITUTION,
                position=position,
                pin=PIN,
            ).pkcs12,
            PIN,
        )
        for name, username, position in SIGNING_LINE
    )


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A budget certification rather than the shared resolution."""
    path = tmp_path_factory.mktemp("pdf") / "certificacion.pdf"
    path.write_bytes(demo_documents()[3].pdf)
    return path


def _signing_line(
    source: Path,
    work: Path,
    keys: tuple[SigningKey, ...],
    level: Level,
    stamped: bool,
    timestamper: LocalTimeStamper | None = None,
    material: ValidationMaterial | None = None,
) -> Path:
    """Certify with the first key (reserving the others' stamps), approve with the rest."""
    current = source
    for position, key in enumerate(keys):
        signed = work / f"step{position + 1}.pdf"
        first = position == 0
        request = SignatureRequest(
            level,
            certify=first,
            stamp=STAMP if stamped else None,
            reserve_fields=len(keys) - 1 if first and stamped else 0,
        )
        assert sign_file(current, signed, key, request, timestamper, material) == (
            f"Firma{position + 1}"
        )
        current = signed
    return current


@pytest.mark.parametrize("level", [Level.B_B, Level.B_LT])
@pytest.mark.parametrize("stamped", [True, False], ids=["stamped", "invisible"])
def test_certify_approve_approve_is_valid(
    pki: DevPki,
    keys: tuple[SigningKey, ...],
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
    stamped: bool,
) -> None:
    final = _signing_line(unsigned, tmp_path, keys, level, stamped, timestamper, material(pki))
    report = verify(final, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    assert [s.field for s in report.signatures] == ["Firma1", "Firma2", "Firma3"]
    assert [s.signer.name.split("Common Name: ")[1].split(",")[0] for s in report.signatures] == [
        name for name, _, _ in SIGNING_LINE
    ]
    assert all(s.level == level.value for s in report.signatures)
    first, second, last = report.signatures
    # Filling a signature field is form filling, which the certification allows.
    assert first.modifications_after == second.modifications_after == "form_filling"
    assert last.modifications_after == ("none" if level is Level.B_B else "lta_updates")
    assert not first.covers_whole_document and not second.covers_whole_document
    assert report.document.revisions == 1 + len(keys) * (1 if level is Level.B_B else 2)


@pytest.fixture(scope="module")
def nss(pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One NSS database trusting the root, for every pdfsig run of this module."""
    if not PDFSIG_AVAILABLE:
        pytest.skip(PDFSIG_MISSING_REASON)
    directory = tmp_path_factory.mktemp("nss")
    return nss_database(root_pem(pki, directory / "root.pem"), directory)


@pytest.mark.parametrize("stamped", [True, False], ids=["stamped", "invisible"])
def test_pdfsig_accepts_every_signature_of_the_line(
    pki: DevPki,
    keys: tuple[SigningKey, ...],
    unsigned: Path,
    nss: str,
    tmp_path: Path,
    stamped: bool,
) -> None:
    final = _signing_line(unsigned, tmp_path, keys, Level.B_B, stamped)
    out = run_pdfsig(final, nss)  # no docsvc server runs here to answer OCSP
    assert out.count("Signature is Valid.") == len(keys), out
    assert out.count("Certificate is Trusted.") == len(keys), out
    # Earlier signatures do not cover the later revisions, which is expected.
    assert out.count("Not total document signed") == len(keys) - 1, out
    for name, _, _ in SIGNING_LINE:
        assert name in out


@pytest.mark.parametrize("attack", [add_page, overlay_annotation])
@pytest.mark.parametrize("approvals", [0, 2])
def test_content_changed_after_certification_is_invalid(
    pki: DevPki,
    keys: tuple[SigningKey, ...],
    unsigned: Path,
    tmp_path: Path,
    attack: object,
    approvals: int,
) -> None:
    signed = _signing_line(unsigned, tmp_path, keys[: approvals + 1], Level.B_B, stamped=True)
    assert verify(signed, VerificationPolicy([root_der(pki)])).report.verdict == "valid"
    tampered = tmp_path / "tampered.pdf"
    assert callable(attack)
    tampered.write_bytes(attack(signed.read_bytes()))
    report = verify(tampered, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "invalid"
    certification = report.signatures[0]
    assert certification.verdict == "invalid"
    assert certification.modifications_after in ("annotations", "other")
    assert certification.intact


def test_what_would_break_a_certification_is_refused(
    keys: tuple[SigningKey, ...], unsigned: Path, tmp_path: Path
) -> None:
    certified = tmp_path / "certified.pdf"
    sign_file(unsigned, certified, keys[0], SignatureRequest(Level.B_B, certify=True))
    out = tmp_path / "out.pdf"
    with pytest.raises(SigningError, match="first"):
        sign_file(certified, out, keys[1], SignatureRequest(Level.B_B, certify=True))
    # No reserved field is left: a new visible field would break the certification.
    with pytest.raises(SigningError, match="certified"):
        sign_file(certified, out, keys[1], SignatureRequest(Level.B_B, stamp=STAMP))
    with pytest.raises(SigningError, match="reserved"):
        sign_file(certified, out, keys[1], SignatureRequest(Level.B_B, reserve_fields=1))


def test_an_invisible_approval_leaves_the_reserved_stamps_free(
    pki: DevPki, keys: tuple[SigningKey, ...], unsigned: Path, tmp_path: Path
) -> None:
    certified = tmp_path / "certified.pdf"
    request = SignatureRequest(Level.B_B, certify=True, stamp=STAMP, reserve_fields=1)
    assert sign_file(unsigned, certified, keys[0], request) == "Firma1"
    invisible = tmp_path / "invisible.pdf"
    assert sign_file(certified, invisible, keys[1], SignatureRequest(Level.B_B)) == "Firma3"
    with pytest.raises(SigningError, match="needs a stamp"):
        sign_file(
            invisible,
            tmp_path / "out.pdf",
            keys[2],
            SignatureRequest(Level.B_B, field_name="Firma2"),
        )
    stamped = tmp_path / "stamped.pdf"
    assert sign_file(invisible, stamped, keys[2], SignatureRequest(Level.B_B, stamp=STAMP)) == (
        "Firma2"
    )
    assert verify(stamped, VerificationPolicy([root_der(pki)])).report.verdict == "valid"


def test_a_no_changes_certification_refuses_any_later_signature(
    keys: tuple[SigningKey, ...], pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    """Documents from other tools may certify with DocMDP level 1 (no changes at all):
    signing one again is refused, and nothing is written."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    certified = tmp_path / "certified.pdf"
    with unsigned.open("rb") as inp, certified.open("w+b") as out:
        signers.sign_pdf(
            IncrementalPdfFileWriter(inp, strict=False),
            signers.PdfSignatureMetadata(
                field_name="Certificacion",
                certify=True,
                docmdp_permissions=fields.MDPPerm.NO_CHANGES,
                subfilter=fields.SigSeedSubFilter.PADES,
            ),
            signer=keys[0].signer,
            output=out,
        )
    assert verify(certified, VerificationPolicy([root_der(pki)])).report.verdict == "valid"
    approved = tmp_path / "approved.pdf"
    with pytest.raises(SigningError):
        sign_file(certified, approved, keys[1], SignatureRequest(Level.B_B))
    assert not approved.exists()
