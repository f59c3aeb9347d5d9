"""Verification codes (código seguro de verificación): short, unguessable, easy to type.

Crockford's base32 alphabet leaves out I, L, O and U, so a code read aloud or copied from
paper is not misread. 80 random bits: guessing one is hopeless at any request rate.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LEN = 4, 4
_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(chars[i : i + GROUP_LEN] for i in range(0, len(chars), GROUP_LEN))


def normalise(typed: str) -> str | None:
    """The canonical form of a typed code, or None if it cannot be one. Accepts lower case,
    spaces instead of dashes, and the letters people confuse with digits."""
    raw = re.sub(r"[\s-]", "", typed.upper()).translate(str.maketrans("ILO", "110"))
    if len(raw) != GROUPS * GROUP_LEN:
        return None
    code = "-".join(raw[i : i + GROUP_LEN] for i in range(0, len(raw), GROUP_LEN))
    return code if _PATTERN.match(code) else None
