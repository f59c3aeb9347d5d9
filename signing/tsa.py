"""An RFC 3161 time-stamping authority, answering DER requests with DER responses.

It accepts SHA-256/384/512 message imprints only (a SHA-1 time-stamp proves little), honours
certReq, puts a random 128-bit serial and the nonce in every token, and signs with the
ESS signing-certificate-v2 attribute that ETSI EN 319 422 requires. Anything it cannot
accept gets a ``rejection`` response with the RFC's failure code, never an exception.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from signing.dev_pki import Identity
from signing.tsa_token import SEQUENCE, TokenTemplate, der

DIGEST_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
PYCA_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class TsaConfig:
    identity: Identity
    chain: tuple[asn1_x509.Certificate, ...]  # issuing CA and root, for certReq
    policy: str  # the TSA policy OID stamped into every token
    accuracy_seconds: int = 1
    template: TokenTemplate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        template = TokenTemplate.build(
            self.identity.certificate.public_bytes(serialization.Encoding.DER),
            self.chain,
            self.policy,
            self.accuracy_seconds,
        )
        object.__setattr__(self, "template", template)


def tsa_config(identity: Identity, chain_der: list[bytes], policy: str) -> TsaConfig:
    return TsaConfig(
        identity=identity,
        chain=tuple(asn1_x509.Certificate.load(der) for der in chain_der),
        policy=policy,
    )


def _rejection(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": "rejection",
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({failure}),
        }
    )
    # asn1crypto marks timeStampToken as required, but RFC 3161 omits it from a rejection,
    # so the one-field SEQUENCE is written directly.
    return der(SEQUENCE, status.dump())


def timestamp_response(
    config: TsaConfig, request_der: bytes, now: dt.datetime | None = None
) -> bytes:
    """Answer one TimeStampReq (DER) with a TimeStampResp (DER)."""
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        requested_policy = request["req_policy"].native
        nonce = request["nonce"].native
        cert_req = bool(request["cert_req"].native)
        has_extensions = request["extensions"].native is not None
        imprint_der = imprint.dump()
    except (ValueError, TypeError, KeyError):
        return _rejection("bad_data_format", "the request is not a DER TimeStampReq")
    if algorithm not in DIGEST_LENGTHS:
        return _rejection("bad_alg", f"hash algorithm {algorithm} is not accepted")
    if not isinstance(digest, bytes) or len(digest) != DIGEST_LENGTHS[algorithm]:
        return _rejection("bad_data_format", "the message imprint has the wrong length")
    if requested_policy is not None and requested_policy != config.policy:
        return _rejection("unaccepted_policy", f"this TSA only issues under {config.policy}")
    if has_extensions:
        return _rejection("unaccepted_extensions", "request extensions are not supported")
    gen_time = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    key = config.identity.key
    assert isinstance(key, rsa.RSAPrivateKey)
    return config.template.response(
        key,
        imprint_der=imprint_der,
        serial=int.from_bytes(secrets.token_bytes(16), "big"),
        gen_time=gen_time,
        nonce=nonce if isinstance(nonce, int) else None,
        cert_req=cert_req,
    )
