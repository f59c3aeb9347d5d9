"""Long-term validation renewal (signing.ltv) and the strict timestamp chain the verifier
walks: a signature stays valid after its timestamp authority's certificate expires only
if an archive timestamp renewed in time, by an authority whose certificate reaches
further, covers it. The clock is moved with freezegun; the TSA rolls its key over
(``renew_tsa``) as a real one does before its certificate expires."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from freezegun import freeze_time

from signing.algorithm_sunset import table
from signing.dev_pki import DevPki, OfficialCertificate, renew_tsa
from signing.ltv import RenewalError, extend, last_timestamp, renewal_date
from signing.pades import Level, LocalTimeStamper, SignatureRequest, sign_file, unlock_pkcs12
from signing.verification import VerificationPolicy, verify
from tests.support.pdfsig import pdfsig_output
from tests.support.pki import PIN, material, root_der, root_pem, tsa

MONTH = dt.timedelta(days=30)
DAY = dt.timedelta(days=1)


def _verdict(path: Path, pki: DevPki) -> tuple[str, str]:
    report = verify(path, VerificationPolicy([root_der(pki)])).report
    (signature,) = report.signatures
    if report.verdict == "indeterminate":
        # Said as what it is: the authority's certificate expired, nothing renewed it.
        assert signature.reason_codes[0] == "timestamp_authority_expired", signature
    return report.verdict, signature.level


def _signed(
    level: Level, pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp: Path
) -> Path:
    signed = tmp / f"{level.value}.pdf"
    key = unlock_pkcs12(official.pkcs12, PIN)
    sign_file(
        unsigned, signed, key, SignatureRequest(level), LocalTimeStamper(tsa(pki)), material(pki)
    )
    return signed


def _renewed(source: Path, pki: DevPki, at: dt.datetime) -> tuple[Path, DevPki]:
    """``source`` extended at ``at`` by the TSA after its key rollover."""
    target = source.with_name(f"{source.stem}+.pdf")
    with freeze_time(at):
        rolled = renew_tsa(pki)
        extend(source, target, LocalTimeStamper(tsa(rolled)), material(rolled))
    return target, rolled


@pytest.mark.parametrize("level", [Level.B_LT, Level.B_LTA])
def test_renewed_in_time_a_signature_outlives_its_timestamp_authority(
    level: Level, pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    signed = _signed(level, pki, official, unsigned, tmp_path)
    first_end = pki.tsa.certificate.not_valid_after_utc
    facts = last_timestamp(signed)
    assert facts is not None and facts.archive == (level is Level.B_LTA)
    assert renewal_date(facts, table()) == first_end.date()

    once, rolled = _renewed(signed, pki, first_end - MONTH)
    renewed = last_timestamp(once)
    assert renewed is not None and renewed.archive
    assert renewed.archive_count == facts.archive_count + 1
    assert renewed.authority_expires == rolled.tsa.certificate.not_valid_after_utc
    # Before the expiry both verify; a day after it only the renewed one does. (The
    # official's own certificate expired years before: only the timestamps place the
    # signature inside its validity.)
    assert _verdict(signed, pki) == ("valid", level.value)
    assert _verdict(once, pki) == ("valid", "B-LTA")
    with freeze_time(first_end + DAY):
        assert _verdict(signed, pki) == ("indeterminate", level.value)
        assert _verdict(once, pki) == ("valid", "B-LTA")

    # The chain goes on: renewed again before the second authority's certificate ends.
    second_end = rolled.tsa.certificate.not_valid_after_utc
    twice, _ = _renewed(once, rolled, second_end - MONTH)
    with freeze_time(second_end + DAY):
        assert _verdict(once, pki) == ("indeterminate", "B-LTA")
        assert _verdict(twice, pki) == ("valid", "B-LTA")


def test_an_outside_validator_reads_every_link_of_the_renewed_chain(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    signed = _signed(Level.B_LTA, pki, official, unsigned, tmp_path)
    once, _ = _renewed(signed, pki, dt.datetime.now(dt.UTC) + DAY)
    output = pdfsig_output(once, root_pem(pki, tmp_path / "root.pem"), tmp_path)
    # poppler checks the signature (still whole under two updates) and lists both
    # document timestamps, which it does not verify.
    assert output.count("Signature Validation: Signature is Valid.") == 1, output
    assert output.count("Signature #") == 3, output
    assert "ETSI.RFC3161" in output or output.count("Signature Type: unknown") == 2, output


def test_a_renewal_too_late_or_of_an_unsigned_file_is_refused_and_writes_nothing(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    signed = _signed(Level.B_LTA, pki, official, unsigned, tmp_path)
    target = tmp_path / "late.pdf"
    with freeze_time(pki.tsa.certificate.not_valid_after_utc + DAY):
        rolled = renew_tsa(pki)
        with pytest.raises(RenewalError, match="too late"):
            extend(signed, target, LocalTimeStamper(tsa(rolled)), material(rolled))
    assert not target.exists()
    with pytest.raises(RenewalError, match="no signature"):
        extend(unsigned, target, LocalTimeStamper(tsa(pki)), material(pki))
    assert not target.exists()
    assert last_timestamp(unsigned) is None


def test_a_b_b_signature_has_no_timestamp_to_renew(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "bb.pdf"
    sign_file(unsigned, signed, unlock_pkcs12(official.pkcs12, PIN), SignatureRequest(Level.B_B))
    assert last_timestamp(signed) is None
