"""The demo institution: the departments, people and documents of scenarios A and B in
docs/architecture.md. Idempotent: running it on a seeded database changes nothing."""

from __future__ import annotations

import hashlib
import io
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import actor_for
from docsvc.demo.archive_seed import seed_archive
from docsvc.demo.sample_pdfs import demo_documents
from docsvc.documents import service as documents
from docsvc.documents.schemas import DocumentMetadataIn
from docsvc.documents.uploads import ReceivedFile
from docsvc.dossiers import service as dossiers
from docsvc.dossiers.schemas import DossierIn
from docsvc.models import (
    Confidentiality,
    Document,
    DocumentType,
    Dossier,
    Holiday,
    Role,
    SigningCredential,
)
from docsvc.organisation import repository as org_repository
from docsvc.organisation import service as organisation
from docsvc.organisation.schemas import DepartmentIn, PositionIn, UserIn
from docsvc.runtime.keyring import Keyring
from docsvc.services import Services
from docsvc.signatures.credentials import issue_dev_credential

DEMO_PASSWORD = "docsvc-demo"  # noqa: S105  (printed on purpose: demo data only)
# Every demo official's signing PIN (their PKCS#12 is encrypted under it).
DEMO_PIN = "123456"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    full_name: str
    department: str
    roles: tuple[Role, ...]
    position_code: str | None = None
    position_title: str | None = None


DEPARTMENTS: tuple[tuple[str, str, str | None], ...] = (
    ("DM", "Despacho del Ministro", None),
    ("DVM", "Despacho del Viceministro", "DM"),
    ("DAJ", "Dirección de Asesoría Jurídica", "DM"),
    ("DRH", "Dirección de Recursos Humanos", "DVM"),
    ("DF", "Dirección Financiera", "DVM"),
    ("DPS", "Dirección de Programas Sociales", "DVM"),
    ("DAG", "Archivo General", "DM"),
    ("DAH", "Archivo Histórico", "DAG"),
    ("UAI", "Unidad de Auditoría Interna", "DM"),
    ("DTI", "Dirección de Tecnologías de la Información", "DVM"),
)

ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("ministra", "Ana María Rojas", "DM", (Role.official,), "MIN", "Ministra"),
    DemoAccount("viceministro", "Carlos Méndez", "DVM", (Role.official,), "VMIN", "Viceministro"),
    DemoAccount(
        "juridico",
        "Lucía Fernández",
        "DAJ",
        (Role.legal, Role.official),
        "DIR-DAJ",
        "Directora de Asesoría Jurídica",
    ),
    DemoAccount("registro", "Jorge Salazar", "DAJ", (Role.registry_clerk,)),
    DemoAccount(
        "rrhh",
        "Patricia Núñez",
        "DRH",
        (Role.official,),
        "DIR-DRH",
        "Directora de Recursos Humanos",
    ),
    DemoAccount(
        "financiero", "Roberto Álvarez", "DF", (Role.official,), "DIR-DF", "Director Financiero"
    ),
    DemoAccount(
        "preparador",
        "Sofía Castillo",
        "DPS",
        (Role.official, Role.registry_clerk),
        "ANL-DPS",
        "Analista de Programas Sociales",
    ),
    DemoAccount(
        "programas",
        "Miguel Torres",
        "DPS",
        (Role.official,),
        "DIR-DPS",
        "Director de Programas Sociales",
    ),
    DemoAccount("archivista", "Elena Vargas", "DAG", (Role.archivist, Role.official)),
    DemoAccount("comite", "Ramiro Salazar", "DAG", (Role.archive_committee, Role.official)),
    DemoAccount("historico", "Teresa Benítez", "DAH", (Role.archivist, Role.official)),
    DemoAccount("auditora", "Isabel Paredes", "UAI", (Role.auditor,)),
    DemoAccount("admin", "Administrador del sistema", "DTI", (Role.admin,)),
)

# Scenario B's documents: the beneficiary list, the budget certificate and the approval.
PAYMENT_DOSSIER_DEPARTMENTS = frozenset({"DPS", "DF"})

# Who registers each demo document: someone of the owning department who may author.
AUTHOR_BY_DEPARTMENT = {
    "DAJ": "registro",
    "DM": "ministra",
    "DPS": "preparador",
    "DF": "financiero",
}


def _actor(db: Session, username: str) -> Actor:
    user = org_repository.user_by_username(db, username)
    assert user is not None, username
    return actor_for(user, Origin(client_ip="127.0.0.1", user_agent="docsvc init --demo"))


# Ecuador's national holidays (Ley Orgánica de Servicio Público, art. 25; 2026 dates as
# moved by the executive), for deadlines in business days.
NATIONAL_HOLIDAYS: tuple[tuple[date, str], ...] = (
    (date(2026, 1, 1), "Año Nuevo"),
    (date(2026, 2, 16), "Carnaval"),
    (date(2026, 2, 17), "Carnaval"),
    (date(2026, 4, 3), "Viernes Santo"),
    (date(2026, 5, 1), "Día del Trabajo"),
    (date(2026, 5, 25), "Batalla de Pichincha"),
    (date(2026, 8, 10), "Primer Grito de Independencia"),
    (date(2026, 10, 9), "Independencia de Guayaquil"),
    (date(2026, 11, 2), "Día de los Difuntos"),
    (date(2026, 11, 3), "Independencia de Cuenca"),
    (date(2026, 12, 25), "Navidad"),
    (date(2027, 1, 1), "Año Nuevo"),
)


