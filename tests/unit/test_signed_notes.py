"""Checkpoints as C2SP signed notes, against the format's published vectors: the Go
sumdb/note known-answer test (PeterNeumann) and the signed-note spec's example."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

import transparency as notes

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIGNATURE + "\n"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def _go_private_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


def test_the_go_known_answer_verifies_and_signing_gives_the_same_bytes() -> None:
    key = notes.VerifierKey.parse(GO_VKEY)
    assert str(key) == GO_VKEY
    notes.verify_note(notes.SignedNote.parse(GO_NOTE), key)
    signed = notes.sign_note(GO_TEXT.encode(), "PeterNeumann", _go_private_key())
    assert signed.encode() == GO_NOTE  # Ed25519 is deterministic: byte for byte


def test_the_spec_example_verifies() -> None:
    notes.verify_note(notes.SignedNote.parse(SPEC_NOTE), notes.VerifierKey.parse(SPEC_VKEY))


def test_a_changed_text_or_a_foreign_key_is_refused() -> None:
    key = notes.VerifierKey.parse(GO_VKEY)
    with pytest.raises(notes.NoteError):
        notes.verify_note(notes.SignedNote.parse(GO_NOTE.replace("problem,", "problems,")), key)
    with pytest.raises(notes.NoteError):
        notes.verify_note(notes.SignedNote.parse(GO_NOTE), notes.VerifierKey.parse(SPEC_VKEY))
    with pytest.raises(notes.NoteError):
        notes.VerifierKey.parse(GO_VKEY.replace("c74f20a3", "c74f20a4"))


def test_a_checkpoint_round_trips_with_its_timestamp_line() -> None:
    private = Ed25519PrivateKey.generate()
    checkpoint = notes.Checkpoint("docsvc.example.gob.ec/register", 42, bytes(range(32)))
    note = notes.sign_note(checkpoint.text(), checkpoint.origin, private)
    note = notes.add_timestamp(note, checkpoint.origin, b"\x30\x03token")
    encoded = note.encode()
    assert encoded.startswith("docsvc.example.gob.ec/register\n42\nAAECAwQF")
    parsed = notes.SignedNote.parse(encoded)
    assert notes.Checkpoint.parse_text(parsed.text) == checkpoint
    notes.verify_note(parsed, notes.VerifierKey.of(checkpoint.origin, private))
    assert notes.timestamp_of(parsed, checkpoint.origin) == b"\x30\x03token"


@given(st.text(max_size=300))
def test_garbage_never_parses_as_a_checkpoint_by_accident(text: str) -> None:
    try:
        note = notes.SignedNote.parse(text)
        notes.Checkpoint.parse_text(note.text)
    except notes.NoteError:
        return
    # Whatever parsed must at least be well formed.
    assert note.signatures
