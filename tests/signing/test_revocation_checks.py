"""Revocation and expiry are judged at the signing time, with a freshly built PKI: a
certificate revoked before a timestamped signature makes it invalid, revoked after it
leaves it valid; the caller's CRLs and OCSP responses count beside the document's DSS."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import DocumentSecurityStore

from signing import SigningError
from signing.dev_pki import DevPki, OfficialCertificate, PkiUrls, create_dev_pki, issue_official
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    sign_file,
    unlock_pkcs12,
)
from signing.revocation import CertState, CertStatus, Revocation, build_crl, ocsp_response
from signing.tsa import TsaConfig, timestamp_response
from signing.verification import VerificationPolicy, verify
from tests.support.pki import INSTITUTION, OFFICIAL_NAME, PIN, URLS, material, root_der, tsa

NOW = dt.datetime.now(dt.UTC)
YEAR = dt.timedelta(days=365)


@pytest.fixture(scope="module")
def pki() -> DevPki:
    # Two years old, so that certificates and CRLs can be placed in the past.
    return create_dev_pki(INSTITUTION, URLS, now=NOW - 2 * YEAR)


def _official(
    pki: DevPki, issued: dt.datetime = NOW - 2 * YEAR, years: int = 5
) -> OfficialCertificate:
    return issue_official(
        pki,
        full_name=OFFICIAL_NAME,
        username="ministra",
        organisation=INSTITUTION,
        position="Ministra",
        pin=PIN,
        now=issued,
        years=years,
    )


class PastTimeStamper(TimeStamper):
    """The institution's TSA as it answered on ``moment``."""

    def __init__(self, config: TsaConfig, moment: dt.datetime) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._config = config
        self._moment = moment

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(
            timestamp_response(self._config, req.dump(), now=self._moment)
        )


def _sign(
    pki: DevPki,
    official: OfficialCertificate,
    unsigned: Path,
    target: Path,
    level: Level,
    at: dt.datetime | None = None,
) -> Path:
    stamper = PastTimeStamper(tsa(pki), at) if at else LocalTimeStamper(tsa(pki))
    key = unlock_pkcs12(official.pkcs12, PIN)
    sign_file(unsigned, target, key, SignatureRequest(level), stamper)
    return target


def _crl(
    pki: DevPki,
    official: OfficialCertificate,
    revoked_at: dt.datetime,
    issued: dt.datetime | None = None,
) -> bytes:
    revocation = Revocation(
        official.certificate.serial_number, revoked_at, x509.ReasonFlags.key_compromise
    )
    return build_crl(pki, [revocation], number=2, now=issued or max(NOW, revoked_at))


def _add_to_dss(path: Path, crl: bytes) -> None:
    buffer = io.BytesIO(path.read_bytes())
    DocumentSecurityStore.add_dss(
        buffer, None, crls=[asn1_crl.CertificateList.load(crl)], strict=False
    )
    path.write_bytes(buffer.getvalue())


def test_revoked_before_a_timestamped_signature_is_invalid(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T)
    crl = _crl(pki, official, NOW - dt.timedelta(hours=1))
    # Without revocation data nothing says the certificate is revoked.
    assert verify(signed, VerificationPolicy([root_der(pki)])).report.verdict == "valid"
    report = verify(signed, VerificationPolicy([root_der(pki)], crls=[crl])).report
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert signature.revoked and not signature.trusted
    assert any(
        "revoked on" in r and "key compromise" in r and "before the timestamped signing time" in r
        for r in signature.reasons
    ), signature.reasons


def test_revoked_after_a_timestamped_signature_stays_valid(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T)
    revoked_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    report = verify(
        signed, VerificationPolicy([root_der(pki)], crls=[_crl(pki, official, revoked_at)])
    ).report
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    assert not signature.revoked and signature.trusted
    assert any("revoked later" in r for r in signature.reasons), signature.reasons


def test_a_b_b_signature_can_only_rely_on_the_time_its_signer_claims(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_B)
    before = verify(
        signed,
        VerificationPolicy(
            [root_der(pki)], crls=[_crl(pki, official, NOW - dt.timedelta(hours=1))]
        ),
    ).report
    assert before.verdict == "invalid"
    assert before.signatures[0].revoked
    assert any(
        "before the signing time the signer claims" in r for r in before.signatures[0].reasons
    )
    revoked_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    after = verify(
        signed, VerificationPolicy([root_der(pki)], crls=[_crl(pki, official, revoked_at)])
    ).report
    # Nothing proves the signature was made before the revocation.
    assert after.verdict == "indeterminate"
    assert after.signatures[0].revoked
    assert any("no timestamp proves" in r for r in after.signatures[0].reasons)


def _ocsp(pki: DevPki, official: OfficialCertificate, status: CertStatus) -> bytes:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(official.certificate, pki.issuing.certificate, hashes.SHA256())
        .build()
        .public_bytes(Encoding.DER)
    )
    return ocsp_response(pki, request, lambda _serial: status)


def test_ocsp_responses_count_too(pki: DevPki, unsigned: Path, tmp_path: Path) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T)
    good = _ocsp(pki, official, CertStatus(CertState.good))
    assert (
        verify(signed, VerificationPolicy([root_der(pki)], ocsps=[good])).report.verdict == "valid"
    )
    revoked = _ocsp(
        pki,
        official,
        CertStatus(CertState.revoked, NOW - dt.timedelta(hours=1), x509.ReasonFlags.superseded),
    )
    report = verify(signed, VerificationPolicy([root_der(pki)], ocsps=[revoked])).report
    assert report.verdict == "invalid"
    assert report.signatures[0].revoked
    assert any("superseded" in r for r in report.signatures[0].reasons)


