"""Retention tables (tablas de retención documental): an archivist drafts one for the
scheme's latest version; the archive committee approves it; it is put in force from a date
(superseding the one in force); each step is a record signed by whoever took it, and a
register leaf. The rules are kept byte for byte as canonical JSON: what was approved is what
applies."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.errors import ArchiveError
from archive.retention import (
    Rule,
    TableState,
    check_rules,
    next_state,
    rules_from_csv,
    rules_from_json,
    rules_to_csv,
    rules_to_json,
)
from docsvc.actors.actor import Actor
from docsvc.archival import classification
from docsvc.archival.schemas import RuleOut, StepOut, TableOut
from docsvc.audit.service import record_event
from docsvc.calendar.local import local_date
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import (
    ClassificationVersion,
    RetentionStep,
    RetentionTable,
    Role,
    User,
)
from docsvc.services import Services
from docsvc.signatures import service as signatures
from transparency.leaves import canonical

RECORD_TYPE = "docsvc.archive.retention_step"
# Who may take each step: the committee approves; the archivist or the committee puts a
# table in force (a second person after the archivist who drafted it).
STEP_ROLES: dict[TableState, tuple[Role, ...]] = {
    TableState.approved: (Role.archive_committee,),
    TableState.in_force: (Role.archivist, Role.archive_committee),
}


def parse_rules(content: bytes, fmt: str) -> list[Rule]:
    if fmt not in classification.FORMATS:
        raise InvalidInput("The rules are imported as CSV or JSON.", code="archive_bad_format")
    try:
        if fmt == "json":
            return list(rules_from_json(content))
        return list(rules_from_csv(content.decode("utf-8-sig")))
    except UnicodeDecodeError as exc:
        raise InvalidInput("The CSV file is not UTF-8 text.", code="archive_bad_csv") from exc
    except ArchiveError as exc:
        raise classification.invalid(exc) from exc


def draft_table(db: Session, actor: Actor, content: bytes, fmt: str, note: str = "") -> TableOut:
    """A draft table for the scheme's latest version, from a CSV or JSON file."""
    classification.require_archivist(actor)
    return save_draft(db, actor, parse_rules(content, fmt), note)


