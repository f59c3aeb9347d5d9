"""Two-step (prepare / finish) PAdES signing for officials whose key is on their own card.

The service never sees the key. ``prepare_external`` writes the document with an empty,
reserved ``/Contents`` placeholder and returns a ``PreparedSignature``: the DER of the CMS
signed attributes that the card must sign (RSA PKCS#1 v1.5 with SHA-256), and everything
``finish_external`` needs to embed the signature later, as plain values that survive a JSON
round trip between two HTTP requests. ``finish_external`` refuses a signature value that
does not verify against the signer's certificate, and a prepared file that changed between
the steps, before it writes anything; then it embeds the CMS, adds the signature timestamp
(B-T and up), the validation data (B-LT and up) and the archive timestamp (B-LTA).

Every prepare is unique: the document digest covers the signing time and a fresh random
second ``/ID`` of the new revision, so a value signed for one prepare fails on any other.
The state holds no secret, but it must come back unchanged: the service keeps it on its
side (never in the client's hands) until it expires.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import itertools
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    PdfPostSignatureDocument,
    PostSignInstructions,
    PreSignValidationStatus,
)
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import SigningError
from signing.pades import (
    SIGNATURE_BYTES_RESERVED,
    TIMESTAMPED_SIGNATURE_BYTES_RESERVED,
    Level,
    ValidationMaterial,
)

STATE_FORMAT = "docsvc.external-signature"
STATE_VERSION = 1
DIGEST_ALGORITHM = "sha256"
MECHANISM = "sha256_rsa"  # RSA PKCS#1 v1.5 over SHA-256, what every signature card does
DEFAULT_TTL = dt.timedelta(minutes=15)
# The DER prefix of a PKCS#1 DigestInfo for SHA-256, for cards that pad but do not hash.
_SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
_CHUNK = 1 << 20

_T = TypeVar("_T")


class InvalidPreparedState(SigningError):
    """The saved state of a prepared signature is unreadable or inconsistent."""


class PreparationExpired(SigningError):
    """The prepared signature is older than its time to live: prepare again."""


class SignatureValueRejected(SigningError):
    """The signature value does not verify against the signer's certificate over the
    attributes that were to be signed (another key, or other data)."""


class PreparedFileChanged(SigningError):
    """The prepared file is not the one written by the prepare step."""


@dataclass(frozen=True, slots=True)
class PreparedSignature:
    """Everything the finish step needs; it holds no secret. ``to_be_signed`` goes to the
    card, the rest stays with the service (``to_json`` / ``from_json``)."""

    level: Level
    field_name: str
    signer_chain: tuple[bytes, ...]  # DER, the signer's certificate first
    signed_attributes: bytes  # DER of the CMS SignedAttributes (a SET), what is signed
    document_digest: bytes  # SHA-256 over the /ByteRange of the prepared file
    reserved_start: int  # the /Contents placeholder, as offsets in the prepared file
    reserved_end: int
    prepared_sha256: bytes  # of the whole prepared file, placeholder included
    prepared_size: int
    mechanism: str
    digest_algorithm: str
    signing_time: dt.datetime  # the /M written into the signature dictionary
    expires_at: dt.datetime

    @property
    def to_be_signed(self) -> bytes:
        """The bytes the card signs with RSA PKCS#1 v1.5 and SHA-256."""
        return self.signed_attributes

    @property
    def to_be_signed_digest(self) -> bytes:
        """SHA-256 of ``to_be_signed``, for cards that are given the digest."""
        return hashlib.sha256(self.signed_attributes).digest()

    @property
    def to_be_signed_digest_info(self) -> bytes:
        """The DER DigestInfo of ``to_be_signed``, for raw PKCS#1 v1.5 (CKM_RSA_PKCS)."""
        return _SHA256_DIGEST_INFO_PREFIX + self.to_be_signed_digest

    @property
    def signer_certificate_sha256(self) -> str:
        return hashlib.sha256(self.signer_chain[0]).hexdigest()

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "level": self.level.value,
                "field_name": self.field_name,
                "signer_chain": [_b64(der) for der in self.signer_chain],
                "signed_attributes": _b64(self.signed_attributes),
                "document_digest": _b64(self.document_digest),
                "reserved_start": self.reserved_start,
                "reserved_end": self.reserved_end,
                "prepared_sha256": self.prepared_sha256.hex(),
                "prepared_size": self.prepared_size,
                "mechanism": self.mechanism,
                "digest_algorithm": self.digest_algorithm,
                "signing_time": self.signing_time.isoformat(),
                "expires_at": self.expires_at.isoformat(),
                "signer_certificate_sha256": self.signer_certificate_sha256,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> PreparedSignature:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            if data.get("format") != STATE_FORMAT or data.get("version") != STATE_VERSION:
                raise ValueError("not a prepared signature of a known version")
            chain = data["signer_chain"]
            if not isinstance(chain, list) or not chain:
                raise ValueError("no signer chain")
            state = cls(
                level=Level(_typed(data, "level", str)),
                field_name=_typed(data, "field_name", str),
                signer_chain=tuple(_unb64(item) for item in chain),
                signed_attributes=_unb64(data["signed_attributes"]),
                document_digest=_unb64(data["document_digest"]),
                reserved_start=_typed(data, "reserved_start", int),
                reserved_end=_typed(data, "reserved_end", int),
                prepared_sha256=bytes.fromhex(_typed(data, "prepared_sha256", str)),
                prepared_size=_typed(data, "prepared_size", int),
                mechanism=_typed(data, "mechanism", str),
                digest_algorithm=_typed(data, "digest_algorithm", str),
                signing_time=_aware(_typed(data, "signing_time", str)),
                expires_at=_aware(_typed(data, "expires_at", str)),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidPreparedState(
                f"the prepared signature state is unreadable: {exc}"
            ) from exc
        try:
            _signer_certificate(state.signer_chain)
        except SigningError as exc:
            raise InvalidPreparedState(str(exc)) from exc
        if data.get("signer_certificate_sha256") != state.signer_certificate_sha256:
            raise InvalidPreparedState("the prepared signature state names another certificate")
        _check_consistent(state)
        return state


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(value, validate=True)


def _typed(data: dict[str, Any], key: str, kind: type[_T]) -> _T:
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{key} is not {kind.__name__}")
    return value


def _aware(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time without a time zone")
    return moment


def _signer_certificate(chain: Sequence[bytes]) -> x509.Certificate:
    if not chain:
        raise SigningError("external signing needs the signer's certificate")
    try:
        cert = x509.load_der_x509_certificate(chain[0])
        for der in chain[1:]:
            x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise SigningError(
            f"the signer chain holds something that is not a certificate: {exc}"
        ) from exc
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise SigningError("external signing supports RSA keys (PKCS#1 v1.5 with SHA-256) only")
    return cert


def _check_consistent(state: PreparedSignature) -> None:
    """The state must describe one signature: its attributes carry its document digest and
    name its certificate, and its placeholder lies inside its file."""
    problems: list[str] = []
    if state.mechanism != MECHANISM or state.digest_algorithm != DIGEST_ALGORITHM:
        problems.append(f"unsupported mechanism {state.mechanism}/{state.digest_algorithm}")
    if not 0 < state.reserved_start < state.reserved_end <= state.prepared_size:
        problems.append("the placeholder lies outside the prepared file")
    try:
        attrs = cms.CMSAttributes.load(state.signed_attributes)
        values = {attr["type"].native: attr["values"] for attr in attrs}
        digest = values["message_digest"][0].native
        signing_certs = values["signing_certificate_v2"][0]["certs"]
        cert_hash = signing_certs[0]["cert_hash"].native
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidPreparedState(f"the signed attributes are unreadable: {exc}") from exc
    if digest != state.document_digest:
        problems.append("the signed attributes carry another document digest")
    if cert_hash != hashlib.sha256(state.signer_chain[0]).digest():
        problems.append("the signed attributes name another certificate")
    if problems:
        raise InvalidPreparedState("; ".join(problems))


def _registry(chain: Sequence[bytes]) -> SimpleCertificateStore:
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    for der in chain:
        store.register(asn1_x509.Certificate.load(der))
    return store


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
    return next(f"Firma{n}" for n in itertools.count(1) if f"Firma{n}" not in taken)


def _sha256_file(path: Path) -> tuple[bytes, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.digest(), size


def _sibling_temp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")


def prepare_external(
    source: Path,
    prepared: Path,
    signer_chain: Sequence[bytes],
    level: Level,
    *,
    field_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    material: ValidationMaterial | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> PreparedSignature:
    """Write ``source`` with a reserved signature placeholder to ``prepared`` and return
    what the card must sign. ``material`` is required for B-LT and B-LTA; when given (at
    any level) the signer's certificate must validate against it now, so that an official
    never signs on the card for a certificate the service would not accept."""
    long_term = level in (Level.B_LT, Level.B_LTA)
    if long_term and material is None:
        raise SigningError(f"{level.value} needs the trust roots and revocation data to embed")
    cert = _signer_certificate(signer_chain)
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningError("the signer's certificate is not valid now")
    chain = tuple(bytes(der) for der in signer_chain)
    temp = _sibling_temp(prepared)
    try:
        with source.open("rb") as inp, temp.open("w+b") as out:
            name, signing_time, br_digest, attrs = asyncio.run(
                _prepare(inp, out, chain, level, field_name, reason, location, material)
            )
        sha, size = _sha256_file(temp)
        os.replace(temp, prepared)
    except (PyHankoSigningError, PdfError, ValueError, KeyError, TypeError) as exc:
        temp.unlink(missing_ok=True)
        raise SigningError(f"the document cannot be prepared for signing: {exc}") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return PreparedSignature(
        level=level,
        field_name=name,
        signer_chain=chain,
        signed_attributes=attrs,
        document_digest=br_digest.document_digest,
        reserved_start=br_digest.reserved_region_start,
        reserved_end=br_digest.reserved_region_end,
        prepared_sha256=sha,
        prepared_size=size,
        mechanism=MECHANISM,
        digest_algorithm=DIGEST_ALGORITHM,
        signing_time=signing_time.astimezone(dt.UTC),
        expires_at=now + ttl,
    )


async def _prepare(
    inp: IO[bytes],
    out: IO[bytes],
    chain: tuple[bytes, ...],
    level: Level,
    field_name: str | None,
    reason: str | None,
    location: str | None,
    material: ValidationMaterial | None,
) -> tuple[str, dt.datetime, PreparedByteRangeDigest, bytes]:
    writer = IncrementalPdfFileWriter(inp, strict=False)
    name = field_name or _free_field_name(writer)
    long_term = level in (Level.B_LT, Level.B_LTA)
    signer = signers.ExternalSigner(
        signing_cert=asn1_x509.Certificate.load(chain[0]),
        cert_registry=_registry(chain),
        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": MECHANISM}),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=name,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        embed_validation_info=long_term,
        use_pades_lta=level is Level.B_LTA,
        validation_context=material.context() if material is not None else None,
    )
    session = signers.PdfSigner(metadata, signer=signer).init_signing_session(writer)
    # With a validation context this validates the signer's certificate, as sign_file does.
    validation_info = await session.perform_presign_validation(writer)
    tbs = session.prepare_tbs_document(
        validation_info=validation_info,
        bytes_reserved=(
            SIGNATURE_BYTES_RESERVED if level is Level.B_B else TIMESTAMPED_SIGNATURE_BYTES_RESERVED
        ),
    )
    br_digest, _ = tbs.digest_tbs_document(output=out)
    # PAdES signed attributes: content type, message digest and signing-certificate-v2;
    # the signing time lives in the signature dictionary's /M, covered by the digest.
    attrs = await signer.signed_attrs(
        br_digest.document_digest,
        DIGEST_ALGORITHM,
        attr_settings=PdfCMSSignedAttributes(signing_time=session.system_time),
        use_pades=True,
    )
    return name, session.system_time, br_digest, attrs.dump()


def verify_signature_value(state: PreparedSignature, signature_value: bytes) -> None:
    """Raise ``SignatureValueRejected`` unless ``signature_value`` is the signer's RSA
    PKCS#1 v1.5 SHA-256 signature over ``state.to_be_signed``."""
    try:
        public_key = _signer_certificate(state.signer_chain).public_key()
    except SigningError as exc:
        raise InvalidPreparedState(str(exc)) from exc
    assert isinstance(public_key, rsa.RSAPublicKey)  # _signer_certificate refuses others
    try:
        public_key.verify(signature_value, state.to_be_signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureValueRejected(
            "the signature value does not verify with the signer's certificate over the "
            "prepared attributes: signed by another key, or over other data"
        ) from exc


def finish_external(
    prepared: Path,
    state: PreparedSignature,
    signature_value: bytes,
    target: Path,
    timestamper: TimeStamper | None = None,
    material: ValidationMaterial | None = None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Embed the card's ``signature_value`` into the prepared document and write ``target``.

    Nothing is written unless the state is current, the value verifies and the prepared
    file is byte for byte the one the prepare step wrote."""
    level = state.level
    if level is not Level.B_B and timestamper is None:
        raise SigningError(f"{level.value} needs a timestamp authority")
    long_term = level in (Level.B_LT, Level.B_LTA)
    if long_term and material is None:
        raise SigningError(f"{level.value} needs the trust roots and revocation data to embed")
    if (now or dt.datetime.now(dt.UTC)) > state.expires_at:
        raise PreparationExpired("the prepared signature has expired: prepare the document again")
    _check_consistent(state)
    verify_signature_value(state, signature_value)
    temp = _sibling_temp(target)
    try:
        with prepared.open("rb") as inp, temp.open("w+b") as out:
            # Copy and hash in one pass, so the checked bytes are the bytes that are signed.
            digest, size = hashlib.sha256(), 0
            while chunk := inp.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            if size != state.prepared_size or digest.digest() != state.prepared_sha256:
                raise PreparedFileChanged(
                    "the prepared file changed between prepare and finish: prepare again"
                )
            out.flush()
            asyncio.run(_finish(out, state, signature_value, timestamper, material))
        os.replace(temp, target)
    except (PyHankoSigningError, PdfError, ValueError, KeyError, TypeError) as exc:
        temp.unlink(missing_ok=True)
        raise SigningError(f"the signature cannot be embedded: {exc}") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


async def _finish(
    out: IO[bytes],
    state: PreparedSignature,
    signature_value: bytes,
    timestamper: TimeStamper | None,
    material: ValidationMaterial | None,
) -> None:
    level = state.level
    cert = asn1_x509.Certificate.load(state.signer_chain[0])
    registry = _registry(state.signer_chain)
    signer = signers.ExternalSigner(
        signing_cert=cert,
        cert_registry=registry,
        signature_value=signature_value,
        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": state.mechanism}),
    )
    # The signature timestamp (B-T and up) is an unsigned attribute over the value.
    signature_cms = await signer.async_sign_prescribed_attributes(
        state.digest_algorithm,
        signed_attrs=cms.CMSAttributes.load(state.signed_attributes),
        timestamper=timestamper if level is not Level.B_B else None,
    )
    sig_contents = PreparedByteRangeDigest(
        document_digest=state.document_digest,
        reserved_region_start=state.reserved_start,
        reserved_region_end=state.reserved_end,
    ).fill_with_cms(out, signature_cms)
    if level not in (Level.B_LT, Level.B_LTA):
        return
    assert material is not None and timestamper is not None  # checked by the caller
    context = material.context()
    out.flush()
    out.seek(0)
    signed = PdfFileReader(out, strict=False)
    instructions = PostSignInstructions(
        validation_info=await _validation_info(
            cert, registry, context, timestamper, signed, level is Level.B_LTA
        ),
        timestamp_md_algorithm=state.digest_algorithm,
        timestamper=timestamper if level is Level.B_LTA else None,
        strict=False,
    )
    # The DSS (and for B-LTA the archive timestamp over it) as incremental updates.
    await PdfPostSignatureDocument(
        sig_contents, post_sign_instr=instructions, validation_context=context
    ).post_signature_processing(out)


async def _validation_info(
    cert: asn1_x509.Certificate,
    registry: SimpleCertificateStore,
    context: ValidationContext,
    timestamper: TimeStamper,
    signed: PdfFileReader,
    lta: bool,
) -> PreSignValidationStatus:
    """What pyHanko's pre-signing validation collects for the DSS, gathered at finish time
    because the signing session of the prepare step does not survive between requests."""
    try:
        signer_path: ValidationPath = await CertificateValidator(
            cert, intermediate_certs=registry, validation_context=context
        ).async_validate_usage({"non_repudiation"})  # type: ignore[no-untyped-call]
    except (PathBuildingError, PathValidationError) as exc:
        raise SigningError(f"the signer's certificate could not be validated: {exc}") from exc
    paths = [signer_path]
    # For B-LTA, keep an earlier archive timestamp chain unbroken, as pyHanko does.
    last = next(reversed(signed.embedded_timestamp_signatures), None) if lta else None
    if last is not None:
        try:
            last_path: ValidationPath = await CertificateValidator(
                last.signer_cert,
                intermediate_certs=itertools.chain(registry, last.other_embedded_certs),
                validation_context=context,
            ).async_validate_usage(  # type: ignore[no-untyped-call]
                set(), extended_key_usage={"time_stamping"}
            )
        except (PathBuildingError, PathValidationError) as exc:
            raise SigningError(
                f"the document's latest archive timestamp could not be validated: {exc}"
            ) from exc
        paths.append(last_path)
    ts_paths: list[ValidationPath] = [
        path
        async for path in timestamper.validation_paths(context)  # type: ignore[no-untyped-call]
    ]
    return PreSignValidationStatus(
        signer_path=signer_path,
        validation_paths=[*paths, *ts_paths],
        ts_validation_paths=ts_paths,
        ocsps_to_embed=list(context.ocsps),
        crls_to_embed=list(context.crls),
    )
