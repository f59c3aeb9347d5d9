"""PAdES signing (ETSI EN 319 142) with pyHanko, from B-B to B-LTA.

A ``SigningKey`` exists only while an official's session is unlocked: it is made from the
PKCS#12 and the PIN at that moment and never written anywhere. Output is streamed to a
file, and the signature size is reserved up front so that no dry run is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext

from signing.errors import SigningError, WrongPin
from signing.tsa import TsaConfig, timestamp_response

# Reserving the CMS size up front avoids pyHanko's dry run to measure it. Every reader of
# the signature tokenises this hex field, so it is kept tight: an RSA signature with a
# three-certificate chain fits in the first; a timestamp token with its own chain doubles it.
SIGNATURE_BYTES_RESERVED = 12 * 1024
TIMESTAMPED_SIGNATURE_BYTES_RESERVED = 24 * 1024


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


@dataclass(frozen=True, slots=True)
class ValidationMaterial:
    """What B-LT and B-LTA embed: the chain's anchors and revocation data, given as DER so
    that signing never reaches for the network."""

    trust_roots: tuple[bytes, ...]
    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()

    def context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der) for der in self.trust_roots],
            crls=list(self.crls),
            ocsps=list(self.ocsps),
            allow_fetching=False,
        )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An unlocked key: keep it only while the official's signing session is open."""

    signer: signers.Signer
    subject: str


def unlock_pkcs12(pkcs12: bytes, pin: str) -> SigningKey:
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            pkcs12, other_certs=[], passphrase=pin.encode()
        )
    except (ValueError, TypeError) as exc:
        raise WrongPin("the PIN does not unlock this key") from exc
    if signer is None or signer.signing_cert is None:
        raise WrongPin("the PIN does not unlock this key")
    return SigningKey(signer=signer, subject=signer.signing_cert.subject.human_friendly)


class LocalTimeStamper(TimeStamper):
    """Asks the institution's own TSA in process, without an HTTP round trip."""

    def __init__(self, config: TsaConfig) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._config = config

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(timestamp_response(self._config, req.dump()))


@dataclass(frozen=True, slots=True)
class SignatureRequest:
    level: Level
    field_name: str = "Firma1"
    reason: str | None = None
    location: str | None = None


def sign_file(
    source: Path,
    target: Path,
    key: SigningKey,
    request: SignatureRequest,
    timestamper: TimeStamper | None = None,
    material: ValidationMaterial | None = None,
) -> None:
    """Sign ``source`` into ``target`` as an incremental update."""
    level = request.level
    if level is not Level.B_B and timestamper is None:
        raise SigningError(f"{level.value} needs a timestamp authority")
    long_term = level in (Level.B_LT, Level.B_LTA)
    if long_term and material is None:
        raise SigningError(f"{level.value} needs the trust roots and revocation data to embed")
    metadata = signers.PdfSignatureMetadata(
        field_name=request.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=request.reason,
        location=request.location,
        embed_validation_info=long_term,
        use_pades_lta=level is Level.B_LTA,
        validation_context=material.context() if long_term and material else None,
    )
    with source.open("rb") as inp, target.open("wb") as out:
        writer = IncrementalPdfFileWriter(inp, strict=False)
        signers.sign_pdf(
            writer,
            metadata,
            signer=key.signer,
            timestamper=timestamper if level is not Level.B_B else None,
            bytes_reserved=(
                SIGNATURE_BYTES_RESERVED
                if level is Level.B_B
                else TIMESTAMPED_SIGNATURE_BYTES_RESERVED
            ),
            output=out,
        )
