"""Object keys: the lowercase hex SHA-256 of the bytes, and nothing else."""

from __future__ import annotations

import re

from storage.errors import ObjectNotFound

KEY_LENGTH = 64
_KEY = re.compile(r"[0-9a-f]{64}")
_KEY_PREFIX = re.compile(r"[0-9a-f]{0,64}")


def is_key(text: str) -> bool:
    return isinstance(text, str) and _KEY.fullmatch(text) is not None


def checked_key(key: str) -> str:
    """Return ``key`` if it is a well-formed content key; a malformed key can name no
    object (and so can never reach outside the store's root)."""
    if not is_key(key):
        shown = key[:80] if isinstance(key, str) else type(key).__name__
        raise ObjectNotFound(f"not a content key: {shown!r}")
    return key


def is_key_prefix(prefix: str) -> bool:
    """Whether some key could start with ``prefix``; listing any other prefix finds nothing."""
    return isinstance(prefix, str) and _KEY_PREFIX.fullmatch(prefix) is not None
