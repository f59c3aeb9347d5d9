"""PAdES signing, timestamps, validation and reports, and the institution's development PKI.

Only this package imports pyHanko. It knows nothing of the service: it takes and returns
bytes, paths and frozen dataclasses.

Exception tree::

    SigningError            root of every error raised here
    ├── PkiError            the development PKI is missing, damaged or inconsistent
    └── WrongPin            a PKCS#12 or token PIN did not unlock the key
"""

from signing.errors import PkiError, SigningError, WrongPin

__all__ = ["PkiError", "SigningError", "WrongPin"]