def test_an_old_b_lt_signature_outlives_its_crl(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    """Signed a year ago with the CRL of that day in the DSS: that CRL expired long ago, yet
    it says the certificate was good when the timestamp was made."""
    official = _official(pki)
    signed_at = NOW - YEAR
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T, at=signed_at)
    _add_to_dss(signed, build_crl(pki, [], number=1, now=signed_at))
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    assert report.signatures[0].level == "B-LT"
    assert report.signatures[0].timestamp_time is not None
    assert report.signatures[0].timestamp_time.startswith(signed_at.date().isoformat())


def test_an_old_crl_still_shows_a_revocation_before_signing(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki)
    signed_at = NOW - YEAR
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T, at=signed_at)
    # Revoked two days before the signature; the CRL saying so expired months before it.
    crl = _crl(
        pki, official, signed_at - dt.timedelta(days=60), issued=signed_at - dt.timedelta(days=59)
    )
    _add_to_dss(signed, crl)
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "invalid"
    assert report.signatures[0].revoked


def test_a_crl_signed_by_someone_else_is_ignored(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T)
    # Same institution name, so the same issuer name, but not the CA's key.
    impostor = create_dev_pki("Ministerio de Pruebas", PkiUrls("http://127.0.0.1:9"))
    forged = build_crl(
        impostor,
        [Revocation(official.certificate.serial_number, NOW - dt.timedelta(hours=1))],
        number=9,
    )
    report = verify(signed, VerificationPolicy([root_der(pki)], crls=[forged])).report
    assert report.verdict == "valid", report
    assert not report.signatures[0].revoked


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_an_expired_certificate_at_signing_time_is_invalid(
    pki: DevPki, unsigned: Path, tmp_path: Path, level: Level
) -> None:
    expired = _official(pki, issued=NOW - 2 * YEAR, years=1)
    signed = _sign(pki, expired, unsigned, tmp_path / "s.pdf", level)
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "invalid"
    (signature,) = report.signatures
    assert any("the signer's certificate had expired" in r for r in signature.reasons), (
        signature.reasons
    )


def test_a_certificate_that_expired_after_a_timestamped_signature_is_fine(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki, issued=NOW - 2 * YEAR, years=1)
    signed = _sign(
        pki, official, unsigned, tmp_path / "s.pdf", Level.B_T, at=NOW - 2 * YEAR + YEAR // 2
    )
    assert verify(signed, VerificationPolicy([root_der(pki)])).report.verdict == "valid"


def test_bad_revocation_data_from_the_caller_is_named(pki: DevPki, unsigned: Path) -> None:
    with pytest.raises(SigningError, match="CRL"):
        verify(unsigned, VerificationPolicy([root_der(pki)], crls=[b"not a CRL"]))
    with pytest.raises(SigningError, match="OCSP"):
        verify(unsigned, VerificationPolicy([root_der(pki)], ocsps=[b"\x30\x03\x02\x01"]))


def test_an_ocsp_refusal_says_nothing(pki: DevPki, unsigned: Path, tmp_path: Path) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T)
    refusal = ocsp_response(pki, b"garbage", lambda _serial: CertStatus(CertState.good))
    assert (
        verify(signed, VerificationPolicy([root_der(pki)], ocsps=[refusal])).report.verdict
        == "valid"
    )


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_fetching_is_opt_in_and_soft_fails(unsigned: Path, tmp_path: Path, level: Level) -> None:
    """With allow_fetching, the CRL and OCSP URLs in the certificates are tried; here they
    point at a closed port, so nothing is learnt and nothing fails."""
    closed = create_dev_pki("Ministerio de Pruebas", PkiUrls("http://127.0.0.1:9"))
    official = _official(closed, issued=NOW)
    signed = _sign(closed, official, unsigned, tmp_path / "s.pdf", level)
    report = verify(signed, VerificationPolicy([root_der(closed)], allow_fetching=True)).report
    assert report.verdict == "valid", report


def test_junk_in_the_dss_proves_nothing(pki: DevPki, unsigned: Path, tmp_path: Path) -> None:
    official = _official(pki)
    signed = _sign(pki, official, unsigned, tmp_path / "s.pdf", Level.B_T)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()), strict=False)
    junk = generic.ArrayObject([writer.add_object(generic.StreamObject(stream_data=b"junk"))])
    writer.root["/DSS"] = writer.add_object(
        generic.DictionaryObject(  # type: ignore[no-untyped-call]
            {generic.NameObject(key): junk for key in ("/Certs", "/CRLs", "/OCSPs")}
        )
    )
    writer.update_root()  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    signed.write_bytes(out.getvalue())
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    assert report.signatures[0].modifications_after == "lta_updates"


def test_a_dss_made_for_an_earlier_signature_does_not_make_a_later_one_b_lt(
    pki: DevPki, unsigned: Path, tmp_path: Path
) -> None:
    official = _official(pki)
    key = unlock_pkcs12(official.pkcs12, PIN)
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    stamper = LocalTimeStamper(tsa(pki))
    sign_file(unsigned, first, key, SignatureRequest(Level.B_LT), stamper, material(pki))
    sign_file(first, second, key, SignatureRequest(Level.B_T, field_name="Firma2"), stamper)
    report = verify(second, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    assert [s.level for s in report.signatures] == ["B-LT", "B-T"]
