"""Every ORM model, in one package so that Alembic and the repositories see one metadata."""

from docsvc.models.audit import AuditEvent
from docsvc.models.auth import AuthSession
from docsvc.models.batches import BatchItem, BatchItemStatus, BatchJob, BatchStatus
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
from docsvc.models.signing_lines import (
    InboxItem,
    LineStatus,
    SignerStatus,
    SigningLine,
    SigningStep,
    StandIn,
    StepMode,
    StepSigner,
)

__all__ = [
    "AuditEvent",
    "AuthSession",
    "BatchItem",
    "BatchItemStatus",
    "BatchJob",
    "BatchStatus",
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
    "InboxItem",
    "Institution",
    "IssuedCertificate",
    "LineStatus",
    "ObjectClaim",
    "PendingExternalSignature",
    "Position",
    "Role",
    "SignatureRecord",
    "SignerStatus",
    "SigningCredential",
    "SigningLine",
    "SigningStep",
    "StandIn",
    "StepMode",
    "StepSigner",
    "User",
    "UserRole",
]
