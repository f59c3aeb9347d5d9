"""Officials' keys at rest (``signing.key_envelope``): sealed under the PIN and a pepper,
bound to their credential, and exported as a national CA would hand them out."""

from __future__ import annotations

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import key_envelope
from signing.dev_pki import OfficialCertificate
from signing.errors import SigningError, WrongPin
from tests.support.pki import PIN

# Cheap enough for many examples; the service uses KdfCost()'s 64 MiB.
FAST = key_envelope.KdfCost(time_cost=1, memory_kib=1024, parallelism=1)
BINDING = b"credential-1"


@pytest.fixture(scope="module")
def plain(official: OfficialCertificate) -> bytes:
    return key_envelope.without_password(official.pkcs12, PIN)


def test_a_sealed_key_opens_only_with_its_pin_pepper_and_binding(plain: bytes) -> None:
    pepper = key_envelope.new_pepper()
    sealed = key_envelope.seal(plain, "482913", pepper, BINDING)
    assert plain not in sealed
    assert key_envelope.open_envelope(sealed, "482913", pepper, BINDING) == plain
    for pin, other_pepper, binding in (
        ("482914", pepper, BINDING),
        ("482913", key_envelope.new_pepper(), BINDING),
        ("482913", pepper, b"credential-2"),  # moved to another row
    ):
        with pytest.raises(WrongPin):
            key_envelope.open_envelope(sealed, pin, other_pepper, binding)


def test_the_service_cost_is_argon2id_with_64_mib(plain: bytes) -> None:
    sealed = key_envelope.seal(plain, "482913", key_envelope.new_pepper(), BINDING)
    magic, version, time_cost, memory_kib, parallelism, _, _ = key_envelope._HEADER.unpack_from(
        sealed
    )
    assert (magic, version) == (b"DSKE", 1)
    assert (time_cost, memory_kib, parallelism) == (3, 64 * 1024, 1)


def test_a_short_pepper_and_a_foreign_blob_are_refused(plain: bytes) -> None:
    with pytest.raises(SigningError):
        key_envelope.seal(plain, "482913", b"x" * 16, BINDING)
    with pytest.raises(key_envelope.EnvelopeError):
        key_envelope.open_envelope(b"PK\x03\x04 not an envelope", "482913", b"x" * 32, BINDING)


@settings(max_examples=25, deadline=None)
@given(flip=st.integers(min_value=0))
def test_any_changed_byte_makes_the_envelope_unopenable(plain: bytes, flip: int) -> None:
    pepper = b"p" * 32
    sealed = bytearray(key_envelope.seal(plain, "482913", pepper, BINDING, FAST))
    position = flip % len(sealed)
    sealed[position] ^= 0x01
    with pytest.raises((WrongPin, key_envelope.EnvelopeError)):
        key_envelope.open_envelope(bytes(sealed), "482913", pepper, BINDING)


def _pbes2(algorithm: asn1_keys.EncryptionAlgorithm) -> tuple[str, int, str]:
    assert algorithm["algorithm"].native == "pbes2"
    parameters = algorithm["parameters"]
    kdf = parameters["key_derivation_func"]
    return (
        kdf["algorithm"].native,
        kdf["parameters"]["iteration_count"].native,
        parameters["encryption_scheme"]["algorithm"].native,
    )


def test_an_exported_key_is_pbes2_aes_256_with_600000_iterations(plain: bytes) -> None:
    exported = key_envelope.exported(plain, "482913")
    loaded = pkcs12.load_pkcs12(exported, b"482913")
    assert loaded.key is not None and loaded.cert is not None
    pfx = asn1_pkcs12.Pfx.load(exported)
    seen = []
    for content in pfx.authenticated_safe:
        if content["content_type"].native == "encrypted_data":
            encrypted: asn1_cms.EncryptedData = content["content"]
            info = encrypted["encrypted_content_info"]
            seen.append(_pbes2(info["content_encryption_algorithm"]))
            continue
        for bag in asn1_pkcs12.SafeContents.load(content["content"].native):
            if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                seen.append(_pbes2(bag["bag_value"]["encryption_algorithm"]))
    assert seen and all(s == ("pbkdf2", 600_000, "aes256_cbc") for s in seen), seen
    with pytest.raises(WrongPin):
        key_envelope._loaded(exported, b"482914")