def save_draft(db: Session, actor: Actor, rules: list[Rule], note: str) -> TableOut:
    """Keep ``rules`` as the next draft (the import's, and the demo's, last step)."""
    version = classification.version_by_number(db, None)
    try:
        checked = check_rules(rules, classification.scheme_of(version))
    except ArchiveError as exc:
        raise classification.invalid(exc) from exc
    data = rules_to_json(checked)
    number = (db.scalar(select(func.max(RetentionTable.number))) or 0) + 1
    table = RetentionTable(
        number=number,
        classification_version_id=version.id,
        state=TableState.draft.value,
        rules=data,
        sha256=hashlib.sha256(data).hexdigest(),
        note=note.strip(),
        created_by_id=actor.user_id,
    )
    db.add(table)
    db.flush()
    record_leaf(
        db,
        "archive.retention_table",
        "retention_table",
        table.id,
        LeafData(
            public={"table": number, "state": TableState.draft.value, "rules_sha256": table.sha256},
            private={"note": table.note, "by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        "archive.retention.draft",
        object_type="retention_table",
        object_id=str(table.id),
        details={"table": number, "rules": len(checked)},
    )
    return table_out(db, table)


def _table(db: Session, table_id: uuid.UUID) -> RetentionTable:
    table = db.get(RetentionTable, table_id)
    if table is None:
        raise NotFound("No such retention table.", code="retention_table_not_found")
    return table


def advance(
    db: Session,
    services: Services,
    actor: Actor,
    table_id: uuid.UUID,
    wanted: str,
    pin: str | None,
    in_force_from: date | None = None,
) -> TableOut:
    """Move a table to its next state, signed by ``actor``: approved by the committee, then
    in force from a date (the table in force until then is superseded, in the same signed
    step)."""
    try:
        target = TableState(wanted)
    except ValueError as exc:
        raise InvalidInput(f"No state {wanted!r}.", code="archive_bad_transition") from exc
    roles = STEP_ROLES.get(target)
    if roles is None:
        raise InvalidInput(
            "A table is approved, then put in force; it is superseded by the next one.",
            code="archive_bad_transition",
        )
    if not actor.has_any(*roles):
        raise PermissionDenied(
            "The archive committee approves a table; an archivist or the committee puts it "
            "in force.",
            code="not_archive_committee" if target is TableState.approved else "not_an_archivist",
        )
    table = _table(db, table_id)
    try:
        next_state(TableState(table.state), target)
    except ArchiveError as exc:
        raise Conflict(str(exc), code=f"archive_{exc.code}") from exc
    if target is TableState.approved and table.created_by_id == actor.user_id:
        raise Conflict("Whoever drafted a table does not approve it.", code="archive_same_person")
    previous = (
        db.scalar(select(RetentionTable).where(RetentionTable.state == TableState.in_force.value))
        if target is TableState.in_force
        else None
    )
    if previous is not None and previous.id == table.id:
        previous = None
    starts = in_force_from or local_date(services.settings)
    record: dict[str, object] = {
        "type": RECORD_TYPE,
        "version": 1,
        "institution": services.settings.institution_code,
        "table": table.number,
        "rules_sha256": table.sha256,
        "scheme_version": _scheme_number(db, table),
        "state": target.value,
        "by": actor.username,
        "at": utcnow().isoformat(),
    }
    if target is TableState.in_force:
        record["in_force_from"] = starts.isoformat()
        record["supersedes"] = previous.number if previous is not None else None
    data = canonical(record)
    signature, level = signatures.sign_record_as(db, services, actor, data, pin)
    table.state = target.value
    if target is TableState.in_force:
        table.in_force_from = starts
    db.add(
        RetentionStep(
            table_id=table.id,
            state=target.value,
            user_id=actor.user_id,
            record=data,
            signature=signature,
            signature_level=level.value,
        )
    )
    if previous is not None:
        previous.state = TableState.superseded.value
        db.add(
            RetentionStep(
                table_id=previous.id,
                state=TableState.superseded.value,
                user_id=actor.user_id,
                record=data,
                signature=signature,
                signature_level=level.value,
            )
        )
    record_leaf(
        db,
        "archive.retention_table",
        "retention_table",
        table.id,
        LeafData(
            public={
                "table": table.number,
                "state": target.value,
                "rules_sha256": table.sha256,
                "record_sha256": hashlib.sha256(data).hexdigest(),
                "signature_sha256": hashlib.sha256(signature).hexdigest(),
                "supersedes": previous.number if previous is not None else None,
            },
            private={"by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        f"archive.retention.{target.value}",
        object_type="retention_table",
        object_id=str(table.id),
        details={"table": table.number},
    )
    db.flush()
    return table_out(db, table)


def in_force(db: Session) -> RetentionTable | None:
    return db.scalar(
        select(RetentionTable).where(RetentionTable.state == TableState.in_force.value)
    )


def rules_of(table: RetentionTable) -> tuple[Rule, ...]:
    return tuple(rules_from_json(table.rules))


def tables(db: Session) -> list[RetentionTable]:
    return list(db.scalars(select(RetentionTable).order_by(RetentionTable.number.desc())))


def table_by_id(db: Session, table_id: uuid.UUID) -> RetentionTable:
    return _table(db, table_id)


def export_rules(table: RetentionTable, fmt: str) -> tuple[bytes, str]:
    rules = rules_of(table)
    if fmt == "json":
        return rules_to_json(rules), "application/json"
    if fmt == "csv":
        return rules_to_csv(rules).encode("utf-8"), "text/csv; charset=utf-8"
    raise InvalidInput("The rules are exported as CSV or JSON.", code="archive_bad_format")


def _scheme_number(db: Session, table: RetentionTable) -> int:
    return (
        db.scalar(
            select(ClassificationVersion.number).where(
                ClassificationVersion.id == table.classification_version_id
            )
        )
        or 0
    )


def table_out(db: Session, table: RetentionTable) -> TableOut:
    version = db.get(ClassificationVersion, table.classification_version_id)
    assert version is not None
    scheme = classification.scheme_of(version)
    names = {node.code: node.name for node in scheme.nodes}
    people = {row.id: row.username for row in db.execute(select(User.id, User.username))}
    steps = db.scalars(
        select(RetentionStep).where(RetentionStep.table_id == table.id).order_by(RetentionStep.at)
    )
    return TableOut(
        id=table.id,
        number=table.number,
        state=table.state,
        scheme_version=version.number,
        sha256=table.sha256,
        note=table.note,
        created_by=people.get(table.created_by_id, ""),
        created_at=table.created_at,
        in_force_from=table.in_force_from,
        rules=[
            RuleOut(
                series_code=rule.series_code,
                series_name=names.get(rule.series_code, ""),
                office_years=rule.office_years,
                central_years=rule.central_years,
                disposition=rule.disposition.value,
                trigger=rule.trigger.value,
                trigger_event=rule.trigger_event,
                legal_basis=rule.legal_basis,
                procedure=rule.procedure,
            )
            for rule in rules_of(table)
        ],
        steps=[
            StepOut(
                state=step.state,
                by=people.get(step.user_id, ""),
                at=step.at,
                signature_level=step.signature_level,
                record_sha256=hashlib.sha256(step.record).hexdigest(),
            )
            for step in steps
        ],
    )
