"""A stamp's words and moment come from the caller: labels in the institution's language
and the signing time in its zone, never the server's zone or UTC by accident."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from signing.appearance import STAMP_TEXT, StampLabels, StampSpec, stamp_text_params
from signing.errors import SigningError

SIGNED_AT = datetime(2026, 12, 6, 18, 25, 3, tzinfo=UTC)


def _text(spec: StampSpec) -> list[str]:
    return (STAMP_TEXT % stamp_text_params(spec, "Ana Rojas", "Ministra", SIGNED_AT)).splitlines()


def test_the_stamp_shows_the_signing_time_in_the_institutions_zone() -> None:
    spec = StampSpec("https://e.example/verificar/X", "X", zone="America/Guayaquil")
    assert _text(spec)[3] == "Fecha: 06/12/2026 13:25:03 -0500"
    utc = StampSpec("https://e.example/verificar/X", "X")
    assert _text(utc)[3] == "Fecha: 06/12/2026 18:25:03 +0000"


def test_the_stamp_prints_the_labels_it_is_given() -> None:
    labels = StampLabels("Electronically signed by", "Position", "Date", "Verification code")
    lines = _text(StampSpec("https://e.example/v/X", "X", labels=labels, zone="Europe/Madrid"))
    assert lines[0] == "Electronically signed by:"
    assert lines[2] == "Position: Ministra"
    assert lines[3] == "Date: 06/12/2026 19:25:03 +0100"
    assert lines[4] == "Verification code:"
    # Without labels, the Spanish ones.
    assert _text(StampSpec("https://e.example/v/X", "X"))[0] == "Firmado electrónicamente por:"


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(SigningError, match="time zone"):
        StampSpec("https://e.example/v/X", "X", zone="Mars/Olympus")
