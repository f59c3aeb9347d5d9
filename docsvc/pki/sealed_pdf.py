"""A PDF the service issues in the institution's own name (a verification report, a
registry receipt), sealed with its electronic seal: B-LT when a timestamp authority is
configured, so that it stays verifiable after the seal's certificate expires."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from docsvc.errors import Conflict
from docsvc.pki.authorities import material_for, timestamper_for
from docsvc.pki.seal import institution_seal
from docsvc.runtime.keyring import Keyring
from signing.errors import SigningError
from signing.pades import Level, SignatureRequest, sign_file


def seal_pdf(db: Session, keys: Keyring, pdf: bytes, *, reason: str) -> bytes:
    """``pdf`` with the institution's seal; ``reason`` is the signature's stated reason,
    in the reader's language (what the document is)."""
    settings = keys.settings
    level = Level.B_LT if settings.tsa_url or settings.dev_pki else Level.B_B
    timestamper = timestamper_for(keys, level)
    material = material_for(db, keys, level)
    request = SignatureRequest(level, reason=reason, location=settings.institution_name)
    with tempfile.TemporaryDirectory(prefix="docsvc-sealed-") as work:
        source, target = Path(work) / "issued.pdf", Path(work) / "sealed.pdf"
        source.write_bytes(pdf)
        with institution_seal(db, keys) as key:
            try:
                sign_file(source, target, key, request, timestamper, material)
            except SigningError as exc:
                raise Conflict(f"The PDF cannot be sealed: {exc}", code="seal_failed") from exc
        return target.read_bytes()
