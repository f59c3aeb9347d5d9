"""The institution's own development PKI, for the embedded default.

A root CA, an issuing CA, a timestamp authority, an OCSP responder, and one signing
certificate per official, made with ``cryptography`` and with the extensions validators
expect (key usages, EKUs, AKI/SKI, CRL distribution points, AIA). In production the
institution's or an accredited CA's certificates are configured instead.

Files under the PKI directory:
    root.pem, issuing.pem, tsa.pem, ocsp.pem      certificates
    root.key.pem, issuing.key.pem, tsa.key.pem, ocsp.key.pem
                                                   keys, encrypted under the service secret
Each official's key never lands here: it is returned as PKCS#12 encrypted under their PIN.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from signing.errors import PkiError

ROOT_YEARS = 20
ISSUING_YEARS = 10
SERVICE_YEARS = 5
OFFICIAL_YEARS = 2
RSA_BITS = 3072
OFFICIAL_RSA_BITS = 2048
# id-kp-documentSigning (RFC 9336): the EKU for signing documents, as opposed to e-mail.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
ROLES = ("root", "issuing", "tsa", "ocsp")


@dataclass(frozen=True, slots=True)
class PkiUrls:
    """Where the service publishes its CRL, OCSP responder, CA certificate and TSA."""

    base: str

    @property
    def crl(self) -> str:
        return f"{self.base}/pki/crl/issuing.crl"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/pki/ocsp"

    @property
    def ca_issuers(self) -> str:
        return f"{self.base}/pki/certs/issuing.cer"

    @property
    def tsa(self) -> str:
        return f"{self.base}/pki/tsa"


@dataclass(frozen=True, slots=True)
class Identity:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True)
class DevPki:
    root: Identity
    issuing: Identity
    tsa: Identity
    ocsp: Identity
    urls: PkiUrls


def _fit(text: str) -> str:
    """X.520 caps CN and O at 64 characters."""
    return text if len(text) <= 64 else text[:63] + "…"


def _name(common_name: str, organisation: str, unit: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)))
    return x509.Name(attributes)


def _key(bits: int = RSA_BITS) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey,
    not_before: dt.datetime,
    years: int,
    cap: dt.datetime | None = None,
) -> x509.CertificateBuilder:
    """``cap``: never valid past this (the issuer's own expiry)."""
    not_after = not_before + dt.timedelta(days=365 * years)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(min(not_after, cap) if cap is not None else not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _issued_by(
    builder: x509.CertificateBuilder, issuer: Identity, urls: PkiUrls | None
) -> x509.CertificateBuilder:
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
        critical=False,
    )
    if urls is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(urls.crl)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        ).add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(urls.ocsp),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(urls.ca_issuers),
                    ),
                ]
            ),
            critical=False,
        )
    return builder


def _key_usage(**on: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    flags.update(on)
    return x509.KeyUsage(**flags)


def _sign(
    builder: x509.CertificateBuilder, key: CertificateIssuerPrivateKeyTypes
) -> x509.Certificate:
    return builder.sign(key, hashes.SHA256())


def create_dev_pki(institution: str, urls: PkiUrls, now: dt.datetime | None = None) -> DevPki:
    """Make a fresh PKI. ``now`` is backdated a little so that clocks a few minutes apart
    still accept the certificates."""
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=10)
    root_key = _key()
    root_name = _name("CA raíz de desarrollo", institution)
    root_cert = _sign(
        _builder(root_name, root_name, root_key, start, ROOT_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True),
        root_key,
    )
    root = Identity(root_cert, root_key)

    issuing_key = _key()
    issuing_name = _name("CA emisora de desarrollo", institution)
    issuing_cert = _sign(
        _issued_by(_builder(issuing_name, root_name, issuing_key, start, ISSUING_YEARS), root, None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True),
        root_key,
    )
    issuing = Identity(issuing_cert, issuing_key)

    tsa = _tsa_identity(_name("Autoridad de sellado de tiempo", institution), issuing, urls, start)

    ocsp_key = _key()
    ocsp_cert = _sign(
        _issued_by(
            _builder(
                _name("Respondedor OCSP", institution),
                issuing_name,
                ocsp_key,
                start,
                SERVICE_YEARS,
            ),
            issuing,
            None,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        # RFC 6960 §4.2.2.2.1: the responder's own status is not checked through itself.
        .add_extension(x509.OCSPNoCheck(), critical=False),
        issuing_key,
    )
    return DevPki(
        root=root,
        issuing=issuing,
        tsa=tsa,
        ocsp=Identity(ocsp_cert, ocsp_key),
        urls=urls,
    )


def _tsa_identity(
    subject: x509.Name, issuing: Identity, urls: PkiUrls, start: dt.datetime
) -> Identity:
    tsa_key = _key()
    tsa_cert = _sign(
        _issued_by(
            _builder(
                subject,
                issuing.certificate.subject,
                tsa_key,
                start,
                SERVICE_YEARS,
                cap=issuing.certificate.not_valid_after_utc,
            ),
            issuing,
            urls,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        # RFC 3161 §2.3: the TSA certificate has exactly this EKU, marked critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True),
        issuing.key,
    )
    return Identity(tsa_cert, tsa_key)


def renew_tsa(pki: DevPki, now: dt.datetime | None = None) -> DevPki:
    """The PKI with a new key and certificate for its timestamp authority, valid from
    ``now`` (as a TSA rolls its key over before its certificate expires: the archive
    timestamps made from then on reach past the old certificate's end)."""
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=10)
    tsa = _tsa_identity(pki.tsa.certificate.subject, pki.issuing, pki.urls, start)
    return dataclasses.replace(pki, tsa=tsa)


@dataclass(frozen=True, slots=True)
class OfficialCertificate:
    certificate: x509.Certificate
    pkcs12: bytes  # key, certificate and chain, encrypted under the official's PIN


def _pkcs12(
    pki: DevPki, name: str, key: rsa.RSAPrivateKey, cert: x509.Certificate, passphrase: str
) -> bytes:
    """Key, certificate and chain, encrypted under ``passphrase`` (AES-256, PBKDF2)."""
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase.encode())
    )
    chain = [pki.issuing.certificate, pki.root.certificate]
    return pkcs12.serialize_key_and_certificates(name.encode(), key, cert, chain, encryption)


