"""A memo for the string preparation that X.509 name comparison runs, installed into
asn1crypto.

RFC 5280 compares distinguished names after the LDAP string preparation of RFC 4518
(``NameTypeAndValue._ldap_string_prep``: a dozen regular expressions, NFKC and a case
fold). asn1crypto keeps the result on each parsed name, but a verification parses the
document's certificates afresh, and pyHanko compares the signer's issuer with every
certificate it carries: the preparation was about a fifth of verifying a one-page PDF
signed at B-B. It is a pure function of its string, so a bounded memo across
verifications returns the same results, errors included (an error is not remembered and
is raised again).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from asn1crypto import x509

# Distinct attribute values (names, organisations, countries) a process remembers.
_REMEMBERED = 4096

_original = x509.NameTypeAndValue._ldap_string_prep


@lru_cache(maxsize=_REMEMBERED)
def _prepared(string: str) -> str:
    # The original does not read ``self``: any instance's method gives the same result.
    result: str = _original(_PREPARER, string)
    return result


_PREPARER = x509.NameTypeAndValue()


def _ldap_string_prep(self: Any, string: str) -> str:
    return _prepared(string)


def install() -> None:
    """Idempotent."""
    x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep
