"""An RFC 3161 time-stamp token over a note's text, carried as one more signature line.

The line's key name is ``<origin>/timestamp`` and its key hash that of SHA-256(name || "\\n"
|| 0xFF || "rfc3161"): 0xFF is no signing algorithm, so verifiers that do not know the key
skip the line, as the signed-note format requires of unknown keys. Checking the token itself
(its imprint is the SHA-256 of the note's text; its TSA chains to a trusted root) is an
RFC 3161 verifier's business, not this package's.
"""

from __future__ import annotations

from transparency.notes import SignedNote, key_hash

RFC3161 = 0xFF  # not a signing algorithm: the marker of the time-stamp line
TIMESTAMP_SUFFIX = "/timestamp"


def timestamp_key(origin_name: str) -> tuple[str, bytes]:
    """The time-stamp line's key name and key hash for a note signed as ``origin_name``."""
    name = origin_name + TIMESTAMP_SUFFIX
    return name, key_hash(name, RFC3161, b"rfc3161")


def add_timestamp(note: SignedNote, origin_name: str, token: bytes) -> SignedNote:
    """Add the RFC 3161 token over the note's text as its own signature line."""
    name, marker = timestamp_key(origin_name)
    return note.with_signature(name, marker, token)


def timestamp_of(note: SignedNote, origin_name: str) -> bytes | None:
    """The RFC 3161 token on the note's time-stamp line, if it has one."""
    return note.signature_by(*timestamp_key(origin_name))
