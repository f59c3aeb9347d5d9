"""Holdings: a dossier, or a document outside any dossier, filed under a series of the
scheme's latest version by its office or an archivist. When its trigger happens (for most
series, the dossier's closing) the retention table in force gives it its dates: when it is
due for transfer to the central archive, and when its retention ends."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.classification import Scheme
from archive.phases import Phase
from archive.retention import MAX_YEARS, Rule, Trigger, rule_for, schedule
from docsvc.actors.actor import Actor
from docsvc.archival import classification, retention_tables
from docsvc.archival.schemas import HoldingOut
from docsvc.audit.service import record_event
from docsvc.calendar.local import local_date
from docsvc.config import Settings
from docsvc.documents.access import can_author
from docsvc.documents.service import readable_document
from docsvc.dossiers.service import readable_dossier
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import (
    ArchiveHolding,
    ArchivePhase,
    ClassificationNode,
    Department,
    Document,
    Dossier,
    DossierItem,
    DossierStatus,
    LegalHold,
    RetentionTable,
    Role,
)
from docsvc.register.access import READ_ALL_ROLES


def file_record(
    db: Session,
    actor: Actor,
    series_code: str,
    *,
    dossier_id: uuid.UUID | None = None,
    document_id: uuid.UUID | None = None,
) -> HoldingOut:
    """File a dossier, or a document outside any dossier, under a series or subseries of
    the latest scheme. Refiling in the office phase moves it (to another node of the latest
    version); once transferred, its filing is the archive's and stays."""
    if (dossier_id is None) == (document_id is None):
        raise InvalidInput("File a dossier or a document.", code="archive_file_one")
    version = classification.version_by_number(db, None)
    node = classification.node_row(db, version.id, series_code)
    scheme = classification.scheme_of(version)
    if not scheme.fileable(node.code):
        raise InvalidInput(
            "Records are filed under a series or a subseries.", code="archive_not_a_series"
        )
    if dossier_id is not None:
        dossier = readable_dossier(db, actor, dossier_id)
        department_id, title = dossier.owning_department_id, dossier.title
    else:
        assert document_id is not None
        document = readable_document(db, actor, document_id)
        if db.scalar(select(DossierItem.id).where(DossierItem.document_id == document_id)):
            raise Conflict(
                "A document in a dossier is filed with its dossier.",
                code="archive_in_a_dossier",
            )
        if not scheme.allows(node.code, document.doc_type):
            raise InvalidInput(
                "That series does not list this document type.", code="archive_type_not_allowed"
            )
        department_id, title = document.owning_department_id, document.title
    if not (can_author(actor, department_id) or actor.has_any(Role.archivist)):
        raise PermissionDenied(
            "Its office or an archivist files a record.", code="not_owning_department"
        )
    holding = db.scalar(
        select(ArchiveHolding).where(
            ArchiveHolding.dossier_id == dossier_id
            if dossier_id is not None
            else ArchiveHolding.document_id == document_id
        )
    )
    if holding is not None and holding.phase != ArchivePhase.office.value:
        raise Conflict("The archive holds it: its filing stays.", code="archive_transferred")
    if holding is None:
        holding = ArchiveHolding(
            dossier_id=dossier_id,
            document_id=document_id,
            node_id=node.id,
            department_id=department_id,
            phase=ArchivePhase.office.value,
            filed_by_id=actor.user_id,
        )
        db.add(holding)
        holding.on_hold = _series_held(db, node.full_code)
    else:
        holding.node_id = node.id
        # A new series may have another rule: the dates are given again.
        holding.table_id = holding.central_on = holding.disposal_on = None
        holding.disposition = None
    db.flush()
    record_leaf(
        db,
        "archive.filing",
        "dossier" if dossier_id is not None else "document",
        dossier_id or document_id,
        LeafData(
            public={"series": node.full_code, "scheme_version": version.number},
            private={"title": title, "by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        "archive.file",
        object_type="dossier" if dossier_id is not None else "document",
        object_id=str(dossier_id or document_id),
        department_id=department_id,
        details={"series": node.full_code},
    )
    return holdings_out(db, [holding])[0]


def _series_held(db: Session, full_code: str) -> bool:
    """Whether an active hold on a series covers a record filed under ``full_code``."""
    codes = db.scalars(
        select(LegalHold.series_code).where(
            LegalHold.released_at.is_(None), LegalHold.series_code.is_not(None)
        )
    )
    return any(full_code == code or full_code.startswith(f"{code}.") for code in codes if code)


def refresh_schedules(db: Session, settings: Settings) -> int:
    """Give their dates to holdings whose trigger has happened: a closed dossier's closing
    day, or the day recorded for a date or an event (or for a document's closing), starts
    its retention under the table in force. Returns how many got dates."""
    table = retention_tables.in_force(db)
    if table is None:
        return 0
    closed = db.execute(
        select(ArchiveHolding, Dossier.closed_at, ClassificationNode)
        .join(Dossier, Dossier.id == ArchiveHolding.dossier_id)
        .join(ClassificationNode, ClassificationNode.id == ArchiveHolding.node_id)
        .where(
            ArchiveHolding.phase == ArchivePhase.office.value,
            ArchiveHolding.central_on.is_(None),
            Dossier.status == DossierStatus.closed.value,
            Dossier.closed_at.is_not(None),
        )
    ).all()
    recorded = db.execute(
        select(ArchiveHolding, ClassificationNode)
        .join(ClassificationNode, ClassificationNode.id == ArchiveHolding.node_id)
        .where(
            ArchiveHolding.phase == ArchivePhase.office.value,
            ArchiveHolding.central_on.is_(None),
            ArchiveHolding.trigger_on.is_not(None),
        )
    ).all()
    if not closed and not recorded:
        return 0
    rules = RuleFinder(db, table)
    given = 0
    for holding, closed_at, node in closed:
        rule = rules.rule(node)
        if rule is not None and rule.trigger is Trigger.closing:
            _schedule(holding, table, rule, local_date(settings, closed_at))
            given += 1
    for holding, node in recorded:
        rule = rules.rule(node)
        if (
            rule is not None
            and holding.trigger_on is not None
            and counts_from_record(rule, holding)
        ):
            _schedule(holding, table, rule, holding.trigger_on)
            given += 1
    db.flush()
    return given


def counts_from_record(rule: Rule, holding: ArchiveHolding) -> bool:
    """Whether its office records the day the holding's count starts: a date or an event,
    or the closing of a document filed outside any dossier (a dossier closes itself)."""
    return rule.trigger is not Trigger.closing or holding.dossier_id is None


class RuleFinder:
    """The rule of the table in force for a node, parsing each scheme version once."""

    def __init__(self, db: Session, table: RetentionTable | None) -> None:
        self._db = db
        self._rules = retention_tables.rules_of(table) if table is not None else ()
        self._schemes: dict[uuid.UUID, Scheme] = {}

    def rule(self, node: ClassificationNode) -> Rule | None:
        if not self._rules:
            return None
        scheme = self._schemes.get(node.version_id)
        if scheme is None:
            version = classification.version_by_id(self._db, node.version_id)
            scheme = self._schemes[node.version_id] = classification.scheme_of(version)
        return _rule(self._rules, scheme, node.code)


def record_trigger(
    db: Session,
    actor: Actor,
    settings: Settings,
    holding_id: uuid.UUID,
    day: date,
    note: str,
) -> HoldingOut:
    """Record the day a holding's count starts (its office or an archivist): the date its
    series counts from, or the day its event happened (never in the future), or a
    document's closing. The table in force then gives it its dates."""
    holding = db.get(ArchiveHolding, holding_id)
    if holding is None:
        raise NotFound("The archive holds no such record.", code="holding_not_found")
    require_readable(db, actor, dossier_id=holding.dossier_id, document_id=holding.document_id)
    if not (can_author(actor, holding.department_id) or actor.has_any(Role.archivist)):
        raise PermissionDenied(
            "Its office or an archivist records its dates.", code="not_owning_department"
        )
    if holding.phase != ArchivePhase.office.value:
        raise Conflict("The archive holds it: its dates stay.", code="archive_transferred")
    node = db.get(ClassificationNode, holding.node_id)
    assert node is not None
    table = retention_tables.in_force(db)
    rule = RuleFinder(db, table).rule(node)
    if table is None or rule is None:
        raise Conflict(
            "The retention table in force has no rule for its series.", code="archive_no_rule"
        )
    if not counts_from_record(rule, holding):
        raise Conflict(
            "Its series counts from the dossier's closing.", code="archive_counts_from_closing"
        )
    today = local_date(settings)
    if rule.trigger is not Trigger.date and day > today:
        raise InvalidInput(
            "An event or a closing is recorded once it has happened.", code="archive_future_day"
        )
    if abs((day - today).days) > MAX_YEARS * 366:
        raise InvalidInput("The day is not plausible.", code="archive_bad_day")
    holding.trigger_on, holding.trigger_note = day, note.strip()[:2000]
    # Its dates from that day, under the table in force (as refresh_schedules would give).
    _schedule(holding, table, rule, day)
    db.flush()
    record_leaf(
        db,
        "archive.trigger",
        "dossier" if holding.dossier_id is not None else "document",
        holding.dossier_id or holding.document_id,
        LeafData(
            public={"trigger": rule.trigger.value, "day": day.isoformat()},
            private={
                "event": rule.trigger_event,
                "note": holding.trigger_note,
                "by": actor.username,
            },
        ),
    )
    record_event(
        db,
        actor,
        "archive.trigger",
        object_type="dossier" if holding.dossier_id is not None else "document",
        object_id=str(holding.dossier_id or holding.document_id),
        department_id=holding.department_id,
        details={"trigger": rule.trigger.value, "day": day.isoformat()},
    )
    return holdings_out(db, [holding])[0]


def _rule(rules: tuple[Rule, ...], scheme: Scheme, code: str) -> Rule | None:
    if not scheme.fileable(code):
        return None
    return rule_for(rules, scheme, code)


def _schedule(holding: ArchiveHolding, table: RetentionTable, rule: Rule, starts: date) -> None:
    dates = schedule(rule, starts)
    holding.starts_on = dates.starts_on
    holding.central_on = dates.central_on
    holding.disposal_on = dates.disposal_on
    holding.disposition = dates.disposition.value
    holding.table_id = table.id


def due_for_transfer(
    db: Session, actor: Actor, settings: Settings, department_code: str | None = None
) -> list[HoldingOut]:
    """What an office must transfer to the central archive by today (primary transfer):
    its own, or any office's for the archive and those who read every department."""
    refresh_schedules(db, settings)
    query = select(ArchiveHolding).where(
        ArchiveHolding.phase == ArchivePhase.office.value,
        ArchiveHolding.central_on <= local_date(settings),
    )
    if actor.roles & READ_ALL_ROLES:
        if department_code:
            query = query.join(Department, Department.id == ArchiveHolding.department_id).where(
                Department.code == department_code
            )
    else:
        query = query.where(ArchiveHolding.department_id == actor.department_id)
    rows = list(db.scalars(query.order_by(ArchiveHolding.central_on).limit(1000)))
    return holdings_out(db, rows)


def require_readable(
    db: Session,
    actor: Actor,
    *,
    dossier_id: uuid.UUID | None = None,
    document_id: uuid.UUID | None = None,
) -> None:
    """NotFound unless the actor may read the record asked about."""
    if (dossier_id is None) == (document_id is None):
        raise InvalidInput("Ask about a dossier or a document.", code="archive_file_one")
    if dossier_id is not None:
        readable_dossier(db, actor, dossier_id)
    else:
        assert document_id is not None
        readable_document(db, actor, document_id)


def readable_holding(
    db: Session,
    actor: Actor,
    *,
    dossier_id: uuid.UUID | None = None,
    document_id: uuid.UUID | None = None,
) -> HoldingOut:
    """The filing of a record the actor may read; NotFound if it is not filed."""
    require_readable(db, actor, dossier_id=dossier_id, document_id=document_id)
    holding = holding_of(db, dossier_id=dossier_id, document_id=document_id)
    if holding is None:
        raise NotFound("The archive holds no such record.", code="holding_not_found")
    return holding


def holding_of(
    db: Session, *, dossier_id: uuid.UUID | None = None, document_id: uuid.UUID | None = None
) -> HoldingOut | None:
    row = db.scalar(
        select(ArchiveHolding).where(
            ArchiveHolding.dossier_id == dossier_id
            if dossier_id is not None
            else ArchiveHolding.document_id == document_id
        )
    )
    return holdings_out(db, [row])[0] if row is not None else None


def holdings_out(db: Session, rows: list[ArchiveHolding]) -> list[HoldingOut]:
    if not rows:
        return []
    nodes = {
        n.id: n
        for n in db.scalars(
            select(ClassificationNode).where(ClassificationNode.id.in_({r.node_id for r in rows}))
        )
    }
    dossier_titles = {
        row.id: row.title
        for row in db.execute(
            select(Dossier.id, Dossier.title).where(
                Dossier.id.in_({r.dossier_id for r in rows if r.dossier_id})
            )
        )
    }
    document_titles = {
        row.id: row.title
        for row in db.execute(
            select(Document.id, Document.title).where(
                Document.id.in_({r.document_id for r in rows if r.document_id})
            )
        )
    }
    departments = {row.id: row.code for row in db.execute(select(Department.id, Department.code))}
    tables = {
        row.id: row.number for row in db.execute(select(RetentionTable.id, RetentionTable.number))
    }
    rules = RuleFinder(db, retention_tables.in_force(db))
    shown = []
    for row in rows:
        node = nodes[row.node_id]
        rule = rules.rule(node)
        shown.append(
            HoldingOut(
                id=row.id,
                dossier_id=row.dossier_id,
                document_id=row.document_id,
                title=(
                    dossier_titles.get(row.dossier_id, "")
                    if row.dossier_id
                    else document_titles.get(row.document_id, "")
                    if row.document_id
                    else ""
                ),
                series_code=node.full_code,
                series_name=node.name,
                department=departments.get(row.department_id, ""),
                phase=row.phase,
                starts_on=row.starts_on,
                central_on=row.central_on,
                disposal_on=row.disposal_on,
                disposition=row.disposition,
                table_number=tables.get(row.table_id) if row.table_id else None,
                on_hold=row.on_hold,
                trigger=rule.trigger.value if rule is not None else None,
                trigger_event=rule.trigger_event if rule is not None else "",
                trigger_on=row.trigger_on,
                trigger_note=row.trigger_note,
            )
        )
    return shown


PHASES = tuple(phase.value for phase in Phase)
