"""The TSA's time-stamp tokens, written as DER from a per-TSA template.

Everything in a token but the time-stamped imprint, serial number, time, nonce and the
signature is the same for every token of one TSA: the TSA's name and certificates, its
ESS signing-certificate-v2 attribute, the algorithm identifiers. Those parts are encoded
once, with asn1crypto, when the TSA is configured; a token is then a few concatenations
and one RSA signature. Building each token with asn1crypto from dictionaries cost 19 ms,
half of a stamped B-LT signature; this costs about one RSA signature.

The layout (RFC 3161 section 2.4.2, RFC 5652, RFC 5035):

    TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo }
    ContentInfo   ::= SEQUENCE { id-signedData, [0] EXPLICIT SignedData }
    SignedData    ::= SEQUENCE { version 3, digestAlgorithms SET, encapContentInfo
                                 { id-ct-TSTInfo, [0] EXPLICIT OCTET STRING TSTInfo },
                                 [0] IMPLICIT certificates OPTIONAL, signerInfos SET }
    SignerInfo    ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm,
                                 [0] IMPLICIT signedAttrs, signatureAlgorithm, signature }
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

INTEGER = 0x02
OCTET_STRING = 0x04
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
SEQUENCE = 0x30
SET = 0x31
CONTEXT_0 = 0xA0  # [0], constructed: EXPLICIT, or IMPLICIT over a SET/SEQUENCE
CONTEXT_4 = 0xA4  # GeneralName's directoryName [4]

_GRANTED = bytes.fromhex("3003020100")  # PKIStatusInfo { status granted(0) }


def der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def der(tag: int, content: bytes) -> bytes:
    """One DER element of a single-byte tag."""
    return bytes([tag]) + der_length(len(content)) + content


def der_integer(value: int) -> bytes:
    """An INTEGER in the fewest two's-complement octets."""
    magnitude = value if value >= 0 else ~value
    return der(INTEGER, value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True))


