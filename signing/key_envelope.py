"""Officials' keys at rest: sealed so that a stolen database alone yields nothing.

A key the service keeps for an official (the PKCS#12 of a development-PKI certificate) is
stored as an *envelope*: the PKCS#12, without a password of its own, encrypted with
AES-256-GCM under a key derived with Argon2id from

- the official's PIN (at least six digits), and
- a server-side *pepper*: 32 random bytes kept outside the database (a key file, which a
  deployment keeps outside the data directory as well).

Trying PINs offline needs the pepper; with it, each guess costs an Argon2id run of 64 MiB.
The envelope is bound to the credential it belongs to (the associated data), so it cannot
be moved to another row. A PKCS#12 handed to an official (an export) is protected as a
national CA would: PBES2 with AES-256 and 600,000 PBKDF2-SHA256 iterations.

Envelope layout (all integers big-endian)::

    b"DSKE" | version 1 (1 byte) | time cost (1) | memory KiB (4) | parallelism (1)
            | salt (16) | nonce (12) | AES-256-GCM ciphertext and tag
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs12

from signing.errors import SigningError, WrongPin

MAGIC = b"DSKE"
VERSION = 1
_HEADER = struct.Struct(">4sBBIB16s12s")
PEPPER_BYTES = 32
EXPORT_ROUNDS = 600_000
# Handing a key to this service's own worker processes (batch signing) over a pipe: the
# password is random and used once, so the derivation need not be slow.
TRANSIENT_ROUNDS = 1_000


class EnvelopeError(SigningError):
    """An envelope that is not one, or of an unknown version."""


@dataclass(frozen=True, slots=True)
class KdfCost:
    """Argon2id's cost (RFC 9106's second recommended option, with 64 MiB)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1


def _kek(pin: str, pepper: bytes, salt: bytes, cost: KdfCost) -> bytes:
    # The pepper keys an HMAC of the PIN: without it the Argon2id input is unknown.
    secret = hmac.new(pepper, pin.encode(), hashlib.sha256).digest()
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def seal(
    plain_pkcs12: bytes, pin: str, pepper: bytes, binding: bytes, cost: KdfCost = KdfCost()
) -> bytes:
    """The envelope of a PKCS#12 that has no password of its own (``plain_pkcs12``)."""
    if len(pepper) < PEPPER_BYTES:
        raise SigningError("the key pepper must be at least 32 bytes")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _HEADER.pack(
        MAGIC, VERSION, cost.time_cost, cost.memory_kib, cost.parallelism, salt, nonce
    )
    sealed = AESGCM(_kek(pin, pepper, salt, cost)).encrypt(nonce, plain_pkcs12, header + binding)
    return header + sealed


def open_envelope(envelope: bytes, pin: str, pepper: bytes, binding: bytes) -> bytes:
    """The PKCS#12 inside, without a password; ``WrongPin`` when the PIN (or the pepper,
    or the binding) is not the one it was sealed with."""
    if len(envelope) < _HEADER.size or not envelope.startswith(MAGIC):
        raise EnvelopeError("not a key envelope")
    _, version, time_cost, memory_kib, parallelism, salt, nonce = _HEADER.unpack_from(envelope)
    if version != VERSION:
        raise EnvelopeError(f"unknown key envelope version {version}")
    header = envelope[: _HEADER.size]
    cost = KdfCost(time_cost, memory_kib, parallelism)
    try:
        return AESGCM(_kek(pin, pepper, salt, cost)).decrypt(
            nonce, envelope[_HEADER.size :], header + binding
        )
    except InvalidTag as exc:
        raise WrongPin("the PIN does not unlock this key") from exc


def _loaded(pkcs12_bytes: bytes, password: bytes | None) -> pkcs12.PKCS12KeyAndCertificates:
    try:
        return pkcs12.load_pkcs12(pkcs12_bytes, password)
    except (ValueError, TypeError) as exc:
        raise WrongPin("the PIN does not unlock this key") from exc


def _serialised(
    loaded: pkcs12.PKCS12KeyAndCertificates, encryption: serialization.KeySerializationEncryption
) -> bytes:
    key = loaded.key
    if key is None or loaded.cert is None:
        raise SigningError("the PKCS#12 holds no key and certificate")
    return pkcs12.serialize_key_and_certificates(
        b"docsvc",
        key,  # type: ignore[arg-type]
        loaded.cert.certificate,
        [c.certificate for c in loaded.additional_certs],
        encryption,
    )


def without_password(pkcs12_bytes: bytes, pin: str) -> bytes:
    """A PKCS#12 encrypted under ``pin`` (a legacy credential, or a new one from the
    development PKI), as a PKCS#12 without a password, to seal."""
    return _serialised(_loaded(pkcs12_bytes, pin.encode()), serialization.NoEncryption())


def _pbes2(password: bytes, rounds: int) -> serialization.KeySerializationEncryption:
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password)
    )


def exported(plain_pkcs12: bytes, pin: str) -> bytes:
    """A PKCS#12 for the official to take away: PBES2, AES-256, 600,000 iterations."""
    return _serialised(_loaded(plain_pkcs12, None), _pbes2(pin.encode(), EXPORT_ROUNDS))


def transient(plain_pkcs12: bytes) -> tuple[bytes, str]:
    """The key encrypted under a fresh random password, to hand to this service's own
    worker processes, which unlock it with ``signing.pades.unlock_pkcs12``."""
    password = os.urandom(24).hex()
    encrypted = _serialised(
        _loaded(plain_pkcs12, None), _pbes2(password.encode(), TRANSIENT_ROUNDS)
    )
    return encrypted, password


def new_pepper() -> bytes:
    return os.urandom(PEPPER_BYTES)
