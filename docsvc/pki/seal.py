"""The institution's electronic seal: the key that signs what the service issues in the
institution's own name (verification reports), as opposed to an official's signature.

In production it is a PKCS#12 file (``DOCSVC_SEAL_P12``) or a key on an HSM
(``DOCSVC_SEAL_PKCS11_TOKEN`` and ``_KEY`` on ``DOCSVC_PKCS11_LIB``), unlocked with
``DOCSVC_SEAL_PIN``. In the embedded default the development PKI issues one at first use,
kept in the PKI directory encrypted under the service's secret key.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from docsvc.errors import Conflict
from docsvc.pki.service import dev_pki, record_issued
from docsvc.runtime.keyring import Keyring, Slot
from signing.dev_pki import issue_seal
from signing.errors import SigningError
from signing.pades import SigningKey, unlock_pkcs12
from signing.pkcs11 import open_pkcs11_key

DEV_SEAL_FILE = "seal.p12"
SEAL_KEY = Slot[SigningKey]("seal-key")
# Who issues the development seal: one at a time within a service (between processes,
# the first link wins, below).
DEV_SEAL_ISSUING = Slot[threading.Lock]("dev-seal-issuing")


def _from_file(keys: Keyring, path: Path, pin: str) -> SigningKey:
    try:
        # A file replaced on disk (a renewed seal) is opened again.
        variant = (path.resolve(), path.stat().st_mtime_ns, pin)
        return keys.held(SEAL_KEY, lambda: unlock_pkcs12(path.read_bytes(), pin), variant)
    except (OSError, SigningError) as exc:
        raise Conflict(
            f"The institution's seal {path} cannot be opened: {exc}", code="seal_unavailable"
        ) from exc


def _dev_seal(db: Session, keys: Keyring) -> SigningKey:
    settings = keys.settings
    path = settings.pki_dir / DEV_SEAL_FILE
    secret = settings.effective_secret
    with keys.held(DEV_SEAL_ISSUING, threading.Lock):
        if not path.exists():
            issued = issue_seal(
                dev_pki(keys), institution=settings.institution_name, passphrase=secret
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
    return _from_file(keys, path, secret)


@contextmanager
def institution_seal(db: Session, keys: Keyring) -> Iterator[SigningKey]:
    """The seal's key, usable inside the block (an HSM session closes after it)."""
    settings = keys.settings
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
        yield _from_file(keys, settings.seal_p12, pin)
    elif settings.dev_pki:
        yield _dev_seal(db, keys)
    else:
        raise Conflict(
            "The institution has no electronic seal: set DOCSVC_SEAL_P12 or "
            "DOCSVC_SEAL_PKCS11_TOKEN.",
            code="no_seal",
        )
