"""PAdES signing, timestamps, validation and reports, and the institution's development PKI.

Only this package imports pyHanko. It knows nothing of the service: it takes and returns
bytes, paths and frozen dataclasses.

Exception tree::

    SigningError            root of every error raised here
    ├── PkiError            the development PKI is missing, damaged or inconsistent
    ├── WrongPin            a PKCS#12 or token PIN did not unlock the key
    └── TokenError          a PKCS#11 library or token cannot be used (see signing.pkcs11)
        ├── TokenNotFound   no token with that label
        └── KeyNotFound     no signing key (or no certificate for it) with that label
"""

from signing.errors import (
    KeyNotFound,
    PkiError,
    SigningError,
    TokenError,
    TokenNotFound,
    WrongPin,
)

__all__ = [
    "KeyNotFound",
    "PkiError",
    "SigningError",
    "TokenError",
    "TokenNotFound",
    "WrongPin",
]
