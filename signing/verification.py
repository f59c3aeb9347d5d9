"""Verifying every signature in a PDF against explicit trust roots, offline.

Trust is never implicit: ``verify`` takes its anchors from a required
``VerificationPolicy``, refuses an empty set, and never looks at the operating system's
store. It reaches for the network only when the policy has ``allow_fetching=True``.

Revocation and expiry are judged at the signing time:
- A signature with a valid timestamp (B-T and up) is checked at the time the timestamp
  proves, against the revocation data in the document's DSS (B-LT, B-LTA) and whatever CRLs
  and OCSP responses the caller supplies, including ones issued later. A certificate revoked
  or expired before that time makes the signature invalid; revoked or expired after it, the
  signature stays valid, since the timestamp proves it was made in time.
- A signature without a timestamp (B-B) is checked now. If its certificate is revoked or
  expired, only the signing time the signer claims can place the signature: after the
  revocation or expiry it is invalid; before it, indeterminate, since nothing proves it.

The authority of a signature's timestamp is checked now, as strict AdES validation does:
once its certificate has expired or been revoked, the timestamp proves nothing by itself,
and the signature is indeterminate. B-LTA's archive timestamps reach further back: they
are checked as a chain, the latest now and each earlier one at the time the next one
proves, and the signature's timestamp authority at the time of the earliest proven archive
timestamp over it. So a document whose archive timestamps are renewed before each
authority's certificate expires (``signing.ltv``) stays valid for as long as that goes on.

Revocation checking is soft-fail: data is used where there is some, its absence is no
fault (B-B and B-T carry none). A CRL that no known CA signed is dropped; a revocation
listed in a CRL that has since gone stale still counts, since revocations are final.

One validation pass yields both the JSON report of docs/contracts.md and, when the policy
asks for it, the ETSI TS 119 102-2 XML report (``signing.etsi_report``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.decode_limits import (
    DEFAULT_PURPOSE_LIMITS,
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed, AdESSubIndic
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import find_cms_attribute_iter
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import (
    PdfSignatureStatus,
    SignatureCoverageLevel,
    TimestampSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext

from signing import form_changes, name_speedups, pdf_speedups, signature_fields
from signing.chain_diagnosis import untrusted
from signing.diff_policy import DIFF_POLICY
from signing.errors import SigningError
from signing.etsi_report import EtsiEntry, Process, render_etsi_report, sub_indication
from signing.form_changes import FormFinding
from signing.lenient_reading import (
    check_field_names,
    check_page_resources,
    check_trailers,
    check_xref_tables,
    note,
    tolerating,
)
from signing.pades import StandIn
from signing.report import (
    DocumentFacts,
    LevelName,
    Modifications,
    ReadingWarning,
    Reason,
    SignatureReport,
    SignerInfo,
    Verdict,
    VerificationReport,
)
from signing.revision_tail import BoundedFile, Tail, revision_ends, tail_after_revisions
from signing.signature_fields import BrokenSignature

MODIFICATIONS: dict[ModificationLevel, Modifications] = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "lta_updates",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}

# pyHanko's assumption for revocation data without nextUpdate.
FRESHNESS_FALLBACK = dt.timedelta(minutes=30)
CRL_ISSUER_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)
REVOKED_PROBLEMS = (AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE)

pdf_speedups.install()
name_speedups.install()


def quiet_validation_logs() -> None:
    """pyHanko logs every chain it cannot build and every diff it refuses with a full
    traceback. A public endpoint verifies anyone's files, so that would be a traceback
    per request (a way to flood the log); the report already gives the reason in words."""
    for name in ("pyhanko.sign.validation", "pyhanko.sign.diff_analysis", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class UnreadableDocument(SigningError):
    """The input is not a PDF that can be verified."""


class EncryptedDocument(UnreadableDocument):
    """The PDF is encrypted and does not open without a password or a recipient's key."""


class DecompressionLimitExceeded(UnreadableDocument):
    """A compressed stream expands past ``DecompressionLimits``: a decompression bomb, or a
    document too large to verify here."""


MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DecompressionLimits:
    """How much decoded data verifying one document may produce.

    A few kilobytes of stacked Flate filters can expand to gigabytes. pyHanko decodes only
    what verification needs (object and cross-reference streams, XMP, the DSS's
    certificates and revocation data), and these bound it:

    - ``max_stream_bytes``: any one stream, decoded;
    - ``max_ratio``: any one stream's decoded size against its encoded size, once over
      a megabyte (one layer of Deflate reaches about 1032:1, so more means stacked filters);
    - ``max_total_bytes`` and ``max_total_ratio``: everything decoded for the document,
      which is the larger of the two (the ratio against the file's size, so that a large
      honest file still verifies). Re-reading a stream for an earlier revision counts again.
    """

    max_stream_bytes: int = 64 * MiB
    max_ratio: float = 1100
    max_total_bytes: int = 256 * MiB
    max_total_ratio: float = 4

    def for_pyhanko(self) -> DecodeLimits:
        def tightened(limits: StreamDecodeLimits) -> StreamDecodeLimits:
            cap = limits.max_output_size
            return StreamDecodeLimits(
                max_ratio=limits.max_ratio,
                ratio_floor=limits.ratio_floor,
                max_output_size=(
                    self.max_stream_bytes if cap is None else min(cap, self.max_stream_bytes)
                ),
            )

        return DecodeLimits(
            per_stream=StreamDecodeLimits(
                max_ratio=self.max_ratio, max_output_size=self.max_stream_bytes
            ),
            per_purpose={
                purpose: tightened(limits) for purpose, limits in DEFAULT_PURPOSE_LIMITS.items()
            },
            document_budget=DocumentDecodeBudget(
                base_allowance=self.max_total_bytes, max_ratio=self.max_total_ratio
            ),
        )


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    """What a verification trusts, what it may use, and what it produces.

    - ``trust_roots`` (DER): the only anchors; an empty set is refused when verifying;
    - ``crls`` and ``ocsps`` (DER): revocation data added to what the document's DSS
      carries, for instance the CA's current CRL;
    - ``allow_fetching``: the network is never used unless this is true;
    - ``limits``: how much decoded data the document may produce;
    - ``etsi_report``: also produce, from the same validation, the ETSI TS 119 102-2 XML
      report (one SignatureValidationReport per signature, its main indication matching
      our verdict).

    Sequences are kept as tuples, so that a policy is immutable and can be sent to a worker
    process."""

    trust_roots: Sequence[bytes]
    crls: Sequence[bytes] = ()
    ocsps: Sequence[bytes] = ()
    allow_fetching: bool = False
    limits: DecompressionLimits = DecompressionLimits()
    etsi_report: bool = False

    def __post_init__(self) -> None:
        for name in ("trust_roots", "crls", "ocsps"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The JSON report of docs/contracts.md and, when the policy asked for it, the ETSI
    XML report; ``etsi_xml`` is ``None`` otherwise, or when the document has no signature
    to report on."""

    report: VerificationReport
    etsi_xml: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Evidence:
    """Certificates and revocation data: the DSS's and the caller's."""

    certs: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()

    def __add__(self, other: _Evidence) -> _Evidence:
        return _Evidence(self.certs + other.certs, self.crls + other.crls, self.ocsps + other.ocsps)


@dataclass(frozen=True, slots=True)
class _Judgement:
    report: SignatureReport
    subindication: AdESSubIndic
    best_signature_time: dt.datetime | None


def _roots(trust_roots: Sequence[bytes]) -> list[asn1_x509.Certificate]:
    if not trust_roots:
        raise SigningError("verification needs at least one trust root")
    return [asn1_x509.Certificate.load(der) for der in trust_roots]


def _supplied(crls: Sequence[bytes], ocsps: Sequence[bytes]) -> _Evidence:
    """The caller's revocation data, parsed up front so that a bad one is named."""
    loaded_crls = []
    for der in crls:
        try:
            item = asn1_crl.CertificateList.load(der, strict=True)
            item["tbs_cert_list"]["this_update"].native  # noqa: B018 - forces the parse
        except (ValueError, TypeError) as exc:
            raise SigningError(f"a supplied CRL cannot be read: {exc}") from exc
        loaded_crls.append(item)
    loaded_ocsps = []
    for der in ocsps:
        try:
            response = asn1_ocsp.OCSPResponse.load(der, strict=True)
            status = response["response_status"].native
        except (ValueError, TypeError) as exc:
            raise SigningError(f"a supplied OCSP response cannot be read: {exc}") from exc
        if status == "successful":  # a refusal says nothing about any certificate
            loaded_ocsps.append(response)
    return _Evidence((), tuple(loaded_crls), tuple(loaded_ocsps))


def _from_dss(reader: PdfFileReader) -> _Evidence:
    """The DSS's certificates, CRLs and OCSP responses (B-LT, B-LTA). Anything that does
    not parse is skipped: it proves nothing, and a hostile file must not stop the check."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except (ValueError, TypeError, KeyError, AttributeError, PdfReadError):
        return _Evidence()  # a DSS that cannot be read carries no evidence
    certs = []
    for ref in dss.certs.values():
        try:
            certs.append(
                asn1_x509.Certificate.load(
                    ref.get_object().read_data(DecodePurpose.CERTIFICATE), strict=True
                )
            )
        except (ValueError, TypeError, PdfReadError):
            continue
    crls = []
    for ref in dss.crls:
        try:
            item = asn1_crl.CertificateList.load(
                ref.get_object().read_data(DecodePurpose.CRL), strict=True
            )
            item["tbs_cert_list"]["this_update"].native  # noqa: B018 - forces the parse
        except (ValueError, TypeError, PdfReadError):
            continue
        crls.append(item)
    ocsps = []
    for ref in dss.ocsps:
        try:
            response = asn1_ocsp.OCSPResponse.load(
                ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE), strict=True
            )
            status = response["response_status"].native
        except (ValueError, TypeError, PdfReadError):
            continue
        if status == "successful":
            ocsps.append(response)
    return _Evidence(tuple(certs), tuple(crls), tuple(ocsps))


def _fresh_at(evidence: _Evidence, moment: dt.datetime) -> _Evidence:
    """The revocation data pyHanko may use at ``moment``: what was still current then.
    pyHanko holds stale data it can match against a certificate as a failure ("try
    later"); a revocation listed in a stale CRL is still found by ``_listed_revocation``."""
    slack = dt.timedelta(seconds=1)

    def crl_current(item: asn1_crl.CertificateList) -> bool:
        next_update = item["tbs_cert_list"]["next_update"].native
        if next_update is None:
            this_update = item["tbs_cert_list"]["this_update"].native
            next_update = this_update + FRESHNESS_FALLBACK
        return bool(next_update + slack >= moment)

    def ocsp_current(response: asn1_ocsp.OCSPResponse) -> bool:
        basic = response["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            this_update = single["this_update"].native
            next_update = single["next_update"].native or this_update + FRESHNESS_FALLBACK
            if next_update + slack >= moment:
                return True
        return False

    ocsps = []
    for response in evidence.ocsps:
        try:
            if ocsp_current(response):
                ocsps.append(response)
        except (ValueError, TypeError, KeyError):
            continue
    crls = []
    for item in evidence.crls:
        try:
            if crl_current(item):
                crls.append(item)
        except (ValueError, TypeError, KeyError):
            continue
    return _Evidence(evidence.certs, tuple(crls), tuple(ocsps))


def _crls_signed_by_known_cas(
    crls: tuple[asn1_crl.CertificateList, ...], cas: list[asn1_x509.Certificate]
) -> tuple[asn1_crl.CertificateList, ...]:
    """Only CRLs that a known CA certificate (an anchor, or one the document carries) signed.
    pyHanko holds a CRL with a bad signature against the certificate it names, which would
    let anyone who appends junk to the DSS, or hands us a forged CRL, cast doubt on a
    signature; a CRL nobody we know signed proves nothing, so it is dropped."""
    kept = []
    for item in crls:
        try:
            crl = x509.load_der_x509_crl(item.dump())
        except ValueError:
            continue
        for ca in cas:
            if ca.subject != item.issuer:
                continue
            try:
                key = x509.load_der_x509_certificate(ca.dump()).public_key()
                if isinstance(key, CRL_ISSUER_KEYS) and crl.is_signature_valid(key):
                    kept.append(item)
                    break
            except (ValueError, TypeError, InvalidSignature):
                continue
    return tuple(kept)


def _about(evidence: _Evidence, leaves: Sequence[asn1_x509.Certificate]) -> _Evidence:
    """Drop the OCSP responses about a sibling of ``leaves`` (same issuer, other serial):
    pyHanko takes such a response for a failed check of the leaf, not for an unrelated one,
    so one context is given the responses about one certificate and its chain."""

    def sibling(single: asn1_ocsp.SingleResponse) -> bool:
        cert_id = single["cert_id"]
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        name_hash = cert_id["issuer_name_hash"].native
        serial = cert_id["serial_number"].native
        return any(
            getattr(leaf.issuer, algorithm, None) == name_hash and serial != leaf.serial_number
            for leaf in leaves
        )

    kept = []
    for response in evidence.ocsps:
        try:
            basic = response["response_bytes"]["response"].parsed
            singles = list(basic["tbs_response_data"]["responses"])
            if not singles or not all(sibling(single) for single in singles):
                kept.append(response)
        except (ValueError, TypeError, KeyError):
            continue
    return _Evidence(evidence.certs, evidence.crls, tuple(kept))


def _timestamp_certs(embedded: EmbeddedPdfSignature) -> list[asn1_x509.Certificate]:
    """The certificates in the signature's timestamp tokens: the authority's and its chain."""
    certs = []
    try:
        for token in find_cms_attribute_iter(
            embedded.signer_info["unsigned_attrs"], "signature_time_stamp_token"
        ):
            for choice in token["content"]["certificates"] or ():
                if choice.name == "certificate":
                    certs.append(choice.chosen)
    except (ValueError, TypeError, KeyError):
        return []  # pyHanko reports the broken token
    return certs


def _context(
    roots: list[asn1_x509.Certificate],
    evidence: _Evidence,
    allow_fetching: bool,
    moment: dt.datetime | None = None,
) -> ValidationContext:
    """Soft-fail revocation checking: revocation data is used when there is some, and its
    absence is not held against a signature (B-B and B-T carry none). With a ``moment``,
    the check is made as of then, and revocation data issued later still counts
    (``retroactive_revinfo``): today's CRL says whether a certificate was revoked before
    the timestamp."""
    usable = _fresh_at(evidence, moment or dt.datetime.now(dt.UTC))
    return ValidationContext(
        trust_roots=roots,
        other_certs=list(usable.certs),
        crls=list(usable.crls),
        ocsps=list(usable.ocsps),
        moment=moment,
        retroactive_revinfo=True,
        allow_fetching=allow_fetching,
    )


def _claimed_timestamp_time(embedded: EmbeddedPdfSignature) -> dt.datetime | None:
    """The time in the signature's first timestamp token, before it is verified; the
    signer's certificate is checked at that time, and the verdict only stands if the
    timestamp then proves it."""
    try:
        for token in find_cms_attribute_iter(
            embedded.signer_info["unsigned_attrs"], "signature_time_stamp_token"
        ):
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            moment = tst_info["gen_time"].native
            if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
                return moment
            return None
    except (ValueError, TypeError, KeyError):
        return None
    return None


@dataclass(frozen=True, slots=True)
class _DssFacts:
    """When the DSS last changed, and which signatures its VRI names."""

    last_change: int  # revision
    vri: frozenset[str]

    def covers(self, embedded: EmbeddedPdfSignature) -> bool:
        """Validation data for this signature: named in the VRI, or added after it."""
        if self.last_change > embedded.signed_revision:
            return True
        try:
            contents = bytes(embedded.sig_object["/Contents"])
        except (KeyError, TypeError, ValueError):
            return False
        return str(DocumentSecurityStore.sig_content_identifier(contents)) in self.vri


def _dss_facts(reader: PdfFileReader) -> _DssFacts | None:
    """The revision that last changed the DSS: its dictionary, or the arrays and the VRI
    it refers to. A DSS that predates a signature holds nothing gathered for it (unless its
    VRI says otherwise): a B-T signature made after a B-LT one stays B-T."""
    try:
        root_ref = reader.trailer.raw_get("/Root")
        dss_ref = reader.root.raw_get("/DSS")
        holders = [dss_ref if isinstance(dss_ref, generic.IndirectObject) else root_ref]
        dss = dss_ref.get_object()
        if not isinstance(dss, generic.DictionaryObject):
            return None
        for key in ("/Certs", "/CRLs", "/OCSPs", "/VRI"):
            value = dss.raw_get(key) if key in dss else None
            if isinstance(value, generic.IndirectObject):
                holders.append(value)
        last_change = max(
            reader.xrefs.get_last_change(holder.reference)
            for holder in holders
            if isinstance(holder, generic.IndirectObject)
        )
        vri = dss.get("/VRI")
        names = (
            frozenset(str(k) for k in vri)
            if isinstance(vri, generic.DictionaryObject)
            else frozenset()
        )
    except (KeyError, TypeError, ValueError, PdfReadError):
        return None
    return _DssFacts(last_change, names)


def _level(status: PdfSignatureStatus, long_term: bool, archive_timestamped: bool) -> LevelName:
    """B-LT needs validation data in the DSS, B-LTA a document timestamp over it too."""
    if status.timestamp_validity is None:
        return "B-B"
    if long_term and archive_timestamped:
        return "B-LTA"
    if long_term:
        return "B-LT"
    return "B-T"


@dataclass(frozen=True, slots=True)
class _Revocation:
    at: dt.datetime
    reason: str
    ca: bool = False


def _anchor_name(status: PdfSignatureStatus) -> str | None:
    """The subject of the trust anchor the validated chain ends at."""
    path = status.validation_path
    if path is None:
        return None
    try:
        return str(path.trust_anchor.authority.name.human_friendly)
    except AttributeError:  # an anchor given as a bare key has no name
        return None


def _listed_revocation(status: PdfSignatureStatus, evidence: _Evidence) -> _Revocation | None:
    """The earliest revocation of the signer's certificate listed in a CRL that its CA
    signed, however old the CRL: a revocation is final, stale or not. (Certificate holds
    are reversible, and are left to pyHanko.)"""
    path = status.validation_path
    if not evidence.crls or path is None:
        return None
    cert = status.signing_cert
    issuer = next((c for c in path.iter_certs(include_root=True) if c.subject == cert.issuer), None)
    if issuer is None:
        return None
    issuer_key = x509.load_der_x509_certificate(issuer.dump()).public_key()
    if not isinstance(issuer_key, CRL_ISSUER_KEYS):
        return None
    earliest: _Revocation | None = None
    for item in evidence.crls:
        if item.issuer != issuer.subject:
            continue
        try:
            crl = x509.load_der_x509_crl(item.dump())
            if not crl.is_signature_valid(issuer_key):
                continue
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is None:
                continue
            try:
                flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            except x509.ExtensionNotFound:
                flag = x509.ReasonFlags.unspecified
        except (ValueError, TypeError, InvalidSignature):
            continue
        if flag in (x509.ReasonFlags.certificate_hold, x509.ReasonFlags.remove_from_crl):
            continue
        if earliest is None or entry.revocation_date_utc < earliest.at:
            earliest = _Revocation(entry.revocation_date_utc, flag.name)
    return earliest


def _stand_in(embedded: EmbeddedPdfSignature) -> StandIn | None:
    """The official the signer claims to stand in for, from the signature's signed
    attributes (``signing.pades.StandIn``): the signer's statement, signed with the rest,
    not something the certificate proves."""
    try:
        return StandIn.claimed_in(embedded.signer_info["signed_attrs"])
    except (ValueError, TypeError, KeyError):
        return None


def _common_name(cert: asn1_x509.Certificate) -> str:
    try:
        name = cert.subject.native.get("common_name")
    except (ValueError, TypeError, AttributeError):
        name = None
    if isinstance(name, list):  # several common names: the first
        name = name[0] if name else None
    return str(name) if name else str(cert.subject.human_friendly)


def _authority_expired(timestamp: TimestampSignatureStatus) -> bool:
    """Whether the timestamp is untrusted because its authority's certificate had expired
    by the time it was checked at (now, or the earliest proven archive timestamp)."""
    cert = timestamp.signing_cert
    checked_at = timestamp.validation_time or dt.datetime.now(dt.UTC)
    return (
        timestamp.trust_problem_indic
        in (AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.EXPIRED)
        and cert is not None
        and cert.not_valid_after < checked_at
    )


def _judge(
    field: str,
    status: PdfSignatureStatus,
    evidence: _Evidence,
    long_term: bool,
    archive_timestamped: bool,
    stand_in: StandIn | None = None,
    known_certs: Callable[[], Sequence[asn1_x509.Certificate]] = tuple,
    findings: Sequence[Reason] = (),
) -> _Judgement:
    cert = status.signing_cert
    reasons: list[Reason] = []
    failures: list[Reason] = []
    doubts: list[Reason] = []

    def fail(reason: Reason) -> None:
        failures.append(reason)
        reasons.append(reason)

    def doubt(reason: Reason) -> None:
        doubts.append(reason)
        reasons.append(reason)

    if not status.intact:
        fail(Reason.of("hash_failure"))
    elif not status.valid:
        fail(Reason.of("signature_crypto_failure"))
    sound = bool(status.intact and status.valid)

    timestamp = status.timestamp_validity
    proven: dt.datetime | None = None
    if timestamp is not None:
        if not timestamp.intact:
            fail(Reason.of("timestamp_hash_failure"))
        elif not timestamp.valid:
            fail(Reason.of("timestamp_crypto_failure"))
        elif not timestamp.trusted and _authority_expired(timestamp):
            doubt(
                Reason.of(
                    "timestamp_authority_expired",
                    "OUT_OF_BOUNDS_NO_POE",
                    not_after=timestamp.signing_cert.not_valid_after,
                )
            )
        elif not timestamp.trusted:
            problem_name = (
                timestamp.trust_problem_indic.standard_name
                if timestamp.trust_problem_indic is not None
                else None
            )
            doubt(Reason.of("timestamp_untrusted", problem_name))
        else:
            proven = timestamp.timestamp

    problem = status.trust_problem_indic
    claimed = status.signer_reported_dt
    signed_at = proven or claimed
    time = "proven" if proven else "claimed"
    details = status.revocation_details
    revocation = (
        _Revocation(
            details.revocation_date,
            str(details.revocation_reason.native or "unspecified"),
            details.ca_revoked,
        )
        if problem in REVOKED_PROBLEMS and details is not None
        else None
    )
    listed = _listed_revocation(status, evidence) if sound else None
    if revocation is None and listed is not None and (proven is None or listed.at <= proven):
        revocation = listed

    revoked = False
    if sound and revocation is not None:
        revoked = True
        revoked_params = {
            "certificate": "ca" if revocation.ca else "signer",
            "revoked_at": revocation.at,
            "revocation_reason": revocation.reason,
            "time": time,
            "signed_at": signed_at,
        }
        if signed_at is None or signed_at >= revocation.at:
            fail(Reason.of("certificate_revoked", "REVOKED", order="before", **revoked_params))
        else:
            doubt(
                Reason.of(
                    "certificate_revoked",
                    "REVOKED_CA_NO_POE" if revocation.ca else "REVOKED_NO_POE",
                    order="after",
                    **revoked_params,
                )
            )
    elif sound and problem is AdESIndeterminate.OUT_OF_BOUNDS_NO_POE:
        not_before, not_after = cert.not_valid_before, cert.not_valid_after
        if signed_at is not None and signed_at > not_after:
            fail(
                Reason.of(
                    "certificate_expired",
                    "EXPIRED",
                    not_after=not_after,
                    time=time,
                    signed_at=signed_at,
                )
            )
        elif signed_at is not None and signed_at < not_before:
            fail(
                Reason.of(
                    "certificate_not_yet_valid",
                    not_before=not_before,
                    time=time,
                    signed_at=signed_at,
                )
            )
        else:
            doubt(
                Reason.of(
                    "certificate_expired",
                    problem.standard_name,
                    not_before=not_before,
                    not_after=not_after,
                )
            )
    elif sound and not status.trusted:
        doubt(untrusted(cert, known_certs(), problem))

    modification = status.modification_level
    modifications = MODIFICATIONS.get(modification, "other") if modification else "none"
    if modifications in ("annotations", "other") or (
        status.diff_result is not None and modification is None
    ):
        fail(Reason.of("modified_after_signing", modifications=modifications))

    if getattr(status, "docmdp_ok", None) is False and modifications not in (
        "annotations",
        "other",
    ):
        # A certification signature states what may change after it (DocMDP); a later
        # signature or form fill that it forbids breaks it, whatever the diff level says.
        # (Changes beyond form filling already failed above, for any signature.)
        fail(Reason.of("certification_violated"))
    for finding in findings:
        fail(finding)

    verdict: Verdict = "invalid" if failures else "indeterminate" if doubts else "valid"
    if stand_in is not None:
        reasons.append(
            Reason.of(
                "stand_in",
                signer=_common_name(cert),
                principal=stand_in.principal,
                position=stand_in.position,
            )
        )
    if verdict == "valid" and proven is not None and listed is not None and listed.at > proven:
        reasons.append(Reason.of("revoked_later", revoked_at=listed.at, proven_at=proven))
    first = next(iter(failures or doubts), None)
    return _Judgement(
        report=SignatureReport(
            field=field,
            signer=SignerInfo(
                name=cert.subject.human_friendly,
                certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
                issuer=cert.issuer.human_friendly,
            ),
            level=_level(status, long_term, archive_timestamped),
            intact=bool(status.intact),
            trusted=bool(status.trusted),
            revoked=revoked,
            signing_time=claimed.isoformat() if claimed else "",
            timestamp_time=timestamp.timestamp.isoformat() if timestamp is not None else None,
            modifications_after=modifications,
            covers_whole_document=status.coverage is SignatureCoverageLevel.ENTIRE_FILE,
            verdict=verdict,
            reason_details=tuple(reasons),
            trust_anchor=_anchor_name(status) if status.trusted else None,
        ),
        subindication=(
            sub_indication(first.sub_indication, failed=bool(failures))
            if first is not None
            else AdESPassed.OK
        ),
        best_signature_time=proven,
    )


async def _validate_signature(
    embedded: EmbeddedPdfSignature,
    roots: list[asn1_x509.Certificate],
    evidence: _Evidence,
    allow_fetching: bool,
    contexts: list[ValidationContext],
    archived_at: dt.datetime | None = None,
) -> PdfSignatureStatus:
    """Check the signer at the time its timestamp proves, or now when no timestamp proves
    a time; and the authority of that timestamp at ``archived_at`` (the time a proven
    archive timestamp over the signature shows it existed), or now. The contexts made are
    added to ``contexts``, for the caller to close."""
    signer_evidence = _about(evidence, [embedded.signer_cert])
    tsa_certs = _timestamp_certs(embedded)
    tsa_evidence = _about(evidence, tsa_certs)

    async def check(moment: dt.datetime | None) -> PdfSignatureStatus:
        signer = _context(roots, signer_evidence, allow_fetching, moment)
        contexts.append(signer)
        tsa = None
        if tsa_certs:
            tsa = _context(roots, tsa_evidence, allow_fetching, archived_at)
            contexts.append(tsa)
        return await async_validate_pdf_signature(
            embedded,
            signer_validation_context=signer,
            ts_validation_context=tsa,
            diff_policy=DIFF_POLICY,
        )

    moment = _claimed_timestamp_time(embedded)
    status = await check(moment)
    timestamp = status.timestamp_validity
    proven = (
        timestamp.timestamp
        if timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
        else None
    )
    if proven != moment:
        # The first token was not the one that proves the time, or proves nothing: check
        # again at the proven time, or now.
        status = await check(proven)
    return status


@dataclass(frozen=True, slots=True)
class _ArchiveTimestamp:
    """A document timestamp (B-LTA): the revision it covers, whether it is intact and
    soundly signed, and the time it proves when its authority is trusted when checked."""

    revision: int
    sound: bool
    proven: dt.datetime | None


def _token_certs(stamp: EmbeddedPdfSignature) -> list[asn1_x509.Certificate]:
    try:
        return [stamp.signer_cert, *stamp.other_embedded_certs]
    except (SignatureValidationError, ValueError, TypeError, KeyError):
        return []


async def _archive_timestamps(
    stamps: Sequence[EmbeddedPdfSignature],
    roots: list[asn1_x509.Certificate],
    evidence: _Evidence,
    contexts: list[ValidationContext],
) -> list[_ArchiveTimestamp]:
    """The document timestamps, checked as a chain (ETSI EN 319 102-1's past certificate
    validation, simplified): the latest now, and each earlier one as of the time the next
    proven one shows it existed. A chain renewed before each authority's certificate
    expired thus proves, decades later, the time of everything under its first link."""
    checked: list[_ArchiveTimestamp] = []
    proof: dt.datetime | None = None  # None: now
    for stamp in sorted(stamps, key=lambda s: s.signed_revision, reverse=True):
        context = _context(roots, _about(evidence, _token_certs(stamp)), False, proof)
        contexts.append(context)
        try:
            status = await async_validate_pdf_timestamp(stamp, context, diff_policy=DIFF_POLICY)
        except PdfDecodeLimitError:
            raise
        except (SignatureValidationError, PdfReadError, ValueError, TypeError, KeyError):
            continue  # a timestamp that cannot be checked proves no time
        sound = bool(status.intact and status.valid)
        proven = status.timestamp if sound and status.trusted else None
        checked.append(_ArchiveTimestamp(stamp.signed_revision, sound, proven))
        if proven is not None:
            proof = proven
    return checked


@dataclass(frozen=True, slots=True)
class _Outcome:
    report: VerificationReport
    etsi: tuple[EtsiEntry, ...]


@dataclass(frozen=True, slots=True)
class _Reading:
    """What the verification reads besides the signatures: the file and where it ends."""

    reader: PdfFileReader
    path: Path
    readable_length: int
    tail: Tail


def _tail_findings(tail: Tail) -> tuple[Reason, ...]:
    if tail.size and not tail.pdf_syntax:
        note("trailing_bytes", str(tail.size))
    if not tail.pdf_syntax:
        return ()
    return (Reason.of("appended_content", size=tail.size),)


def _form_reason(finding: FormFinding) -> Reason:
    return Reason.of(finding.code, **dict(finding.params))


def _form_findings(
    reading: _Reading, embedded: EmbeddedPdfSignature, status: PdfSignatureStatus
) -> tuple[Reason, ...]:
    """Shadow attacks through form fields: only when pyHanko saw form filling after the
    signature."""
    if status.modification_level is not ModificationLevel.FORM_FILLING:
        return ()
    *_, second_start, second_length = (int(n) for n in embedded.byte_range)
    return tuple(
        _form_reason(f)
        for f in form_changes.findings(
            reading.reader,
            reading.path,
            embedded.signed_revision,
            second_start + second_length,
            reading.readable_length,
        )
    )


def _broken_reason(broken: BrokenSignature) -> Reason:
    """The reason of a signature ``signing.signature_fields`` could not read."""
    return Reason.of(broken.code, **dict(broken.params))


def _signer_of(embedded: EmbeddedPdfSignature | None) -> SignerInfo:
    """Who the signature names, when its certificate can be read at all."""
    try:
        cert = embedded.signer_cert if embedded is not None else None
    except (SignatureValidationError, ValueError, TypeError, KeyError):
        cert = None
    if cert is None:
        return SignerInfo(name="", certificate_sha256="", issuer="")
    return SignerInfo(
        name=cert.subject.human_friendly,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        issuer=cert.issuer.human_friendly,
    )


def _broken_report(
    field: str,
    reason: Reason,
    verdict: Verdict = "invalid",
    embedded: EmbeddedPdfSignature | None = None,
) -> SignatureReport:
    return SignatureReport(
        field=field,
        signer=_signer_of(embedded),
        level="none",
        intact=False,
        trusted=False,
        revoked=False,
        signing_time="",
        timestamp_time=None,
        modifications_after="none",
        covers_whole_document=False,
        verdict=verdict,
        reason_details=(reason,),
    )


async def _verify(
    reading: _Reading,
    roots: list[asn1_x509.Certificate],
    supplied: _Evidence,
    allow_fetching: bool,
    document: DocumentFacts,
    etsi: bool,
) -> _Outcome:
    reader = reading.reader
    dss = _dss_facts(reader) if "/DSS" in reader.root else None
    evidence = (_from_dss(reader) + supplied) if dss is not None else supplied
    fields = signature_fields.collect(reader, evidence.certs)
    dss_certs = evidence.certs

    @functools.cache
    def known_certs() -> tuple[asn1_x509.Certificate, ...]:
        """The certificates the file carries: read out of every CMS only when needed."""
        found = list(dss_certs)
        for embedded in (*fields.signatures, *fields.timestamps):
            with contextlib.suppress(SignatureValidationError, ValueError, TypeError, KeyError):
                found.extend(embedded.other_embedded_certs)
        return tuple(found)

    if evidence.crls:
        evidence = _Evidence(
            evidence.certs,
            _crls_signed_by_known_cas(evidence.crls, [*roots, *known_certs()]),
            evidence.ocsps,
        )
    appended = _tail_findings(reading.tail)
    contexts: list[ValidationContext] = []
    try:
        stamps = await _archive_timestamps(fields.timestamps, roots, evidence, contexts)
        signatures: list[SignatureReport] = []
        entries: list[EtsiEntry] = []
        for embedded in fields.signatures:
            try:
                covering = [s for s in stamps if s.revision > embedded.signed_revision]
                status = await _validate_signature(
                    embedded,
                    roots,
                    evidence,
                    allow_fetching,
                    contexts,
                    # The earliest archive timestamp over the signature that is itself proven.
                    min((s.proven for s in covering if s.proven is not None), default=None),
                )
            except PdfDecodeLimitError:
                raise
            except AssertionError:
                # pyhanko_certvalidator asserts that the key fits the declared algorithm
                # (endesive labels ECDSA signatures rsaEncryption).
                signatures.append(
                    _broken_report(
                        str(embedded.field_name),
                        Reason.of("signature_algorithm_mismatch"),
                        "indeterminate",
                        embedded,
                    )
                )
                continue
            except (SignatureValidationError, PdfReadError, ValueError, TypeError, KeyError):
                # One broken signature does not make the others unverifiable.
                signatures.append(
                    _broken_report(
                        str(embedded.field_name),
                        Reason.of("signature_unreadable", stage="verify"),
                        "invalid",
                        embedded,
                    )
                )
                continue
            judgement = _judge(
                str(embedded.field_name),
                status,
                evidence,
                dss is not None and dss.covers(embedded),
                any(stamp.sound for stamp in covering),
                _stand_in(embedded),
                known_certs=known_certs,
                findings=appended + _form_findings(reading, embedded, status),
            )
            signatures.append(judgement.report)
            if etsi:
                level = judgement.report.level
                process: Process = (
                    "Basic" if level == "B-B" else "LTA" if level == "B-LTA" else "LTVM"
                )
                entries.append(
                    EtsiEntry(
                        embedded=embedded,
                        status=status,
                        subindication=judgement.subindication,
                        best_signature_time=judgement.best_signature_time,
                        process=process,
                        reasons=judgement.report.reasons,  # in plain English
                        crls=evidence.crls,
                        ocsps=evidence.ocsps,
                    )
                )
        signatures += [
            _broken_report(broken.field, _broken_reason(broken), broken.verdict)
            for broken in fields.broken
        ]
    finally:
        for context in contexts:
            await context.aclose()  # type: ignore[no-untyped-call]
    if not signatures:
        report = VerificationReport(
            "indeterminate", document, (), reason_details=(Reason.of("no_signature"),)
        )
        return _Outcome(report, ())
    verdicts = {s.verdict for s in signatures}
    overall: Verdict = (
        "invalid"
        if "invalid" in verdicts
        else "indeterminate"
        if "indeterminate" in verdicts
        else "valid"
    )
    return _Outcome(VerificationReport(overall, document, tuple(signatures)), tuple(entries))


def _open_if_encrypted(reader: PdfFileReader) -> None:
    """An encrypted PDF is verified when it opens without a password (the empty user
    password of "restrict printing" files); otherwise the verifier cannot read what was
    signed, and says so."""
    if reader.encrypt_dict is None:
        return
    try:
        handler = reader.security_handler
    except PdfReadError as exc:  # a handler pyHanko cannot even set up
        raise EncryptedDocument(
            f"the PDF is encrypted in a way that cannot be opened: {exc}"
        ) from exc
    if isinstance(handler, StandardSecurityHandler):
        if reader.decrypt(b"").status is not AuthStatus.FAILED:
            return
        raise EncryptedDocument("the PDF is encrypted with a password; verify the decrypted file")
    raise EncryptedDocument(
        "the PDF is encrypted for particular recipients' keys; verify the decrypted file"
    )


def _open_reader(
    path: Path, handle: BinaryIO, limits: DecompressionLimits
) -> tuple[PdfFileReader, int]:
    """A reader of the file up to its last revision pyHanko can follow, and that length.
    pyHanko finds the last revision only within a KiB of the end, and fails on a last
    update whose cross-reference section cannot be found; then the revisions before it are
    read, and what follows them is judged as appended content (``revision_tail``)."""
    size = path.stat().st_size
    first_error: PdfReadError | None = None
    for length in revision_ends(path):
        stream = handle if length >= size else cast(BinaryIO, BoundedFile(handle, length))
        try:
            reader = PdfFileReader(stream, strict=False, decode_limits=limits.for_pyhanko())
        except PdfDecodeLimitError:
            raise
        except PdfReadError as exc:
            first_error = first_error or exc
            continue
        return reader, length
    assert first_error is not None
    raise first_error


def verify(path: Path, policy: VerificationPolicy) -> VerificationResult:
    """Verify every signature of the PDF at ``path`` under ``policy``."""
    roots = _roots(policy.trust_roots)
    supplied = _supplied(policy.crls, policy.ocsps)
    etsi = policy.etsi_report
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    try:
        with tolerating() as deviations, path.open("rb") as handle:
            reader, length = _open_reader(path, handle, policy.limits)
            _open_if_encrypted(reader)
            for check in (
                check_trailers,
                check_field_names,
                check_xref_tables,
                check_page_resources,
            ):
                check(reader)
            document = DocumentFacts(
                sha256=digest.hexdigest(),
                pages=int(reader.root["/Pages"]["/Count"]),
                revisions=reader.xrefs.total_revisions,
            )
            reading = _Reading(reader, path, length, tail_after_revisions(reader, path))
            outcome = asyncio.run(
                _verify(reading, roots, supplied, policy.allow_fetching, document, etsi)
            )
            xml = render_etsi_report(outcome.etsi) if etsi and outcome.etsi else None
    except EncryptedDocument:
        raise
    except PdfDecodeLimitError as exc:
        raise DecompressionLimitExceeded(f"a compressed stream expands too far: {exc}") from exc
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableDocument(f"the file cannot be read as a PDF: {exc}") from exc
    warnings = tuple(ReadingWarning(d.code, d.message, d.subject) for d in deviations.found)
    return VerificationResult(dataclasses.replace(outcome.report, warnings=warnings), xml)