def _document_signer(
    pki: DevPki,
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    start: dt.datetime,
    years: int,
) -> x509.Certificate:
    """A non-repudiation certificate for signing documents, issued by the issuing CA: an
    official's or the institution's seal."""
    return _sign(
        _issued_by(
            _builder(subject, pki.issuing.certificate.subject, key, start, years),
            pki.issuing,
            pki.urls,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        # NSS (poppler's pdfsig) checks a PDF signer as an e-mail signer: without
        # emailProtection beside documentSigning it reports the certificate as unusable.
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        ),
        pki.issuing.key,
    )


def issue_official(
    pki: DevPki,
    *,
    full_name: str,
    username: str,
    organisation: str,
    position: str | None,
    pin: str,
    now: dt.datetime | None = None,
    key_bits: int = OFFICIAL_RSA_BITS,
    years: int = OFFICIAL_YEARS,
) -> OfficialCertificate:
    """A non-repudiation signing certificate for one official, returned only as PKCS#12
    encrypted under their PIN: the service never keeps the key in the clear."""
    if len(pin) < 4:
        raise PkiError("a PIN needs at least 4 characters")
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=10)
    key = _key(key_bits)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            *([x509.NameAttribute(NameOID.TITLE, position)] if position else []),
            x509.NameAttribute(NameOID.USER_ID, username),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(full_name)),
        ]
    )
    cert = _document_signer(pki, subject, key, start, years)
    return OfficialCertificate(cert, _pkcs12(pki, username, key, cert, pin))


def issue_seal(
    pki: DevPki,
    *,
    institution: str,
    passphrase: str,
    now: dt.datetime | None = None,
    years: int = SERVICE_YEARS,
) -> OfficialCertificate:
    """The institution's electronic seal: a certificate for the organisation itself, not
    for a person, which signs what the service issues in the institution's name (the
    verification reports). Returned as PKCS#12 encrypted under ``passphrase``."""
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=10)
    key = _key(OFFICIAL_RSA_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(institution)),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(f"Sello electrónico de {institution}")),
        ]
    )
    cert = _document_signer(pki, subject, key, start, years)
    return OfficialCertificate(cert, _pkcs12(pki, "seal", key, cert, passphrase))


def save_dev_pki(pki: DevPki, directory: Path, passphrase: bytes) -> None:
    """Write certificates and (passphrase-encrypted) keys; refuses to overwrite a PKI."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "root.pem").exists():
        raise PkiError(f"a PKI already exists in {directory}")
    for role in ROLES:
        _write_identity(directory, role, getattr(pki, role), passphrase)
    (directory / "urls.txt").write_text(pki.urls.base + "\n")


def save_renewed_tsa(pki: DevPki, directory: Path, passphrase: bytes) -> None:
    """Replace the saved PKI's timestamp authority with ``pki``'s (after ``renew_tsa``):
    each file is written aside and renamed over the old one, the key first."""
    if not (directory / "root.pem").exists():
        raise PkiError(f"no development PKI in {directory}: run 'docsvc init'")
    _write_identity(directory, "tsa", pki.tsa, passphrase)


def _write_identity(directory: Path, role: str, identity: Identity, passphrase: bytes) -> None:
    key_pem = identity.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    cert_pem = identity.certificate.public_bytes(serialization.Encoding.PEM)
    for name, data, mode in ((f"{role}.key.pem", key_pem, 0o600), (f"{role}.pem", cert_pem, 0o644)):
        aside = directory / f".{name}.new"
        aside.unlink(missing_ok=True)
        aside.touch(mode=mode)
        aside.write_bytes(data)
        aside.replace(directory / name)


def load_dev_pki(directory: Path, passphrase: bytes) -> DevPki:
    try:
        identities = {}
        for role in ROLES:
            cert = x509.load_pem_x509_certificate((directory / f"{role}.pem").read_bytes())
            key = serialization.load_pem_private_key(
                (directory / f"{role}.key.pem").read_bytes(), passphrase
            )
            if not isinstance(key, rsa.RSAPrivateKey):
                raise PkiError(f"{role} key is not RSA")
            identities[role] = Identity(cert, key)
        base = (directory / "urls.txt").read_text().strip()
    except FileNotFoundError as exc:
        raise PkiError(f"no development PKI in {directory}: run 'docsvc init'") from exc
    except ValueError as exc:
        raise PkiError(f"cannot open the development PKI in {directory}: {exc}") from exc
    return DevPki(urls=PkiUrls(base), **identities)
