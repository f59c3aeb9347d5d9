"""``transparency``'s signed notes and checkpoints: the bytes are those the register has
always made (a known answer), notes round-trip, a key handed in as any ``NoteSigner`` signs
alike, and a note changed anywhere, or checked against another key, is refused."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency import (
    Checkpoint,
    MemoryTree,
    NoteError,
    SignedNote,
    TransparencyError,
    VerifierKey,
    add_timestamp,
    leaf_hash,
    root,
    sign_checkpoint,
    sign_note,
    timestamp_of,
    verify_checkpoint,
    verify_note,
)

ORIGIN = "docsvc.example.gob.ec/register"
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"docsvc transparency test key").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another key").digest())
# Made by docsvc/register/notes.py and merkle.py before they moved here: 13 leaves
# b"leaf 0".."leaf 12", signed with KEY, with a time-stamp line holding b"\x30\x03tok".
KNOWN_ROOT = "cf9b4c2a44a7caa722d5d548ee64ff90a119b0c31acac3444dc583000a39d3ca"
KNOWN_NOTE = (
    "docsvc.example.gob.ec/register\n13\nz5tMKkSnyqci1dVI7mT/kKEZsMMaysNETcWDAAo508o=\n\n"
    "\u2014 docsvc.example.gob.ec/register er7ZfXBnN7oB6wdVnYxppR5agvEEUF2u/sUcbKC8Wzqsw4pXeAr0"
    "Gvog9WLswQhVXyG93Ans5Jv8dTJ/4iBFcXJT+wg=\n"
    "\u2014 docsvc.example.gob.ec/register/timestamp 9Zsk1zADdG9r\n"
)
KNOWN_VKEY = "docsvc.example.gob.ec/register+7abed97d+ATDORsRrRITAAp6C06YYdDCa5DC/VGBnwnB59urfCCtJ"


class HeldElsewhere:
    """A key the library never sees: only its signatures and its public key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.signed: list[bytes] = []

    def sign(self, data: bytes, /) -> bytes:
        self.signed.append(data)
        return self._key.sign(data)

    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()


def _known_checkpoint() -> Checkpoint:
    tree = MemoryTree(leaf_hash(b"leaf %d" % i) for i in range(13))
    return Checkpoint(ORIGIN, 13, root(tree, 13))


def test_checkpoints_are_byte_for_byte_what_the_register_made() -> None:
    checkpoint = _known_checkpoint()
    assert checkpoint.root.hex() == KNOWN_ROOT
    assert checkpoint.text() == (
        f"{ORIGIN}\n13\n{base64.b64encode(checkpoint.root).decode()}\n".encode()
    )
    note = sign_checkpoint(checkpoint, KEY, lambda text: b"\x30\x03tok")
    assert note.encode() == KNOWN_NOTE
    assert add_timestamp(sign_note(checkpoint.text(), ORIGIN, KEY), ORIGIN, b"\x30\x03tok") == note
    assert str(VerifierKey.of(ORIGIN, KEY)) == KNOWN_VKEY
    assert verify_checkpoint(KNOWN_NOTE, VerifierKey.parse(KNOWN_VKEY)) == checkpoint
    assert timestamp_of(SignedNote.parse(KNOWN_NOTE), ORIGIN) == b"\x30\x03tok"


def test_a_key_held_elsewhere_signs_the_same_bytes() -> None:
    held = HeldElsewhere(KEY)
    checkpoint = _known_checkpoint()
    stamped: list[bytes] = []

    def timestamp(text: bytes) -> bytes:
        stamped.append(text)
        return b"\x30\x03tok"

    assert sign_checkpoint(checkpoint, held, timestamp).encode() == KNOWN_NOTE
    assert held.signed == stamped == [checkpoint.text()]
    assert VerifierKey.of(ORIGIN, held) == VerifierKey.parse(KNOWN_VKEY)


def test_without_a_timestamp_there_is_no_time_stamp_line() -> None:
    note = sign_checkpoint(_known_checkpoint(), KEY)
    assert len(note.signatures) == 1 and timestamp_of(note, ORIGIN) is None


def test_several_signers_round_trip_in_order() -> None:
    text = b"a note\nwith two lines\n"
    first = sign_note(text, "first.example/log", KEY)
    second = sign_note(text, "second.example", OTHER_KEY)
    both = first.with_signature(*second.signatures[0])
    encoded = both.encode()
    parsed = SignedNote.parse(encoded)
    assert parsed == both and parsed.encode() == encoded
    verify_note(parsed, VerifierKey.of("first.example/log", KEY))
    verify_note(parsed, VerifierKey.of("second.example", OTHER_KEY))
    assert [name for name, _, _ in parsed.signatures] == ["first.example/log", "second.example"]


