"""The figures the control boards show, aggregated from the register, the transfers, the
signing lines and the signatures: counts and medians only, never a title.

Each reader sees her own scope (``board_scope``): an official her department; auditors,
administrators, archivists and the head office (a department with no parent: the
minister's office) the whole institution, or one department they choose. A date range
narrows every figure to what happened in it.

Months and days are the institution's (``DOCSVC_TIMEZONE``). Rows are grouped here
rather than in SQL, so that SQLite and PostgreSQL give the same months; the queries read
only the window shown (twelve months by default).
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.calendar.local import local_date
from docsvc.config import Settings
from docsvc.errors import InvalidInput, PermissionDenied
from docsvc.models import Department, Position, RegisterEntry, SignatureRecord, User
from docsvc.models.signing_lines import (
    LineStatus,
    SignerStatus,
    SigningLine,
    SigningStep,
    StepSigner,
)
from docsvc.models.transfers import Receipt, Transfer
from docsvc.register.access import READ_ALL_ROLES
from docsvc.transfers.answers import answers_of

# The longest window a board shows, in months.
MAX_MONTHS = 24


@dataclass(frozen=True, slots=True)
class Scope:
    """What a board covers: some departments (None: the whole institution) and days."""

    department_ids: frozenset[uuid.UUID] | None
    department_code: str | None  # the one chosen, if any
    since: date | None
    until: date | None
    institution_wide: bool  # whether the reader may choose any department


@dataclass(frozen=True, slots=True)
class MonthlyVolumes:
    months: tuple[str, ...]  # "2026-11", oldest first
    departments: tuple[str, ...]
    # (department, month) -> register entries
    counts: dict[tuple[str, str], int]

    def total(self, month: str) -> int:
        return sum(n for (_, m), n in self.counts.items() if m == month)


@dataclass(frozen=True, slots=True)
class Dashboard:
    scope: Scope
    volumes: MonthlyVolumes
    # department -> (median seconds from sending to the signed receipt, transfers counted)
    response_seconds: dict[str, tuple[float, int]]
    # department -> open transfers past their due date
    overdue: dict[str, int]
    # official -> signature steps waiting for her past their deadline
    overdue_signatures: tuple[tuple[str, int], ...]
    # official -> signatures, most first
    signatures: tuple[tuple[str, int], ...]


def _head_office(db: Session, department_id: uuid.UUID) -> bool:
    department = db.get(Department, department_id)
    return department is not None and department.parent_id is None


def board_scope(
    db: Session,
    actor: Actor,
    *,
    department: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Scope:
    """The reader's scope, narrowed to ``department`` and the days from ``since`` to
    ``until`` (inclusive) when given."""
    if since is not None and until is not None and until < since:
        raise InvalidInput("The end date is before the start date.", code="dates_reversed")
    wide = bool(actor.roles & READ_ALL_ROLES) or _head_office(db, actor.department_id)
    chosen: Department | None = None
    if department:
        chosen = db.scalar(select(Department).where(Department.code == department))
        if chosen is None:
            raise InvalidInput("No such department.", code="department_not_found")
        if chosen.id != actor.department_id and not wide:
            raise PermissionDenied(
                "You see your own department's figures.", code="other_department"
            )
    if chosen is not None:
        ids: frozenset[uuid.UUID] | None = frozenset({chosen.id})
    else:
        ids = None if wide else frozenset({actor.department_id})
    code = chosen.code if chosen is not None else None
    if code is None and not wide:
        own = db.get(Department, actor.department_id)
        code = own.code if own is not None else None
    return Scope(ids, code, since, until, wide)


def _in(column: Any, ids: frozenset[uuid.UUID] | None) -> ColumnElement[bool]:
    return column.in_(ids) if ids is not None else and_(True)


def _moment(day: date, settings: Settings, *, end: bool = False) -> datetime:
    clock = time.max if end else time.min
    return datetime.combine(day, clock, tzinfo=ZoneInfo(settings.timezone)).astimezone(UTC)


def _between(column: Any, scope: Scope, settings: Settings) -> ColumnElement[bool]:
    conditions = []
    if scope.since is not None:
        conditions.append(column >= _moment(scope.since, settings))
    if scope.until is not None:
        conditions.append(column <= _moment(scope.until, settings, end=True))
    return and_(True, *conditions)


def _month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


def _months(settings: Settings, scope: Scope, count: int = 12) -> tuple[str, ...]:
    """The months shown: those of the range (up to ``MAX_MONTHS``), else the last
    ``count`` up to this one."""
    last = scope.until or local_date(settings)
    year, month = _month_of(last)
    first = _month_of(scope.since) if scope.since is not None else None
    limit = MAX_MONTHS if first is not None else count
    out: list[str] = []
    while len(out) < limit:
        out.append(f"{year:04d}-{month:02d}")
        if first is not None and (year, month) <= first:
            break
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return tuple(reversed(out))


def _local_month(settings: Settings, moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m")


def monthly_volumes(db: Session, settings: Settings, scope: Scope) -> MonthlyVolumes:
    shown = _months(settings, scope)
    window = _between(RegisterEntry.registered_at, scope, settings)
    if scope.since is None:
        since = datetime.now(UTC) - timedelta(days=31 * len(shown) + 1)
        window = and_(window, RegisterEntry.registered_at >= since)
    counts: Counter[tuple[str, str]] = Counter()
    rows = db.execute(
        select(Department.code, RegisterEntry.registered_at)
        .join(Department, Department.id == RegisterEntry.department_id)
        .where(
            RegisterEntry.annulled_at.is_(None),
            _in(RegisterEntry.department_id, scope.department_ids),
            window,
        )
    )
    for code, at in rows:
        month = _local_month(settings, at)
        if month in shown:
            counts[(code, month)] += 1
    departments = tuple(sorted({code for code, _ in counts}))
    return MonthlyVolumes(shown, departments, dict(counts))


def response_seconds(db: Session, settings: Settings, scope: Scope) -> dict[str, tuple[float, int]]:
    """Per receiving department: the median time from sending to the signed receipt
    (acknowledged or returned), over the transfers sent in the range."""
    waits: dict[str, list[float]] = defaultdict(list)
    rows = db.execute(
        select(Department.code, Transfer.created_at, Receipt.created_at)
        .join(Receipt, Receipt.transfer_id == Transfer.id)
        .join(Department, Department.id == Transfer.to_department_id)
        .where(
            _in(Transfer.to_department_id, scope.department_ids),
            _between(Transfer.created_at, scope, settings),
        )
    )
    for code, sent, answered in rows:
        waits[code].append(max(0.0, (answered - sent).total_seconds()))
    return {code: (statistics.median(spans), len(spans)) for code, spans in sorted(waits.items())}


def overdue_by_department(db: Session, settings: Settings, scope: Scope) -> dict[str, int]:
    today = local_date(settings)
    counts: Counter[str] = Counter()
    rows = db.execute(
        select(Transfer, Department.code)
        .join(Department, Department.id == Transfer.to_department_id)
        .where(Transfer.due_on < today, _in(Transfer.to_department_id, scope.department_ids))
    )
    listed = [(transfer, code) for transfer, code in rows]
    answers = answers_of(db, [transfer for transfer, _ in listed])
    for transfer, code in listed:
        if answers.is_open(transfer):
            counts[code] += 1
    return dict(sorted(counts.items()))


def _names(db: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.execute(
        select(User.id, User.full_name, User.department_id).where(User.id.in_(wanted))
    )
    return {user_id: (name, department) for user_id, name, department in rows}


def overdue_signatures(db: Session, scope: Scope) -> tuple[tuple[str, int], ...]:
    """Per official: the signatures a line waits for from her (named, or holding the
    position named) in its current step, past that step's deadline."""
    now = datetime.now(UTC)
    rows = db.execute(
        select(StepSigner.user_id, Position.holder_id)
        .join(SigningStep, SigningStep.id == StepSigner.step_id)
        .join(SigningLine, SigningLine.id == SigningStep.line_id)
        .outerjoin(Position, Position.id == StepSigner.position_id)
        .where(
            SigningLine.status == LineStatus.in_signature.value,
            SigningStep.position == SigningLine.current_step,
            SigningStep.deadline.is_not(None),
            SigningStep.deadline < now,
            StepSigner.status == SignerStatus.pending.value,
        )
    ).all()
    owed: list[uuid.UUID] = [who for user, holder in rows if (who := user or holder)]
    names = _names(db, owed)
    counts: Counter[str] = Counter()
    for user_id in owed:
        if user_id not in names:
            continue
        name, department = names[user_id]
        if scope.department_ids is None or department in scope.department_ids:
            counts[name] += 1
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def signatures_per_official(
    db: Session, settings: Settings, scope: Scope, limit: int = 20
) -> tuple[tuple[str, int], ...]:
    count = func.count(SignatureRecord.id)
    rows = db.execute(
        select(User.full_name, count)
        .join(User, User.id == SignatureRecord.signer_id)
        .where(
            _in(User.department_id, scope.department_ids),
            _between(SignatureRecord.signed_at, scope, settings),
        )
        .group_by(User.full_name)
        .order_by(count.desc(), User.full_name)
        .limit(limit)
    )
    return tuple((name, int(n)) for name, n in rows)


