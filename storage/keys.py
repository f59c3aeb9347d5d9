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


# Temporary objects' names: ``/``-separated segments of [A-Za-z0-9._-], none starting with a
# dot (so none is ``.`` or ``..``), which keeps every name inside the store's temporary area.
TEMPORARY_NAME_LENGTH = 512
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
_TEMPORARY_NAME = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_TEMPORARY_PREFIX = re.compile(rf"(?:{_SEGMENT}/)*(?:{_SEGMENT})?")


def is_temporary_name(text: str) -> bool:
    return (
        isinstance(text, str)
        and len(text) <= TEMPORARY_NAME_LENGTH
        and _TEMPORARY_NAME.fullmatch(text) is not None
    )


def checked_temporary_name(name: str) -> str:
    """Return ``name`` if it is a well-formed temporary object's name; another can name no
    object (and never one outside the temporary area)."""
    if not is_temporary_name(name):
        shown = name[:80] if isinstance(name, str) else type(name).__name__
        raise ObjectNotFound(f"not a temporary object's name: {shown!r}")
    return name


def is_temporary_prefix(prefix: str) -> bool:
    """Whether some temporary name could start with ``prefix``; listing any other prefix
    finds nothing."""
    return (
        isinstance(prefix, str)
        and len(prefix) <= TEMPORARY_NAME_LENGTH
        and _TEMPORARY_PREFIX.fullmatch(prefix) is not None
    )
