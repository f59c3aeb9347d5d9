"""What the signing tests share: a development PKI's constants, its trust root, TSA and
validation material. Their fixtures are in tests/signing/conftest.py."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from signing.dev_pki import DevPki, PkiUrls
from signing.pades import ValidationMaterial
from signing.revocation import build_crl
from signing.tsa import TsaConfig, tsa_config

POLICY = "2.25.329800735698586629295641978511506172918"
PIN = "2468"
INSTITUTION = "Ministerio de Pruebas"
URLS = PkiUrls("http://127.0.0.1:8000")
OFFICIAL_NAME = "Ana María Rojas"


def root_der(pki: DevPki) -> bytes:
    return pki.root.certificate.public_bytes(Encoding.DER)


def root_pem(pki: DevPki, path: Path) -> Path:
    """The root certificate written as PEM to ``path``, for outside validators."""
    path.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    return path


def tsa(pki: DevPki) -> TsaConfig:
    """The PKI's timestamp authority, answering with its chain and ``POLICY``."""
    chain = [c.public_bytes(Encoding.DER) for c in (pki.issuing.certificate, pki.root.certificate)]
    return tsa_config(pki.tsa, chain, POLICY)


def material(pki: DevPki) -> ValidationMaterial:
    """What B-LT and B-LTA embed: the root and an empty CRL."""
    return ValidationMaterial(trust_roots=(root_der(pki),), crls=(build_crl(pki, [], number=1),))
