"""C2SP tlog checkpoints (https://c2sp.org/tlog-checkpoint): the body of a signed note that
commits a log to its size and root.

The text is the log's origin, its size in decimal and its root hash in base64, one per line,
then optional extension lines, each ending in a newline.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from transparency.errors import NoteError
from transparency.hashing import HASH_SIZE
from transparency.notes import NoteSigner, SignedNote, VerifierKey, sign_note, verify_note
from transparency.timestamps import add_timestamp


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
        if not origin or len(root) != HASH_SIZE or any(not e for e in extensions):
            raise NoteError("the checkpoint's origin or root is malformed")
        return cls(origin, int(size_text), root, tuple(extensions))


def verify_checkpoint(note: str | bytes | SignedNote, key: VerifierKey) -> Checkpoint:
    """The checkpoint in ``note``, once ``key`` is found to have signed it and to be the
    key of the checkpoint's log (its name is the origin); ``NoteError`` otherwise."""
    signed = note if isinstance(note, SignedNote) else SignedNote.parse(note)
    checkpoint = Checkpoint.parse_text(signed.text)
    verify_note(signed, key)
    if checkpoint.origin != key.name:
        raise NoteError(f"the checkpoint is of {checkpoint.origin}, the key is {key.name}'s")
    return checkpoint


def sign_checkpoint(
    checkpoint: Checkpoint, signer: NoteSigner, timestamp: Callable[[bytes], bytes] | None = None
) -> SignedNote:
    """The checkpoint as a note signed by ``signer`` under the key name of its origin, and,
    with ``timestamp`` (which returns an RFC 3161 token over the bytes it is given), the
    time-stamp line over the same text."""
    text = checkpoint.text()
    note = sign_note(text, checkpoint.origin, signer)
    if timestamp is not None:
        note = add_timestamp(note, checkpoint.origin, timestamp(text))
    return note