def der_generalized_time(moment: dt.datetime) -> bytes:
    """UTC, seconds, and a fraction without trailing zeros only when there is one (X.690
    11.7)."""
    utc = moment.astimezone(dt.UTC)
    text = utc.strftime("%Y%m%d%H%M%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return der(GENERALIZED_TIME, (text + "Z").encode("ascii"))


def der_utc_time(moment: dt.datetime) -> bytes:
    return der(UTC_TIME, moment.astimezone(dt.UTC).strftime("%y%m%d%H%M%SZ").encode("ascii"))


def der_set_content(elements: Sequence[bytes]) -> bytes:
    """A SET OF's content: its elements in ascending order of their encodings, the shorter
    compared as if padded with zero octets (X.690 11.6)."""
    width = max((len(e) for e in elements), default=0)

    def padded(element: bytes) -> bytes:
        return element + bytes(width - len(element))

    ordered: list[bytes] = sorted(elements, key=padded)
    return b"".join(ordered)


def der_set_of(elements: Sequence[bytes]) -> bytes:
    return der(SET, der_set_content(elements))


def _oid(dotted: str) -> bytes:
    encoded: bytes = core.ObjectIdentifier(dotted).dump()
    return encoded


def _attribute(oid: bytes, value: bytes) -> bytes:
    return der(SEQUENCE, oid + der(SET, value))


def _signing_certificate_v2(cert_der: bytes, cert: asn1_x509.Certificate) -> bytes:
    """The ESS signing-certificate-v2 attribute naming the TSA's certificate (RFC 5035)."""
    value = tsp.SigningCertificateV2(
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
    encoded: bytes = cms.CMSAttribute({"type": "signing_certificate_v2", "values": [value]}).dump()
    return encoded


@dataclass(frozen=True, slots=True)
class TokenTemplate:
    """The constant parts of one TSA's tokens, each already DER."""

    version_policy: bytes  # TSTInfo's version v1 and policy OID
    accuracy: bytes
    tsa_name: bytes  # TSTInfo's tsa: [0] EXPLICIT GeneralName directoryName
    content_type_attribute: bytes
    signing_time_oid: bytes
    message_digest_oid: bytes
    signing_certificate_attribute: bytes
    sid: bytes  # IssuerAndSerialNumber of the TSA's certificate
    digest_algorithm: bytes
    signature_algorithm: bytes
    tst_info_oid: bytes
    signed_data_oid: bytes
    certificates: bytes  # [0] IMPLICIT SET OF: the TSA's certificate and its chain

    @classmethod
    def build(
        cls,
        certificate_der: bytes,
        chain: Sequence[asn1_x509.Certificate],
        policy: str,
        accuracy_seconds: int,
    ) -> TokenTemplate:
        certificate = asn1_x509.Certificate.load(certificate_der)
        tst_info_oid = _oid("1.2.840.113549.1.9.16.1.4")
        issuer_der = certificate.issuer.dump()
        return cls(
            version_policy=der_integer(1) + _oid(policy),
            accuracy=der(SEQUENCE, der_integer(accuracy_seconds)),
            tsa_name=der(CONTEXT_0, der(CONTEXT_4, certificate.subject.dump())),
            content_type_attribute=_attribute(_oid("1.2.840.113549.1.9.3"), tst_info_oid),
            signing_time_oid=_oid("1.2.840.113549.1.9.5"),
            message_digest_oid=_oid("1.2.840.113549.1.9.4"),
            signing_certificate_attribute=_signing_certificate_v2(certificate_der, certificate),
            sid=der(SEQUENCE, issuer_der + der_integer(certificate.serial_number)),
            digest_algorithm=algos.DigestAlgorithm({"algorithm": "sha256"}).dump(),
            signature_algorithm=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}).dump(),
            tst_info_oid=tst_info_oid,
            signed_data_oid=_oid("1.2.840.113549.1.7.2"),
            certificates=der(
                CONTEXT_0, der_set_content([certificate_der, *(c.dump() for c in chain)])
            ),
        )

    def tst_info(
        self, imprint_der: bytes, serial: int, gen_time: dt.datetime, nonce: int | None
    ) -> bytes:
        # ordering is FALSE, its DEFAULT, and DER leaves defaults out.
        return der(
            SEQUENCE,
            self.version_policy
            + imprint_der
            + der_integer(serial)
            + der_generalized_time(gen_time)
            + self.accuracy
            + (der_integer(nonce) if nonce is not None else b"")
            + self.tsa_name,
        )

    def response(
        self,
        key: rsa.RSAPrivateKey,
        *,
        imprint_der: bytes,
        serial: int,
        gen_time: dt.datetime,
        nonce: int | None,
        cert_req: bool,
    ) -> bytes:
        """A granted TimeStampResp with one token, signed by ``key``."""
        content = self.tst_info(imprint_der, serial, gen_time, nonce)
        attributes = [
            self.content_type_attribute,
            _attribute(self.signing_time_oid, der_utc_time(gen_time)),
            _attribute(
                self.message_digest_oid, der(OCTET_STRING, hashlib.sha256(content).digest())
            ),
            self.signing_certificate_attribute,
        ]
        signed_attributes = der_set_of(attributes)
        signature = key.sign(signed_attributes, padding.PKCS1v15(), hashes.SHA256())
        signer_info = der(
            SEQUENCE,
            der_integer(1)
            + self.sid
            + self.digest_algorithm
            # The same SET, tagged [0] IMPLICIT in place of its universal tag.
            + bytes([CONTEXT_0])
            + signed_attributes[1:]
            + self.signature_algorithm
            + der(OCTET_STRING, signature),
        )
        signed_data = der(
            SEQUENCE,
            der_integer(3)
            + der(SET, self.digest_algorithm)
            + der(SEQUENCE, self.tst_info_oid + der(CONTEXT_0, der(OCTET_STRING, content)))
            + (self.certificates if cert_req else b"")
            + der(SET, signer_info),
        )
        token = der(SEQUENCE, self.signed_data_oid + der(CONTEXT_0, signed_data))
        return der(SEQUENCE, _GRANTED + token)
