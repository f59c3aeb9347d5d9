"""Every place docsvc reads a file from elsewhere, not only the verifier: registering it
(the upload inspection), the copy check's revision scan, and an official of the
institution countersigning it. Each file of the corpus goes through all three; a
countersignature leaves the other product's signatures as they were judged."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.general import load_cert_from_pemder

from docsvc.documents.pdf_inspection import PdfLimits, inspect_pdf
from docsvc.verification.copies import revision_prefix_hashes
from signing.dev_pki import DevPki, OfficialCertificate
from signing.errors import SigningError
from signing.pades import Level, SignatureRequest, SigningKey, sign_file, unlock_pkcs12
from signing.verification import VerificationPolicy, verify
from tests.support.files_from_elsewhere import Case, cases
from tests.support.pki import PIN

CORPUS = [case for case in cases() if case.folder == "corpus"]
# A certification signature that allows no change at all: signing after it is refused.
LOCKED = {"adobe_certified_p1_then_approval.pdf"}


@pytest.fixture(scope="module")
def key(official: OfficialCertificate) -> SigningKey:
    return unlock_pkcs12(official.pkcs12, PIN)


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_registering_scanning_and_countersigning(
    case: Case, key: SigningKey, pki: DevPki, tmp_path: Path
) -> None:
    facts = inspect_pdf(case.path, PdfLimits())
    assert facts.pages >= 1 and facts.has_signature_fields
    ends = [length for length, _ in revision_prefix_hashes(case.path)]
    assert ends and ends[-1] <= case.path.stat().st_size

    countersigned = tmp_path / "countersigned.pdf"
    if case.name in LOCKED:
        with pytest.raises(SigningError, match="forbids all changes"):
            sign_file(case.path, countersigned, key, SignatureRequest(Level.B_B))
        return
    field = sign_file(case.path, countersigned, key, SignatureRequest(Level.B_B))
    anchors = [load_cert_from_pemder(str(anchor)).dump() for anchor in case.anchors]
    anchors.append(pki.root.certificate.public_bytes(Encoding.DER))
    report = verify(countersigned, VerificationPolicy(anchors)).report
    verdicts = {s.field: s.verdict for s in report.signatures}
    assert verdicts.pop(field) == "valid", report.as_json()
    before = verify(case.path, VerificationPolicy(anchors[:-1])).report
    assert verdicts == {s.field: s.verdict for s in before.signatures}, report.as_json()
