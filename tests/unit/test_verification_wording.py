"""The report's reasons in Spanish: every reason signing.verification gives (as a code with
parameters) is worded from the catalogue, so a Spanish reader sees no English left in the
reasons the attack files produce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyhanko.sign.general import load_cert_from_pemder

from docsvc.verification import wording
from signing.report import Reason
from signing.verification import VerificationPolicy, verify

DATA = Path(__file__).parents[1] / "data"
ENGLISH = re.compile(r"\b(the|was|signer|signature|certificate|document|timestamp|not|before)\b")
# Reasons no committed file produces, as signing.verification gives them.
WRITTEN = [
    Reason.of("signature_crypto_failure"),
    Reason.of("timestamp_hash_failure"),
    Reason.of("timestamp_crypto_failure"),
    Reason.of("timestamp_untrusted"),
    Reason.of("timestamp_authority_expired", not_after="2031-12-06T17:35:12+00:00"),
    Reason.of("weak_algorithm"),
    Reason.of("chain_constraints"),
    Reason.of("no_revocation_info"),
    Reason.of("chain_invalid"),
    Reason.of(
        "certificate_revoked",
        "REVOKED_CA_NO_POE",
        order="after",
        certificate="ca",
        revoked_at="2026-01-02T10:00:00+00:00",
        revocation_reason="unspecified",
        time="claimed",
        signed_at="2026-01-01T10:00:00+00:00",
    ),
    Reason.of(
        "certificate_not_yet_valid",
        not_before="2026-01-02T10:00:00+00:00",
        time="claimed",
        signed_at="2026-01-01T10:00:00+00:00",
    ),
    Reason.of(
        "certificate_expired",
        "OUT_OF_BOUNDS_NO_POE",
        not_before="2024-01-01T10:00:00+00:00",
        not_after="2025-01-01T10:00:00+00:00",
    ),
    Reason.of("modified_after_signing", modifications="annotations"),
    Reason.of("certification_violated"),
    Reason.of("stand_in", signer="Pedro Gómez", principal="Ana Rojas", position="Ministra"),
    Reason.of(
        "revoked_later",
        revoked_at="2026-01-02T10:00:00+00:00",
        proven_at="2026-01-01T10:00:00+00:00",
    ),
]


def _reasons() -> list[Reason]:
    collected = []
    for folder, root in (("signed", "pki_root.pem"), ("shadow", "root.pem")):
        anchor = load_cert_from_pemder(str(DATA / folder / root)).dump()
        for path in sorted((DATA / folder).glob("*.pdf")):
            report = verify(path, VerificationPolicy([anchor])).report
            collected += list(report.reason_details)
            for signature in report.signatures:
                collected += list(signature.reason_details)
    # A foreign root: untrusted.
    report = verify(
        DATA / "third_party" / "signed_by_endesive.pdf", VerificationPolicy([anchor])
    ).report
    collected += list(report.signatures[0].reason_details)
    return collected


REASONS = _reasons() + WRITTEN


def test_the_attack_files_give_reasons_to_translate() -> None:
    assert len(set(REASONS) - set(WRITTEN)) >= 7
    # Every finding's parameters were read: none travels as an English sentence.
    assert not [r for r in REASONS if "detail" in r.parameters]


@pytest.mark.parametrize("reason", sorted(set(REASONS), key=repr), ids=lambda r: r.code)
def test_every_reason_reads_in_spanish(reason: Reason) -> None:
    spanish = wording.reason(reason, "es")
    assert not ENGLISH.search(spanish), spanish
    assert spanish[0].isupper()


def test_english_is_the_report_s_own() -> None:
    assert wording.reason(Reason.of("no_signature"), "en") == "the document has no signature"


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
