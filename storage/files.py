"""Bytes read from a store, written to a local file: what signing, verifying, previewing
and packaging need, since the tools they call read files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def save_chunks(chunks: Iterable[bytes], target: Path) -> int:
    """Write ``chunks`` (``ObjectStore.iter_chunks`` or ``iter_temporary``) to ``target``,
    one at a time; returns the bytes written. ``iter_chunks`` raises ``IntegrityError`` at
    its end when the object does not hash to its key, so a damaged object never reaches the
    caller as a whole file."""
    written = 0
    with target.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
    return written
