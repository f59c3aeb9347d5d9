"""Signing API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from docsvc.config import SignatureLevel


class UnlockIn(BaseModel):
    pin: str = Field(min_length=1, max_length=128)


class SessionOut(BaseModel):
    unlocked: bool
    expires_at: datetime | None


class CredentialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    subject: str
    certificate_sha256: str
    not_after: datetime
    locked_until: datetime | None


class SignIn(BaseModel):
    """How to sign. Without ``pin`` the official's unlocked signing session is used."""

    pin: str | None = Field(default=None, min_length=1, max_length=128)
    level: SignatureLevel | None = None
    visible: bool = True
    # A certification signature (DocMDP: form filling and signatures allowed afterwards);
    # only the first signature of a document can be one.
    certify: bool = False
    # With ``certify`` and a visible stamp: empty stamp fields kept for the officials who
    # approve next (a certified document cannot gain new visible fields later).
    reserve_fields: int = Field(default=3, ge=0, le=20)
    reason: str | None = Field(default=None, max_length=500)
    location: str | None = Field(default=None, max_length=200)
    # Page for the visible stamp, 1-based; the last page when omitted.
    page: int | None = Field(default=None, ge=1)
    # Optimistic concurrency: refuse if the document has moved past this version.
    base_version: int | None = Field(default=None, ge=1)


class SignatureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    version_number: int
    signer_id: uuid.UUID
    certificate_sha256: str
    field_name: str
    level: str
    kind: Literal["certification", "approval"]
    sha256: str
    signed_at: datetime


class SignResultOut(BaseModel):
    signature: SignatureOut
    verification_code: str
    verification_url: str


class PrepareOut(BaseModel):
    pending_id: uuid.UUID
    # Base64 of the DER signed attributes the card must sign (RSA PKCS#1 v1.5, SHA-256).
    to_be_signed: str
    to_be_signed_sha256: str
    signature_algorithm: str
    expires_at: datetime


class FinishIn(BaseModel):
    signature_value: str = Field(min_length=1, max_length=8192, description="Base64")
