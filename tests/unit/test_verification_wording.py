"""The report's reasons in Spanish: every phrase signing.verification writes is replaced,
so a Spanish reader sees no English left in the reasons the attack files produce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyhanko.sign.general import load_cert_from_pemder

from docsvc.verification import wording
from signing.verification import VerificationPolicy, verify

DATA = Path(__file__).parents[1] / "data"
ENGLISH = re.compile(r"\b(the|was|signer|signature|certificate|document|timestamp|not|before)\b")
# Reasons no committed file produces, as signing.verification writes them.
WRITTEN = [
    "the cryptographic signature does not verify",
    "the signature timestamp does not match the signature",
    "the signature timestamp's own signature does not verify",
    "untrusted timestamp: the timestamp authority's certificate is not valid under the "
    "configured trust anchors",
    "untrusted: the chain uses an algorithm no longer accepted",
    "untrusted: the signer's certificate is not fit for signing or its chain breaks a constraint",
    "untrusted: no usable revocation information for the signer's certificate",
    "untrusted: the signer's certificate chain is not valid",
    "a CA certificate in the signer's chain was revoked on 2026-01-02 10:00:00 UTC "
    "(unspecified), after the signing time the signer claims (2026-01-01 10:00:00 UTC), but "
    "no timestamp proves the signature was made before the revocation",
    "the signer's certificate was not yet valid when the document was signed: it is valid "
    "from 2026-01-02 10:00:00 UTC, and the signing time the signer claims is 2026-01-01 "
    "10:00:00 UTC",
    "the signer's certificate is valid only from 2024-01-01 10:00:00 UTC to 2025-01-01 "
    "10:00:00 UTC, and no timestamp proves the signature was made then",
    "the document was modified after signing (annotations)",
    "the document was changed in a way its certification signature does not allow",
    "signed by Pedro Gómez as stand-in for Ana Rojas (Ministra)",
    "the signer's certificate was revoked later, on 2026-01-02 10:00:00 UTC; the timestamp "
    "proves the signature was made before, on 2026-01-01 10:00:00 UTC",
]


def _reasons() -> list[str]:
    collected = []
    for folder, root in (("signed", "pki_root.pem"), ("shadow", "root.pem")):
        anchor = load_cert_from_pemder(str(DATA / folder / root)).dump()
        for path in sorted((DATA / folder).glob("*.pdf")):
            report = verify(path, VerificationPolicy([anchor])).report
            collected += list(report.reasons)
            for signature in report.signatures:
                collected += list(signature.reasons)
    # A foreign root: untrusted.
    report = verify(
        DATA / "third_party" / "signed_by_endesive.pdf", VerificationPolicy([anchor])
    ).report
    collected += list(report.signatures[0].reasons)
    return collected


REASONS = _reasons() + WRITTEN


def test_the_attack_files_give_reasons_to_translate() -> None:
    assert len(set(REASONS) - set(WRITTEN)) >= 7


@pytest.mark.parametrize("reason", sorted(set(REASONS)))
def test_every_reason_reads_in_spanish(reason: str) -> None:
    spanish = wording.reason(reason, "es")
    assert not ENGLISH.search(spanish), spanish
    assert spanish[0].isupper()


def test_english_is_left_as_it_is() -> None:
    assert wording.reason("the document has no signature", "en") == (
        "the document has no signature"
    )


def test_copy_checks_are_worded() -> None:
    copy = {
        "status": "earlier_version",
        "verification_code": "ABCD",
        "version": 1,
        "latest_version": 3,
    }
    assert wording.copy_check(copy, "es") == (
        "Es idéntico a la versión 1 del documento registrado con el código ABCD, que tiene "
        "una versión más reciente (3)."
    )
    assert "matches no document" in wording.copy_check({"status": "unknown"}, "en")
