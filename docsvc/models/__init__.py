"""Every ORM model, in one package so that Alembic and the repositories see one metadata."""

from docsvc.models.archive import (
    ArchiveHolding,
    ArchivePhase,
    ClassificationNode,
    ClassificationVersion,
    RetentionStep,
    RetentionTable,
)
from docsvc.models.audit import AuditEvent
from docsvc.models.auth import AuthSession
from docsvc.models.batches import BatchItem, BatchItemStatus, BatchJob, BatchStatus
from docsvc.models.calendar import Holiday
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
from docsvc.models.organisation import (
    PRIVILEGED_ROLES,
    Department,
    Institution,
    Position,
    Role,
    RoleRequest,
    RoleRequestStatus,
    User,
    UserRole,
)
from docsvc.models.pki import IssuedCertificate
from docsvc.models.register import (
    Direction,
    LogLeaf,
    LogNode,
    LogState,
    RegisterCheckpoint,
    RegisterCounter,
    RegisterEntry,
)
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
from docsvc.models.transfers import Receipt, Transfer, TransferPurpose, TransferStatus

__all__ = [
    "PRIVILEGED_ROLES",
    "ArchiveHolding",
    "ArchivePhase",
    "AuditEvent",
    "AuthSession",
    "BatchItem",
    "BatchItemStatus",
    "BatchJob",
    "BatchStatus",
    "ClassificationNode",
    "ClassificationVersion",
    "Confidentiality",
    "CredentialKind",
    "Department",
    "Direction",
    "Document",
    "DocumentAccess",
    "DocumentType",
    "DocumentVersion",
    "Dossier",
    "DossierItem",
    "DossierStatus",
    "Holiday",
    "InboxItem",
    "Institution",
    "IssuedCertificate",
    "LineStatus",
    "LogLeaf",
    "LogNode",
    "LogState",
    "ObjectClaim",
    "PendingExternalSignature",
    "Position",
    "Receipt",
    "RegisterCheckpoint",
    "RegisterCounter",
    "RegisterEntry",
    "RetentionStep",
    "RetentionTable",
    "Role",
    "RoleRequest",
    "RoleRequestStatus",
    "SignatureRecord",
    "SignerStatus",
    "SigningCredential",
    "SigningLine",
    "SigningStep",
    "StandIn",
    "StepMode",
    "StepSigner",
    "Transfer",
    "TransferPurpose",
    "TransferStatus",
    "User",
    "UserRole",
]
