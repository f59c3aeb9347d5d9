"""When the algorithms that protect a timestamp stop being trusted: a table in the style of
ETSI TS 119 312 (cryptographic suites), with dates an institution may override.

The defaults follow NIST SP 800-131A Rev. 2 and SP 800-57 Part 1 Rev. 5: algorithms of
112-bit security (SHA-224, RSA 2048, P-224) are acceptable for protecting data through
2030; SHA-1, MD5 and keys under 2048 bits have been retired already; SHA-256 and stronger,
RSA 3072 and stronger, P-256 and stronger and EdDSA have no date yet. A renewal made before
a row's date with a stronger suite keeps the proof standing; a table in use is reviewed as
the published guidance changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Suite:
    """One row: a hash, or a public-key family from ``min_bits`` up to the next row."""

    label: str
    family: str
    min_bits: int
    sunset: dt.date | None


DEFAULT_TABLE: tuple[Suite, ...] = (
    Suite("md5", "md5", 0, dt.date(2004, 12, 31)),
    Suite("sha1", "sha1", 0, dt.date(2010, 12, 31)),
    Suite("sha224", "sha224", 0, dt.date(2030, 12, 31)),
    Suite("sha256", "sha256", 0, None),
    Suite("sha384", "sha384", 0, None),
    Suite("sha512", "sha512", 0, None),
    Suite("sha3_256", "sha3_256", 0, None),
    Suite("sha3_384", "sha3_384", 0, None),
    Suite("sha3_512", "sha3_512", 0, None),
    Suite("rsa-1024", "rsa", 0, dt.date(2013, 12, 31)),
    Suite("rsa-2048", "rsa", 2048, dt.date(2030, 12, 31)),
    Suite("rsa-3072", "rsa", 3072, None),
    Suite("ec-192", "ec", 0, dt.date(2010, 12, 31)),
    Suite("ec-224", "ec", 224, dt.date(2030, 12, 31)),
    Suite("ec-256", "ec", 256, None),
    Suite("ed25519", "ed25519", 0, None),
    Suite("ed448", "ed448", 0, None),
)


class UnknownAlgorithm(ValueError):
    pass


def table(overrides: Mapping[str, dt.date | None] | None = None) -> tuple[Suite, ...]:
    """The default table with an institution's dates (by row label) put in."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - {suite.label for suite in DEFAULT_TABLE}
    if unknown:
        raise UnknownAlgorithm(f"no such row in the algorithm table: {sorted(unknown)}")
    return tuple(
        Suite(s.label, s.family, s.min_bits, overrides.get(s.label, s.sunset))
        if s.label in overrides
        else s
        for s in DEFAULT_TABLE
    )


def row(rows: tuple[Suite, ...], family: str, bits: int = 0) -> Suite:
    """The row for a hash (``bits`` 0) or for a key of ``family`` and size: the strongest
    row the key reaches. An algorithm the table does not know is no algorithm to trust."""
    candidates = [s for s in rows if s.family == family and s.min_bits <= bits]
    if not candidates:
        raise UnknownAlgorithm(f"{family} ({bits} bits) is not in the algorithm table")
    return max(candidates, key=lambda s: s.min_bits)


def sunset(rows: tuple[Suite, ...], family: str, bits: int = 0) -> dt.date | None:
    return row(rows, family, bits).sunset
