"""Every ORM model, in one package so that Alembic and the repositories see one metadata."""

from docsvc.models.audit import AuditEvent
from docsvc.models.auth import AuthSession
from docsvc.models.documents import (
    Confidentiality,
    Document,
    DocumentAccess,
    DocumentType,
    DocumentVersion,
    Dossier,
    DossierItem,
    DossierStatus,
)
from docsvc.models.object_claims import ObjectClaim
from docsvc.models.organisation import Department, Institution, Position, Role, User, UserRole
from docsvc.models.pki import IssuedCertificate
from docsvc.models.signatures import (
    CredentialKind,
    PendingExternalSignature,
    SignatureRecord,
    SigningCredential,
)

__all__ = [
    "AuditEvent",
    "AuthSession",
    "Confidentiality",
    "CredentialKind",
    "Department",
    "Document",
    "DocumentAccess",
    "DocumentType",
    "DocumentVersion",
    "Dossier",
    "DossierItem",
    "DossierStatus",
    "Institution",
    "IssuedCertificate",
    "ObjectClaim",
    "PendingExternalSignature",
    "Position",
    "Role",
    "SignatureRecord",
    "SigningCredential",
    "User",
    "UserRole",
]
