"""The server-side pepper that seals officials' keys (``signing.key_envelope``).

Read from ``Settings.effective_key_pepper_file`` and kept for the process's life. Made on
first use when the file does not exist (``docsvc init`` makes it), with mode 0600 in a 0700
directory. A production deployment points ``DOCSVC_KEY_PEPPER_FILE`` outside the data
directory, so that a copy of the data directory and the database together still yields no
key.
"""

from __future__ import annotations

import os
from pathlib import Path

from docsvc.config import Settings
from docsvc.errors import ServiceUnavailable
from docsvc.runtime.keyring import Keyring, Slot
from signing.key_envelope import PEPPER_BYTES, new_pepper

PEPPER = Slot[bytes]("key-pepper")


def _read(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it meanwhile: read that one
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(new_pepper())
    pepper = path.read_bytes()
    if len(pepper) < PEPPER_BYTES:
        raise ServiceUnavailable(
            f"The key pepper file {path} holds fewer than {PEPPER_BYTES} bytes.",
            code="bad_key_pepper",
        )
    return pepper


def key_pepper(keys: Keyring) -> bytes:
    """The pepper, read once per service."""
    path = keys.settings.effective_key_pepper_file.resolve()
    try:
        return keys.held(PEPPER, lambda: _read(path), path)
    except OSError as exc:
        raise ServiceUnavailable(
            f"The key pepper cannot be read: {exc.strerror}.", code="key_pepper_unavailable"
        ) from exc


def pepper_inside_data_dir(settings: Settings) -> bool:
    """Whether a copy of the data directory would carry the pepper with it."""
    pepper = settings.effective_key_pepper_file.resolve()
    return pepper.is_relative_to(settings.data_dir.resolve())
