"""The institution's electronic seal: the key that signs what the service issues in the
institution's own name (verification reports), as opposed to an official's signature.

In production it is a PKCS#12 file (``DOCSVC_SEAL_P12``) or a key on an HSM
(``DOCSVC_SEAL_PKCS11_TOKEN`` and ``_KEY`` on ``DOCSVC_PKCS11_LIB``), unlocked with
``DOCSVC_SEAL_PIN``. In the embedded default the development PKI issues one at first use,
kept in the PKI directory encrypted under the service's secret key.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.errors import Conflict
from docsvc.pki.service import dev_pki, record_issued
from signing.dev_pki import issue_seal
from signing.errors import SigningError
from signing.pades import SigningKey, unlock_pkcs12
from signing.pkcs11 import open_pkcs11_key

DEV_SEAL_FILE = "seal.p12"
_lock = threading.Lock()


@functools.cache
def _unlocked(path: Path, mtime_ns: int, pin: str) -> SigningKey:
    return unlock_pkcs12(path.read_bytes(), pin)


def _from_file(path: Path, pin: str) -> SigningKey:
    try:
        return _unlocked(path.resolve(), path.stat().st_mtime_ns, pin)
    except (OSError, SigningError) as exc:
        raise Conflict(
            f"The institution's seal {path} cannot be opened: {exc}", code="seal_unavailable"
        ) from exc


def _dev_seal(db: Session, settings: Settings) -> SigningKey:
    path = settings.pki_dir / DEV_SEAL_FILE
    secret = settings.effective_secret
    with _lock:
        if not path.exists():
            issued = issue_seal(
                dev_pki(settings), institution=settings.institution_name, passphrase=secret
            )
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(issued.pkcs12)
            partial.chmod(0o600)
            try:
                # Another process may have made one meanwhile: the first link wins.
                os.link(partial, path)
            except FileExistsError:
                pass
            else:
                record_issued(db, issued.certificate, "seal")
            finally:
                partial.unlink()
    return _from_file(path, secret)


@contextmanager
def institution_seal(db: Session, settings: Settings) -> Iterator[SigningKey]:
    """The seal's key, usable inside the block (an HSM session closes after it)."""
    pin = settings.seal_pin.get_secret_value()
    if settings.seal_pkcs11_token:
        if settings.pkcs11_lib is None:
            raise Conflict(
                "DOCSVC_SEAL_PKCS11_TOKEN needs DOCSVC_PKCS11_LIB.", code="seal_unavailable"
            )
        try:
            with open_pkcs11_key(
                settings.pkcs11_lib, settings.seal_pkcs11_token, settings.seal_pkcs11_key, pin
            ) as key:
                yield key
        except SigningError as exc:
            raise Conflict(
                f"The institution's seal on the HSM cannot be used: {exc}",
                code="seal_unavailable",
            ) from exc
        return
    if settings.seal_p12 is not None:
        yield _from_file(settings.seal_p12, pin)
    elif settings.dev_pki:
        yield _dev_seal(db, settings)
    else:
        raise Conflict(
            "The institution has no electronic seal: set DOCSVC_SEAL_P12 or "
            "DOCSVC_SEAL_PKCS11_TOKEN.",
            code="no_seal",
        )
