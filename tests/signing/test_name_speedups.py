"""The remembered string preparation gives exactly what asn1crypto's own gives, errors
included, and X.509 names compare as before (RFC 5280: case, spaces and compatibility
forms do not matter)."""

from __future__ import annotations

import pytest
from asn1crypto import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import name_speedups

ORIGINAL = name_speedups._original
PREPARER = x509.NameTypeAndValue()


def _outcome(prepare: object, string: str) -> tuple[str, object]:
    try:
        return ("ok", prepare(PREPARER, string))  # type: ignore[operator]
    except Exception as exc:
        return ("error", type(exc).__name__)


# Letters with accents, compatibility forms, the characters the preparation maps to
# nothing or to a space, and some it refuses.
TEXT = st.text(
    alphabet=st.sampled_from(
        [*"AaÁáÑñ ß\tİı", "\u00ad", "\ufb01", "\u2160", "\u0301", "\u200b", "\ue000", "\u0627"]
    ),
    max_size=12,
)


@settings(max_examples=400)
@given(TEXT)
def test_same_result_as_asn1crypto_for_any_string(string: str) -> None:
    name_speedups.install()
    expected = _outcome(ORIGINAL, string)
    # Twice: the first computes, the second is remembered.
    assert _outcome(x509.NameTypeAndValue._ldap_string_prep, string) == expected
    assert _outcome(x509.NameTypeAndValue._ldap_string_prep, string) == expected


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name.build({"common_name": common_name, "organization_name": organisation})


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (("Ana  Pérez", "Ministerio"), ("ana pérez", "MINISTERIO"), True),
        (("Ana Pérez", "Ministerio"), ("Ana Perez", "Ministerio"), False),
        (("ﬁrma", "Ministerio"), ("firma", "Ministerio"), True),
        (("Ana Pérez", "Ministerio"), ("Ana Pérez", "Ayuntamiento"), False),
    ],
)
def test_names_compare_as_rfc_5280_says(
    left: tuple[str, str], right: tuple[str, str], equal: bool
) -> None:
    name_speedups.install()
    assert (_name(*left) == _name(*right)) is equal
