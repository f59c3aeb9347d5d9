"""The algorithm table (signing.algorithm_sunset) and the renewal date it gives a
timestamp (signing.ltv.renewal_date): the earliest of the authority's expiry and its
algorithms' sunsets."""

from __future__ import annotations

import datetime as dt

import pytest

from signing.algorithm_sunset import UnknownAlgorithm, row, sunset, table
from signing.ltv import TimestampFacts, renewal_date

EXPIRES = dt.datetime(2040, 6, 1, tzinfo=dt.UTC)


def _facts(digest: str = "sha256", family: str = "rsa", bits: int = 3072) -> TimestampFacts:
    return TimestampFacts(
        at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        authority="TSA",
        authority_expires=EXPIRES,
        digest=digest,
        key_family=family,
        key_bits=bits,
        archive=True,
        archive_count=1,
    )


def test_a_key_falls_in_the_strongest_row_it_reaches() -> None:
    rows = table()
    assert row(rows, "rsa", 1024).label == "rsa-1024"
    assert row(rows, "rsa", 2048).label == "rsa-2048"
    assert row(rows, "rsa", 4096).label == "rsa-3072"
    assert row(rows, "ec", 384).label == "ec-256"
    assert sunset(rows, "rsa", 2048) == dt.date(2030, 12, 31)
    assert sunset(rows, "sha256") is None
    with pytest.raises(UnknownAlgorithm):
        row(rows, "gost")


def test_the_renewal_date_is_the_first_of_expiry_and_sunsets() -> None:
    rows = table()
    assert renewal_date(_facts(), rows) == EXPIRES.date()
    assert renewal_date(_facts(bits=2048), rows) == dt.date(2030, 12, 31)
    assert renewal_date(_facts(digest="sha224"), rows) == dt.date(2030, 12, 31)
    assert renewal_date(_facts(digest="sha1"), rows) == dt.date(2010, 12, 31)
    # What the table does not know is trusted no longer.
    assert renewal_date(_facts(digest="whirlpool"), rows) == dt.date.min


def test_an_institution_overrides_a_row_and_cannot_invent_one() -> None:
    rows = table({"rsa-3072": dt.date(2035, 1, 1), "rsa-2048": None})
    assert renewal_date(_facts(), rows) == dt.date(2035, 1, 1)
    assert renewal_date(_facts(bits=2048), rows) == EXPIRES.date()
    with pytest.raises(UnknownAlgorithm):
        table({"rsa-9999": None})