def seed_demo(db: Session, services: Services) -> bool:
    """Create whatever part of the demo data is missing; returns False when it was all
    there. It commits as it goes: each document's upload claims its object key in a
    transaction of its own, which SQLite can only take while no other write is open."""
    store, settings = services.store, services.settings
    if _payment_dossier_exists(db):
        made = _seed_credentials(db, services.keys)
        return _seed_archive(db, services) or made
    for code, name, parent in DEPARTMENTS:
        if org_repository.department_by_code(db, code) is None:
            organisation.create_department(
                db, None, DepartmentIn(code=code, name=name, parent=parent)
            )
    for account in ACCOUNTS:
        if org_repository.user_by_username(db, account.username) is not None:
            continue
        organisation.create_user(
            db,
            None,
            UserIn(
                username=account.username,
                full_name=account.full_name,
                password=DEMO_PASSWORD,
                department=account.department,
                roles=list(account.roles),
            ),
        )
        if account.position_code and account.position_title:
            organisation.create_position(
                db,
                None,
                PositionIn(
                    department=account.department,
                    code=account.position_code,
                    title=account.position_title,
                    holder=account.username,
                ),
            )
    for day, name in NATIONAL_HOLIDAYS:
        if db.get(Holiday, day) is None:
            db.add(Holiday(day=day, name=name))
    db.commit()
    payment_dossier: list[str] = []
    with tempfile.TemporaryDirectory(prefix="docsvc-demo-") as tmp:
        for sample in demo_documents():
            existing = document_by_title(db, sample.title)
            if existing is not None:
                if sample.owning_department_code in PAYMENT_DOSSIER_DEPARTMENTS:
                    payment_dossier.append(str(existing.id))
                continue
            actor = _actor(db, AUTHOR_BY_DEPARTMENT[sample.owning_department_code])
            pdf = sample.pdf
            path = Path(tmp) / f"{sample.key}.pdf"
            path.write_bytes(pdf)
            upload = ReceivedFile(
                path=path,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                filename=f"{sample.key}.pdf",
                content_type="application/pdf",
            )
            out = documents.create_document(
                db,
                store,
                settings,
                actor,
                DocumentMetadataIn(
                    doc_type=DocumentType(sample.doc_type),
                    title=sample.title,
                    subject=sample.subject,
                    confidentiality=Confidentiality(sample.confidentiality),
                ),
                upload,
            )
            db.commit()
            if sample.owning_department_code in PAYMENT_DOSSIER_DEPARTMENTS:
                payment_dossier.append(str(out.id))
    _seed_payment_dossier(db, payment_dossier)
    db.commit()
    _seed_credentials(db, services.keys)
    _seed_archive(db, services)
    return True


def _seed_archive(db: Session, services: Services) -> bool:
    """The archive's scheme and table in force, signed by the demo's archivist and archive
    committee member (only where the development PKI gave them their credentials)."""
    settings = services.settings
    if not settings.dev_pki or not (settings.pki_dir / "root.pem").exists():
        return False
    return seed_archive(
        db, services, lambda name: _actor(db, name), DEMO_PIN, PAYMENT_DOSSIER_TITLE
    )


def _seed_credentials(db: Session, keys: Keyring) -> bool:
    """A development-PKI signing credential, under DEMO_PIN, for each demo official who
    has none. Returns whether any was made."""
    settings = keys.settings
    if not settings.dev_pki or not (settings.pki_dir / "root.pem").exists():
        return False
    made = False
    for account in ACCOUNTS:
        if Role.official not in account.roles:
            continue
        user = org_repository.user_by_username(db, account.username)
        if user is None or db.scalar(
            select(SigningCredential.id).where(
                SigningCredential.user_id == user.id, SigningCredential.active.is_(True)
            )
        ):
            continue
        issue_dev_credential(db, keys, user, DEMO_PIN)
        made = True
    db.commit()
    return made


PAYMENT_DOSSIER_TITLE = "Expediente de pago — Bono de Protección Social, noviembre 2026"


def _payment_dossier_exists(db: Session) -> bool:
    return db.scalar(select(Dossier.id).where(Dossier.title == PAYMENT_DOSSIER_TITLE)) is not None


def document_by_title(db: Session, title: str) -> Document | None:
    return db.scalar(select(Document).where(Document.title == title).limit(1))


def _seed_payment_dossier(db: Session, document_ids: list[str]) -> None:
    """Scenario B's dossier, owned by Social Programmes, with its documents in order."""
    actor = _actor(db, "preparador")
    dossier = dossiers.create_dossier(
        db,
        actor,
        DossierIn(
            title=PAYMENT_DOSSIER_TITLE,
            subject=(
                "Lista de beneficiarios, certificación presupuestaria y resolución de aprobación."
            ),
            confidentiality=Confidentiality.internal,
        ),
    )
    for document_id in document_ids:
        dossiers.add_document(db, actor, dossier.id, uuid.UUID(document_id))


def accounts_table() -> str:
    out = io.StringIO()
    out.write(
        f"Demo accounts (password for all: {DEMO_PASSWORD}; signing PIN of officials: {DEMO_PIN})\n"
    )
    for account in ACCOUNTS:
        roles = ",".join(r.value for r in account.roles)
        out.write(
            f"  {account.username:<13} {account.full_name:<28} {account.department:<4} {roles}\n"
        )
    return out.getvalue()
