"""Why a signer's certificate is untrusted, each cause with its own code, from certificates
made here (the corpus holds a signed file for most of them; these are the certificates
alone, including the causes no file shows)."""

from __future__ import annotations

import datetime as dt

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.sign.ades.report import AdESIndeterminate

from signing.chain_diagnosis import untrusted_reason

NOW = dt.datetime.now(dt.UTC)


def _cert(
    name: str,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    ca: bool | None = None,
    usage: str = "signing",
) -> tuple[asn1_x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = (
        (x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]), issuer[1])
        if issuer
        else (subject, key)
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    signing = usage == "signing"
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=signing,
            content_commitment=signing,
            key_encipherment=not signing,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=bool(ca),
            crl_sign=bool(ca),
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    made = builder.sign(issuer_key, hashes.SHA256())
    return asn1_x509.Certificate.load(made.public_bytes(Encoding.DER)), key


def test_a_self_signed_signer_is_named_whatever_pyhanko_calls_it() -> None:
    alone, _ = _cert("Firmante autofirmado")
    for problem in (
        AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
        AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
    ):
        code, reason = untrusted_reason(alone, [], problem)
        assert code == "self_signed"
        assert "self-signed (Common Name: Firmante autofirmado)" in reason


def test_a_missing_issuer_is_named_and_an_untrusted_root_too() -> None:
    root, root_key = _cert("Raíz ajena", ca=True)
    middle, middle_key = _cert("CA intermedia", ("Raíz ajena", root_key), ca=True)
    signer, _ = _cert("Firmante", ("CA intermedia", middle_key))
    missing = AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND
    code, reason = untrusted_reason(signer, [], missing)
    assert code == "unknown_issuer"
    assert "its issuer: Common Name: CA intermedia" in reason
    assert "the certificate of Common Name: CA intermedia is neither a trust anchor" in reason
    code, reason = untrusted_reason(signer, [middle], missing)
    assert "the certificate of Common Name: Raíz ajena is neither" in reason
    code, reason = untrusted_reason(signer, [middle, root], missing)
    assert code == "unknown_issuer"
    assert "its chain ends at the root Common Name: Raíz ajena, which is not a trust" in reason


def test_a_certificate_not_for_signing_and_an_issuer_not_a_ca() -> None:
    root, root_key = _cert("Raíz", ca=True)
    encrypting, _ = _cert("Cifrado", ("Raíz", root_key), usage="encryption")
    code, reason = untrusted_reason(encrypting, [root], AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE)
    assert code == "key_usage"
    assert "(its key usage: key_encipherment)" in reason
    not_ca, not_ca_key = _cert("Persona emisora", ("Raíz", root_key), ca=False)
    signer, _ = _cert("Firmante", ("Persona emisora", not_ca_key))
    code, reason = untrusted_reason(
        signer, [not_ca, root], AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE
    )
    assert code == "not_a_ca"
    assert "Persona emisora issued a certificate in the signer's chain" in reason
