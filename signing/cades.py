"""CAdES signatures (ETSI EN 319 122) over records: a transfer note or a receipt, as the
RFC 8785 canonical JSON of the record, signed with the official's own key. Detached CMS
with the signing-certificate-v2 attribute (CAdES-BES, ``B-B``), plus a signature
time-stamp when a TSA is given (``B-T``), so that anyone can check it offline: with
``verify_record`` here, or ``openssl cms -verify -binary -content RECORD.json``."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from signing.errors import SigningError
from signing.pades import SigningKey


def sign_record(data: bytes, key: SigningKey, timestamper: TimeStamper | None = None) -> bytes:
    """A detached CAdES signature (DER ContentInfo) over ``data``."""
    signed = asyncio.run(
        key.signer.async_sign_general_data(
            data, "sha256", detached=True, use_cades=True, timestamper=timestamper
        )
    )
    encoded: bytes = signed.dump()
    return encoded


@dataclass(frozen=True, slots=True)
class RecordSignatureCheck:
    intact: bool  # the signature is over exactly these bytes and its value holds
    trusted: bool  # the signer's certificate chains to a trust root
    revoked: bool
    signer_name: str
    certificate_sha256: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    reasons: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> str:
        if not self.intact or self.revoked:
            return "invalid"
        return "valid" if self.trusted else "indeterminate"


def verify_record(
    data: bytes,
    signature_der: bytes,
    trust_roots: Sequence[bytes],
    crls: Sequence[bytes] = (),
    ocsps: Sequence[bytes] = (),
) -> RecordSignatureCheck:
    """Check a detached signature over ``data`` offline. ``SigningError`` if the signature
    is not CMS at all."""
    try:
        info = cms.ContentInfo.load(signature_der)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = info["content"]
    except (ValueError, TypeError, KeyError) as exc:
        raise SigningError(f"not a CMS signature: {exc}") from exc
    roots = [asn1_x509.Certificate.load(der) for der in trust_roots]
    context = ValidationContext(
        trust_roots=roots, crls=list(crls), ocsps=list(ocsps), allow_fetching=False
    )
    timestamp_context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        status = asyncio.run(
            async_validate_detached_cms(
                data,
                signed_data,
                signer_validation_context=context,
                ts_validation_context=timestamp_context,
            )
        )
    except Exception as exc:  # pyHanko raises many kinds for malformed signatures
        raise SigningError(f"the signature cannot be checked: {exc}") from exc
    certificate = status.signing_cert
    reasons = []
    revoked = bool(getattr(status, "revoked", False))
    if not status.intact:
        reasons.append("the record was changed after it was signed")
    elif not status.valid:
        reasons.append("the signature value does not verify")
    if revoked:
        reasons.append("the signer's certificate is revoked")
    elif not status.trusted:
        reasons.append("the signer's certificate does not chain to a trusted root")
    timestamp = status.timestamp_validity
    return RecordSignatureCheck(
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        revoked=revoked,
        signer_name=certificate.subject.native.get("common_name", "") if certificate else "",
        certificate_sha256=hashlib.sha256(certificate.dump()).hexdigest() if certificate else "",
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp.timestamp if timestamp is not None else None,
        reasons=tuple(reasons),
    )
