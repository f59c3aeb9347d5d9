"""RFC 3161 time-stamp tokens over arbitrary data (the register's checkpoints), and their
offline check: the token's imprint, its signature, and its TSA's chain to a trust root."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signing.errors import SigningError


def timestamp_token(stamper: TimeStamper, data: bytes) -> bytes:
    """A token (DER ContentInfo) whose imprint is the SHA-256 of ``data``."""
    digest = hashlib.sha256(data).digest()
    token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
    encoded: bytes = token.dump()
    return encoded


@dataclass(frozen=True, slots=True)
class TimestampCheck:
    time: datetime
    intact: bool  # the imprint is the data's hash and the TSA's signature holds
    trusted: bool  # the TSA's certificate chains to one of the trust roots
    tsa: str

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted


def check_timestamp_token(
    token_der: bytes, data: bytes, trust_roots: Sequence[bytes]
) -> TimestampCheck:
    """Check a token over ``data`` offline; ``SigningError`` if it is not a token at all."""
    try:
        token = cms.ContentInfo.load(token_der)
        signed = token["content"]
        if token["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
    except (ValueError, TypeError, KeyError) as exc:
        raise SigningError(f"not an RFC 3161 time-stamp token: {exc}") from exc
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in trust_roots],
        allow_fetching=False,
    )
    try:
        kwargs = asyncio.run(
            validate_tst_signed_data(
                signed, context, lambda algorithm: hashlib.new(algorithm, data).digest()
            )
        )
    except Exception as exc:  # pyHanko raises many kinds for malformed tokens
        raise SigningError(f"the time-stamp token cannot be checked: {exc}") from exc
    status = TimestampSignatureStatus(**kwargs)
    return TimestampCheck(
        time=status.timestamp,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        tsa=status.signing_cert.subject.human_friendly if status.signing_cert else "",
    )
