"""The classification scheme (cuadro de clasificación documental): each import is a new
version, kept byte for byte, with its nodes as rows that records are filed under. A new
version never rewrites an old one, so what was filed stays where it was filed."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.classification import (
    Scheme,
    scheme_from_csv,
    scheme_from_json,
    scheme_to_csv,
    scheme_to_json,
)
from archive.errors import ArchiveError
from docsvc.actors.actor import Actor
from docsvc.archival.schemas import NodeOut, SchemeVersionOut
from docsvc.audit.service import record_event
from docsvc.errors import InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import ClassificationNode, ClassificationVersion, Role, User

FORMATS = ("csv", "json")


def require_archivist(actor: Actor) -> None:
    if not actor.has_any(Role.archivist):
        raise PermissionDenied("Only archivists manage the archive.", code="not_an_archivist")


def invalid(exc: ArchiveError) -> InvalidInput:
    """A rule of the archive library broken by what was sent: a 400 with its code."""
    return InvalidInput(str(exc), code=f"archive_{exc.code}")


def parse_scheme(content: bytes, fmt: str) -> Scheme:
    if fmt not in FORMATS:
        raise InvalidInput("The scheme is imported as CSV or JSON.", code="archive_bad_format")
    try:
        if fmt == "json":
            return scheme_from_json(content)
        return scheme_from_csv(content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidInput("The CSV file is not UTF-8 text.", code="archive_bad_csv") from exc
    except ArchiveError as exc:
        raise invalid(exc) from exc


def import_scheme(
    db: Session, actor: Actor, content: bytes, fmt: str, note: str = ""
) -> SchemeVersionOut:
    """A new version of the scheme from a CSV or JSON file (archivists only)."""
    require_archivist(actor)
    scheme = parse_scheme(content, fmt)
    return save_scheme(db, actor, scheme, note)


def save_scheme(db: Session, actor: Actor, scheme: Scheme, note: str) -> SchemeVersionOut:
    """Keep ``scheme`` as the next version (the import's, and the demo's, last step)."""
    data = scheme_to_json(scheme)
    number = (db.scalar(select(func.max(ClassificationVersion.number))) or 0) + 1
    version = ClassificationVersion(
        number=number,
        scheme=data,
        sha256=hashlib.sha256(data).hexdigest(),
        note=note.strip(),
        created_by_id=actor.user_id,
    )
    db.add(version)
    db.flush()
    for position, node in enumerate(scheme.nodes):
        db.add(
            ClassificationNode(
                version_id=version.id,
                code=node.code,
                full_code=scheme.full_code(node.code),
                name=node.name,
                level=node.level.value,
                parent_code=node.parent,
                document_types=";".join(node.document_types),
                position=position,
            )
        )
    db.flush()
    record_leaf(
        db,
        "archive.classification",
        "classification",
        version.id,
        LeafData(
            public={"version": number, "sha256": version.sha256, "nodes": len(scheme.nodes)},
            private={"note": version.note, "by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        "archive.classification.import",
        object_type="classification",
        object_id=str(version.id),
        details={"version": number, "nodes": len(scheme.nodes)},
    )
    return version_out(db, version)


def current(db: Session) -> ClassificationVersion | None:
    """The latest version: the one records are filed under from now on."""
    return db.scalar(
        select(ClassificationVersion).order_by(ClassificationVersion.number.desc()).limit(1)
    )


def version_by_number(db: Session, number: int | None) -> ClassificationVersion:
    version = (
        current(db)
        if number is None
        else db.scalar(select(ClassificationVersion).where(ClassificationVersion.number == number))
    )
    if version is None:
        raise NotFound("No classification scheme yet.", code="scheme_not_found")
    return version


def version_by_id(db: Session, version_id: uuid.UUID) -> ClassificationVersion:
    version = db.get(ClassificationVersion, version_id)
    if version is None:
        raise NotFound("No such scheme version.", code="scheme_not_found")
    return version


def scheme_of(version: ClassificationVersion) -> Scheme:
    return scheme_from_json(version.scheme)


def versions(db: Session) -> list[ClassificationVersion]:
    return list(
        db.scalars(select(ClassificationVersion).order_by(ClassificationVersion.number.desc()))
    )


def export_scheme(version: ClassificationVersion, fmt: str) -> tuple[bytes, str]:
    """The version's scheme as a file, and its media type."""
    scheme = scheme_of(version)
    if fmt == "json":
        return scheme_to_json(scheme), "application/json"
    if fmt == "csv":
        return scheme_to_csv(scheme).encode("utf-8"), "text/csv; charset=utf-8"
    raise InvalidInput("The scheme is exported as CSV or JSON.", code="archive_bad_format")


def node_row(db: Session, version_id: uuid.UUID, code: str) -> ClassificationNode:
    row = db.scalar(
        select(ClassificationNode).where(
            ClassificationNode.version_id == version_id, ClassificationNode.code == code
        )
    )
    if row is None:
        raise NotFound(f"No node {code!r} in the scheme.", code="node_not_found")
    return row


def node_out(row: ClassificationNode) -> NodeOut:
    return NodeOut(
        code=row.code,
        full_code=row.full_code,
        name=row.name,
        level=row.level,
        parent=row.parent_code,
        document_types=[t for t in row.document_types.split(";") if t],
    )


def version_out(db: Session, version: ClassificationVersion) -> SchemeVersionOut:
    rows = db.scalars(
        select(ClassificationNode)
        .where(ClassificationNode.version_id == version.id)
        .order_by(ClassificationNode.position)
    )
    return SchemeVersionOut(
        id=version.id,
        number=version.number,
        sha256=version.sha256,
        note=version.note,
        created_by=db.scalar(select(User.username).where(User.id == version.created_by_id)) or "",
        created_at=version.created_at,
        nodes=[node_out(row) for row in rows],
    )
