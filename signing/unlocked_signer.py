"""A PKCS#12 signer that does its per-key work once, when the official unlocks the key.

pyHanko's SimpleSigner repeats two costly steps on every signature, which together were
most of a one-page B-B signature's time (about 60 ms of 70 on the bench machine):

- it parses the private key from DER again, and cryptography checks an RSA key's
  consistency on every parse;
- it builds the signing-certificate-v2 attribute from the parsed certificate, and
  asn1crypto re-encodes the issuer's name from scratch each time (about 14 ms).

Both depend only on the key and the certificate, so this signer computes them once and
keeps them exactly as long as the signing session keeps the signer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign import attributes, signers
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


class _FixedCertificateId(attributes.CMSAttributeProvider):
    attribute_type = "signing_certificate_v2"

    def __init__(self, der: bytes) -> None:
        self._der = der

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        # Loaded from DER, the value keeps its encoding: dumping it costs nothing.
        return tsp.SigningCertificateV2.load(self._der)


class _WithFixedCertificateId(attributes.SignedAttributeProviderSpec):
    """pyHanko's own attribute set, with the certificate identifier precomputed."""

    def __init__(self, inner: attributes.SignedAttributeProviderSpec, der: bytes) -> None:
        self._inner = inner
        self._der = der

    def signed_attr_providers(
        self, data_digest: bytes, digest_algorithm: str
    ) -> Iterable[attributes.CMSAttributeProvider]:
        for provider in self._inner.signed_attr_providers(data_digest, digest_algorithm):
            if isinstance(provider, attributes.SigningCertificateV2Provider):
                yield _FixedCertificateId(self._der)
            else:
                yield provider


class UnlockedSigner(signers.SimpleSigner):
    def __init__(self, loaded: signers.SimpleSigner) -> None:
        assert loaded.signing_cert is not None
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
        )
        self._private = serialization.load_der_private_key(loaded.signing_key.dump(), None)
        self._certificate_id = as_signing_certificate_v2(loaded.signing_cert).dump()

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo == "rsassa_pkcs1v15" and isinstance(
            self._private, rsa.RSAPrivateKey
        ):
            return self._private.sign(
                data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
            )
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result

    def _signed_attr_provider_spec(self, *args: Any, **kwargs: Any) -> Any:
        spec = super()._signed_attr_provider_spec(*args, **kwargs)
        return _WithFixedCertificateId(spec, self._certificate_id)