def dashboard(db: Session, settings: Settings, scope: Scope) -> Dashboard:
    return Dashboard(
        scope=scope,
        volumes=monthly_volumes(db, settings, scope),
        response_seconds=response_seconds(db, settings, scope),
        overdue=overdue_by_department(db, settings, scope),
        overdue_signatures=overdue_signatures(db, scope),
        signatures=signatures_per_official(db, settings, scope),
    )


def csv_rows(board: Dashboard) -> list[tuple[str, str, str, str]]:
    """Every figure as (figure, department or official, month, value): what the CSV
    export holds, in numbers a spreadsheet reads (seconds, counts)."""
    rows: list[tuple[str, str, str, str]] = []
    for (code, month), count in sorted(board.volumes.counts.items()):
        rows.append(("register_entries", code, month, str(count)))
    for code, (seconds, counted) in board.response_seconds.items():
        rows.append(("median_receipt_seconds", code, "", f"{seconds:.0f}"))
        rows.append(("receipts_counted", code, "", str(counted)))
    for code, count in board.overdue.items():
        rows.append(("overdue_transfers", code, "", str(count)))
    for name, count in board.overdue_signatures:
        rows.append(("overdue_signatures", name, "", str(count)))
    for name, count in board.signatures:
        rows.append(("signatures", name, "", str(count)))
    return rows
