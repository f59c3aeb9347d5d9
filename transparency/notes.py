"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.

A note is UTF-8 text ending in a newline, then a blank line, then one signature line per
signer, ``— <key name> <base64(key hash || signature)>``. The key hash is the first four
bytes of SHA-256(key name || "\\n" || key type || key material); Ed25519's type is 0x01.
A verifier key is written ``<name>+<hex key hash>+<base64(0x01 || public key)>``.

Signing takes the key as a ``NoteSigner``: cryptography's ``Ed25519PrivateKey`` is one, and
a key kept elsewhere (an HSM) can be wrapped as one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from transparency.errors import NoteError

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_NOTE_BYTES = 1 << 20


class NoteSigner(Protocol):
    """An Ed25519 private key, as far as signing notes needs one."""

    def sign(self, data: bytes, /) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


def key_hash(name: str, key_type: int, key_material: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + key_material).digest()[:4]


def check_key_name(name: str) -> None:
    """Raise ``NoteError`` unless ``name`` can be a key name: not empty, no white space, no
    ``+``."""
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"a key name has no spaces or '+': {name!r}")


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """An Ed25519 verifier key, written ``<name>+<hex key hash>+<base64(0x01 || key)>``."""

    name: str
    public_key: bytes  # 32 bytes, raw

    @property
    def hash(self) -> bytes:
        return key_hash(self.name, ED25519, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.hash.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        try:
            name, hash_hex, encoded = text.strip().split("+", 2)  # base64 may hold "+"
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise NoteError("a verifier key is <name>+<hex hash>+<base64 key>") from exc
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("only Ed25519 verifier keys are supported")
        key = cls(name, raw[1:])
        check_key_name(name)
        if key.hash.hex() != hash_hex.lower():
            raise NoteError("the verifier key's hash does not match its name and key")
        return key

    @classmethod
    def of(cls, name: str, signer: NoteSigner) -> VerifierKey:
        raw = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(name, raw)


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: bytes
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (name, key hash, signature)

    def encode(self) -> str:
        lines = [
            f"{SIGNATURE_PREFIX}{name} {base64.b64encode(hash_ + sig).decode()}"
            for name, hash_, sig in self.signatures
        ]
        return self.text.decode() + "\n" + "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, note: str | bytes) -> SignedNote:
        raw = note.encode() if isinstance(note, str) else note
        if len(raw) > MAX_NOTE_BYTES:
            raise NoteError("the note is too large")
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("a note is UTF-8 text") from exc
        text, separator, block = decoded.rpartition("\n\n")
        if not separator or not block.endswith("\n"):
            raise NoteError("a note's signatures follow its text after a blank line")
        signatures = []
        for line in block[:-1].split("\n"):
            if not line.startswith(SIGNATURE_PREFIX):
                raise NoteError("a signature line starts with an em dash and a space")
            try:
                name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
                blob = base64.b64decode(encoded, validate=True)
            except (ValueError, binascii.Error) as exc:
                raise NoteError("a signature line is '— <name> <base64>'") from exc
            if len(blob) < 5:
                raise NoteError("a signature is too short")
            signatures.append((name, blob[:4], blob[4:]))
        if not signatures:
            raise NoteError("the note has no signature")
        return cls((text + "\n").encode(), tuple(signatures))

    def signature_by(self, name: str, hash_: bytes) -> bytes | None:
        for signer, signer_hash, signature in self.signatures:
            if signer == name and signer_hash == hash_:
                return signature
        return None

    def with_signature(self, name: str, hash_: bytes, signature: bytes) -> SignedNote:
        """This note with one more signature line, after the others."""
        check_key_name(name)
        return SignedNote(self.text, (*self.signatures, (name, hash_, signature)))


def sign_note(text: bytes, name: str, signer: NoteSigner) -> SignedNote:
    """The note ``text`` signed by ``signer`` under the key name ``name``."""
    check_key_name(name)
    key = VerifierKey.of(name, signer)
    return SignedNote(text, ((name, key.hash, signer.sign(text)),))


def verify_note(note: SignedNote, key: VerifierKey) -> None:
    """Raise ``NoteError`` unless ``key`` signed the note's text."""
    signature = note.signature_by(key.name, key.hash)
    if signature is None:
        raise NoteError(f"the note has no signature by {key.name}")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, note.text)
    except InvalidSignature as exc:
        raise NoteError(f"the signature by {key.name} does not verify") from exc
