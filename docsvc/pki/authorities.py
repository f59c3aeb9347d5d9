"""Which trust services a signature uses: the development PKI's, in process, in the
embedded default; in production the TSA, OCSP responder and trust roots named in the
configuration. The API and the CLI both ask here, so they sign alike."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.errors import Conflict, InvalidInput
from docsvc.ledger.checkpoints import CheckpointSigner, seal_key
from docsvc.pki.service import tsa_settings, validation_material
from docsvc.runtime.keyring import Keyring
from signing.pades import Level, LocalTimeStamper, ValidationMaterial
from signing.remote import (
    RevocationServiceError,
    TimeStamperLike,
    fetch_ocsp,
    http_timestamper,
)
from signing.timestamps import timestamp_token


def load_certificates(path: Path) -> list[bytes]:
    """Every certificate in a PEM or DER file, as DER."""
    data = path.read_bytes()
    certificates = (
        x509.load_pem_x509_certificates(data)
        if b"-----BEGIN" in data
        else [x509.load_der_x509_certificate(data)]
    )
    return [c.public_bytes(Encoding.DER) for c in certificates]


def trust_anchors(settings: Settings) -> list[bytes]:
    """The configured trust roots, or else the development PKI's root."""
    paths = settings.trust_roots or [settings.pki_dir / "root.pem"]
    anchors: list[bytes] = []
    for path in paths:
        try:
            anchors.extend(load_certificates(path))
        except (OSError, ValueError) as exc:
            raise InvalidInput(
                f"The trust root {path} cannot be read: {exc}", code="bad_trust_root"
            ) from exc
    return anchors


def _tsa(keys: Keyring) -> TimeStamperLike | None:
    settings = keys.settings
    if settings.tsa_url:
        return http_timestamper(settings.tsa_url)
    if settings.dev_pki:
        return LocalTimeStamper(tsa_settings(keys))
    return None


def timestamper_for(keys: Keyring, level: Level) -> TimeStamperLike | None:
    if level is Level.B_B:
        return None
    found = _tsa(keys)
    if found is None:
        raise Conflict(
            f"{level.value} needs a timestamp authority: set DOCSVC_TSA_URL.", code="no_tsa"
        )
    return found


def checkpoint_signer(keys: Keyring) -> CheckpointSigner:
    """The register's seal key, and the TSA that signatures use once there is one
    (``DOCSVC_TSA_URL``'s, or the development PKI's after ``docsvc init`` made it);
    without a TSA, checkpoints are signed only."""
    settings = keys.settings
    made = settings.tsa_url or (settings.dev_pki and (settings.pki_dir / "root.pem").exists())
    stamper = _tsa(keys) if made else None
    timestamp = None if stamper is None else functools.partial(timestamp_token, stamper)
    return CheckpointSigner(seal_key(keys), timestamp)


def material_for(
    db: Session, keys: Keyring, level: Level, signer_chain: Sequence[bytes] = ()
) -> ValidationMaterial | None:
    """What a B-LT/B-LTA signature embeds. ``signer_chain`` (signer first, then its issuer)
    lets a configured OCSP responder be asked about the signer beforehand."""
    if level not in (Level.B_LT, Level.B_LTA):
        return None
    settings = keys.settings
    if settings.dev_pki and not settings.trust_roots:
        return validation_material(db, keys)
    if not settings.trust_roots:
        raise Conflict(
            f"{level.value} needs the trust roots: set DOCSVC_TRUST_ROOTS.", code="no_trust_roots"
        )
    ocsps: tuple[bytes, ...] = ()
    if settings.ocsp_url and len(signer_chain) >= 2:
        try:
            ocsps = (fetch_ocsp(settings.ocsp_url, signer_chain[0], signer_chain[1]),)
        except RevocationServiceError as exc:
            raise Conflict(str(exc), code="ocsp_unavailable") from exc
    return ValidationMaterial(
        trust_roots=tuple(trust_anchors(settings)), ocsps=ocsps, allow_fetching=True
    )
