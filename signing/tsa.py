"""An RFC 3161 time-stamping authority, answering DER requests with DER responses.

It accepts SHA-256/384/512 message imprints only (a SHA-1 time-stamp proves little), honours
certReq, puts a random 128-bit serial and the nonce in every token, and signs with the
ESS signing-certificate-v2 attribute that ETSI EN 319 422 requires. Anything it cannot
accept gets a ``rejection`` response with the RFC's failure code, never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from signing.dev_pki import Identity

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
    return _der_sequence(status.dump())


def _der_sequence(content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([length])
    else:
        encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([0x80 | len(encoded)]) + encoded
    return b"\x30" + header + content


def _signing_certificate_v2(
    cert_der: bytes, cert: asn1_x509.Certificate
) -> tsp.SigningCertificateV2:
    return tsp.SigningCertificateV2(
        {
            "certs": [
                tsp.ESSCertIDv2(
                    {
                        "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                        "cert_hash": hashlib.sha256(cert_der).digest(),
                        "issuer_serial": tsp.IssuerSerial(
                            {
                                "issuer": [
                                    asn1_x509.GeneralName(name="directory_name", value=cert.issuer)
                                ],
                                "serial_number": cert.serial_number,
                            }
                        ),
                    }
                )
            ]
        }
    )


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
    cert_der = config.identity.certificate.public_bytes(serialization.Encoding.DER)
    tsa_cert = asn1_x509.Certificate.load(cert_der)
    tst_info: dict[str, object] = {
        "version": "v1",
        "policy": config.policy,
        "message_imprint": imprint,
        "serial_number": int.from_bytes(secrets.token_bytes(16), "big"),
        "gen_time": gen_time,
        "accuracy": {"seconds": config.accuracy_seconds},
        "ordering": False,
        "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject),
    }
    if nonce is not None:
        tst_info["nonce"] = nonce
    content = tsp.TSTInfo(tst_info).dump()
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(gen_time)})]}
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [_signing_certificate_v2(cert_der, tsa_cert)],
                }
            ),
        ]
    )
    key = config.identity.key
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature,
        }
    )
    signed_data: dict[str, object] = {
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": cms.ParsableOctetString(content),
        },
        "signer_infos": [signer],
    }
    if cert_req:
        signed_data["certificates"] = [tsa_cert, *config.chain]
    token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
    response: bytes = tsp.TimeStampResp(
        {"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token}
    ).dump()
    return response