def test_a_tampered_note_is_refused() -> None:
    key = VerifierKey.parse(KNOWN_VKEY)
    refused = [
        KNOWN_NOTE.replace("\n13\n", "\n14\n"),  # another size
        KNOWN_NOTE.replace("z5tM", "z5tN"),  # another root
        KNOWN_NOTE.replace("er7ZfXBn", "er7ZfXBm"),  # the signature changed
        KNOWN_NOTE.replace("register er7Z", "registers er7Z"),  # another key name
    ]
    for note in refused:
        with pytest.raises(NoteError):
            verify_checkpoint(note, key)
    with pytest.raises(NoteError):  # another key
        verify_checkpoint(KNOWN_NOTE, VerifierKey.of(ORIGIN, OTHER_KEY))
    # Signed by the right key, under its name, but the checkpoint is of another log.
    text = Checkpoint("elsewhere.example/register", 1, bytes(32)).text()
    with pytest.raises(NoteError, match="is of"):
        verify_checkpoint(sign_note(text, ORIGIN, KEY).encode(), key)


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n\u2014 a AAAAAAAA\n",
        "text\n\n- a AAAAAAAAAA==\n",  # a hyphen, not an em dash
        "text\n\n\u2014 a not-base64!\n",
        "text\n\n\u2014 a AAAA\n",  # shorter than a key hash and a signature
        "text\n\n\u2014 a AAAAAAAAAA==",  # no final newline
        "text\n\n\u2014 a b AAAAAAAAAA==\n",
        b"text\n\n\xff\n",
        "x" * (1 << 20) + "\n\n\u2014 a AAAAAAAAAA==\n",
    ],
)
def test_malformed_notes_are_refused(note: str | bytes) -> None:
    with pytest.raises(NoteError):
        SignedNote.parse(note)


@pytest.mark.parametrize(
    "text",
    [
        b"origin\n13\n",  # no root
        b"origin\n013\n" + base64.b64encode(bytes(32)) + b"\n",  # a leading zero
        b"origin\n-1\n" + base64.b64encode(bytes(32)) + b"\n",
        b"origin\n1\n" + base64.b64encode(bytes(31)) + b"\n",
        b"origin\n1\nnot base64\n",
        b"\n1\n" + base64.b64encode(bytes(32)) + b"\n",  # no origin
        b"origin\n1\n" + base64.b64encode(bytes(32)) + b"\n\n",  # an empty extension
        b"origin\n1\n" + base64.b64encode(bytes(32)),  # no final newline
        b"origin\n1\n\xff\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: bytes) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse_text(text)


def test_extensions_round_trip() -> None:
    checkpoint = Checkpoint(ORIGIN, 0, bytes(32), ("ext one", "ext two"))
    assert Checkpoint.parse_text(checkpoint.text()) == checkpoint
    assert checkpoint.text().endswith(b"\next one\next two\n")


@pytest.mark.parametrize("name", ["", "has space", "a+b", "tab\there"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(NoteError):
        sign_note(b"text\n", name, KEY)


def test_verifier_keys_are_checked() -> None:
    with pytest.raises(NoteError):
        VerifierKey.parse(KNOWN_VKEY.replace("+7abed97d+", "+7abed97e+"))
    with pytest.raises(NoteError):
        VerifierKey.parse("name+7abed97d")
    with pytest.raises(NoteError):  # not Ed25519 (type 0x02)
        VerifierKey.parse("name+00000000+" + base64.b64encode(b"\x02" + bytes(32)).decode())
    assert issubclass(NoteError, TransparencyError) and issubclass(NoteError, ValueError)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n"), max_size=20),
        min_size=1,
        max_size=5,
    ),
    position=st.integers(min_value=0),
)
def test_any_text_round_trips_and_any_change_to_it_is_refused(
    lines: list[str], position: int
) -> None:
    # (Within the signature lines a changed byte may only change base64's padding bits:
    # the same signature, rightly accepted.)
    text = ("\n".join(lines) + "\n").encode()
    key = VerifierKey.of("origin.example/log", KEY)
    note = sign_note(text, key.name, KEY)
    encoded = note.encode().encode()
    parsed = SignedNote.parse(encoded)
    assert parsed == note and parsed.encode().encode() == encoded
    verify_note(parsed, key)
    changed = bytearray(encoded)
    changed[position % len(text)] ^= 1
    with pytest.raises(NoteError):
        verify_note(SignedNote.parse(bytes(changed)), key)
