"""What a leaf is made of: JSON in RFC 8785 (JCS) canonical form, so that anyone holding the
JSON can rebuild the exact bytes that were hashed."""

from __future__ import annotations

from typing import Any

import rfc8785

from transparency.hashing import leaf_hash


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON."""
    return bytes(rfc8785.dumps(value))


def json_leaf_hash(value: Any) -> bytes:
    """The leaf hash of a JSON leaf: ``H(0x00 || JCS(value))``."""
    return leaf_hash(canonical(value))
