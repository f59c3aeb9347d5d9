"""Officials' signing credentials, the signatures made, and two-step signing in progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class CredentialKind(StrEnum):
    # PKCS#12 encrypted under the official's PIN: the service stores only the encrypted
    # bundle, and the PIN opens it at signing time.
    pkcs12 = "pkcs12"
    # A key on a PKCS#11 token or HSM; the token's PIN opens a session at signing time.
    pkcs11 = "pkcs11"
    # The official's own card: two-step signing, the key never reaches the service.
    external = "external"


class SigningCredential(Base):
    __tablename__ = "signing_credentials"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    certificate_pem: Mapped[str] = mapped_column(Text)
    # Issuer chain (PEM, signer's issuer first), for external signing's CMS.
    chain_pem: Mapped[str] = mapped_column(Text, default="")
    certificate_sha256: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    # A key issued before keys were sealed, under the PIN alone; emptied once sealed.
    pkcs12: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The key sealed under the PIN and the server's pepper (signing.key_envelope).
    key_envelope: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    pkcs11_token: Mapped[str | None] = mapped_column(String(200), default=None)
    pkcs11_key: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    # Wrong PINs in a row; reaching the limit locks signing until locked_until.
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # PIN tries being checked right now (each holds a slot until its outcome is counted),
    # and when the last one began: failed_pins + pin_pending never exceeds the limit, so a
    # burst of guesses cannot outrun the lockout (docsvc.signatures.credentials.pin_attempt).
    pin_pending: Mapped[int] = mapped_column(Integer, default=0)
    pin_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignatureRecord(Base):
    """One signature made through the service: which version it produced, by whom, how."""

    __tablename__ = "signature_records"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    signer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_credentials.id"))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    field_name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # "certification" or "approval"
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingExternalSignature(Base):
    """Two-step signing between *prepare* and *finish*. The prepared PDF sits in the object
    store under ``prepared_sha256``; the row expires and is used at most once."""

    __tablename__ = "pending_external_signatures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_credentials.id"))
    base_version: Mapped[int] = mapped_column(Integer)
    prepared_sha256: Mapped[str] = mapped_column(String(64), index=True)
    state_json: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SigningSession(Base):
    """An official's open signing session, shared by every app process of the deployment.

    ``sealed`` is the official's key (a PKCS#12 without a password) encrypted with AES-GCM
    under a key derived from the login session's token, which only the client holds (the
    database keeps the token's SHA-256): whoever reads this table cannot open it, and any
    process that receives the client's next request can (``docsvc.signatures.sessions``).
    """

    __tablename__ = "signing_sessions"

    # The login session it belongs to; logging out or its expiry ends this one too.
    auth_session: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.token_sha256", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("signing_credentials.id", ondelete="CASCADE")
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
