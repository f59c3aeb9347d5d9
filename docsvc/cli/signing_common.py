"""What ``docsvc sign`` and ``docsvc verify`` share: quiet pyHanko logs, the exit codes of
DESIGN.md, and the trust anchors."""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.cli.common import fail
from docsvc.config import Settings

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


def quiet_pyhanko() -> None:
    """pyHanko logs what it finds suspicious with a traceback; the report already says it
    in plain words, and the CLI must never print a traceback."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


def anchors(settings: Settings, trust: list[Path]) -> list[bytes]:
    """--trust files, or else the institution's configured anchors (the development root
    in the embedded default). Never the operating system's store."""
    paths = trust or [settings.pki_dir / "root.pem"]
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
