"""What ``docsvc sign`` and ``docsvc verify`` share: quiet pyHanko logs, the exit codes of
docs/contracts.md, the trust anchors and the institution's current CRL."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.cli.common import fail
from docsvc.config import Settings
from docsvc.db.engine import make_engine, make_session_factory
from docsvc.pki.service import crl_der
from docsvc.runtime.keyring import Keyring

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


def quiet_pyhanko() -> None:
    """pyHanko logs what it finds suspicious with a traceback; the report already says it
    in plain words, and the CLI must never print a traceback."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


def anchors(settings: Settings, trust: list[Path]) -> list[bytes]:
    """--trust files, or else the institution's configured anchors (DOCSVC_TRUST_ROOTS, or
    the development root in the embedded default). Never the operating system's store."""
    paths = trust or settings.trust_roots or [settings.pki_dir / "root.pem"]
    anchors: list[bytes] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"cannot read trust root {path}: {exc.strerror}", EXIT_UNREADABLE)
        try:
            certs = (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError:
            fail(f"{path} is not a certificate", EXIT_UNREADABLE)
        anchors.extend(c.public_bytes(Encoding.DER) for c in certs)
    return anchors


def institution_crls(settings: Settings) -> list[bytes]:
    """The institution's current CRL, made on the spot from the development PKI and the
    revocations recorded in its database, without any network: the anchors alone say
    nothing of revocations made since a document was signed. Empty when there is no
    development PKI or no database yet (``docsvc init`` not run); then only the revocation
    data inside the document counts."""
    if not settings.dev_pki or not (settings.pki_dir / "root.pem").is_file():
        return []
    if not settings.database_url and not (settings.data_dir / "docsvc.sqlite3").is_file():
        return []  # do not create an empty SQLite file just to read from it

    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as db:
            return [crl_der(db, Keyring(settings))]
    except Exception as exc:  # no traceback: verification goes on without it
        typer.echo(
            f"note: the institution's current CRL is not available ({exc.__class__.__name__}); "
            "revocation is checked against the document's own data only",
            err=True,
        )
        return []
    finally:
        engine.dispose()
