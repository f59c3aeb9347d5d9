"""Checkpoints as C2SP signed notes (https://c2sp.org/signed-note, /tlog-checkpoint).

A checkpoint's text is the log's origin, its size and its root hash (base64), one per line.
Below a blank line come signature lines, ``— <key name> <base64(key hash || signature)>``:
the institution's seal key signs the text with Ed25519 (key hash: the first four bytes of
SHA-256(name || "\\n" || 0x01 || public key)). A second line carries an RFC 3161 time-stamp
token over the same text, under the key name ``<origin>/timestamp`` and the key hash of
SHA-256(name || "\\n" || 0xFF || "rfc3161"): verifiers that do not know it skip it, as the
signed-note format requires of unknown keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
RFC3161 = 0xFF  # not a signing algorithm: our marker for the time-stamp line
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
TIMESTAMP_SUFFIX = "/timestamp"
MAX_NOTE_BYTES = 1 << 20


class NoteError(ValueError):
    """The note is malformed, or a signature on it does not verify."""


def key_hash(name: str, key_type: int, key_material: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + key_material).digest()[:4]


def _check_name(name: str) -> None:
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
        _check_name(name)
        if key.hash.hex() != hash_hex.lower():
            raise NoteError("the verifier key's hash does not match its name and key")
        return key

    @classmethod
    def of(cls, name: str, private_key: Ed25519PrivateKey) -> VerifierKey:
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(name, raw)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> bytes:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return ("\n".join([*lines, *self.extensions]) + "\n").encode()

    @classmethod
    def parse_text(cls, text: bytes) -> Checkpoint:
        try:
            lines = text.decode("utf-8").split("\n")
        except UnicodeDecodeError as exc:
            raise NoteError("a checkpoint is UTF-8 text") from exc
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a size and a root, one per line")
        origin, size_text, root_text, *extensions = lines[:-1]
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise NoteError("the checkpoint's size is not a decimal number")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error as exc:
            raise NoteError("the checkpoint's root is not base64") from exc
        if not origin or len(root) != 32 or any(not e for e in extensions):
            raise NoteError("the checkpoint's origin or root is malformed")
        return cls(origin, int(size_text), root, tuple(extensions))


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


def sign_note(text: bytes, name: str, private_key: Ed25519PrivateKey) -> SignedNote:
    _check_name(name)
    key = VerifierKey.of(name, private_key)
    return SignedNote(text, ((name, key.hash, private_key.sign(text)),))


def add_timestamp(note: SignedNote, origin_name: str, token: bytes) -> SignedNote:
    """Add the RFC 3161 token over the note's text as its own signature line."""
    name = origin_name + TIMESTAMP_SUFFIX
    _check_name(name)
    marker = key_hash(name, RFC3161, b"rfc3161")
    return SignedNote(note.text, (*note.signatures, (name, marker, token)))


def timestamp_of(note: SignedNote, origin_name: str) -> bytes | None:
    name = origin_name + TIMESTAMP_SUFFIX
    return note.signature_by(name, key_hash(name, RFC3161, b"rfc3161"))


def verify_note(note: SignedNote, key: VerifierKey) -> None:
    """Raise ``NoteError`` unless ``key`` signed the note's text."""
    signature = note.signature_by(key.name, key.hash)
    if signature is None:
        raise NoteError(f"the note has no signature by {key.name}")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, note.text)
    except InvalidSignature as exc:
        raise NoteError(f"the signature by {key.name} does not verify") from exc
