"""The figures the control boards show, aggregated from the register, the transfers and
the signatures: counts and medians only, never a title, so any signed-in member of staff
may see them.

Months and "today" are the institution's (``DOCSVC_TIMEZONE``). Rows are grouped here
rather than in SQL, so that SQLite and PostgreSQL give the same months; the queries read
only the window shown (twelve months by default).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docsvc.calendar.local import local_date
from docsvc.config import Settings
from docsvc.models import Department, RegisterEntry, SignatureRecord, User
from docsvc.models.transfers import Receipt, Transfer
from docsvc.transfers.service import is_open


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
    volumes: MonthlyVolumes
    # department -> (median hours from sending to the signed receipt, transfers counted)
    response_hours: dict[str, tuple[float, int]]
    # department -> open transfers past their due date
    overdue: dict[str, int]
    # official -> signatures, most first
    signatures: tuple[tuple[str, int], ...]


def _months(settings: Settings, count: int) -> tuple[str, ...]:
    today = local_date(settings)
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return tuple(reversed(out))


def _local_month(settings: Settings, moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m")


def monthly_volumes(db: Session, settings: Settings, months: int = 12) -> MonthlyVolumes:
    shown = _months(settings, months)
    since = datetime.now(UTC) - timedelta(days=31 * months + 1)
    counts: Counter[tuple[str, str]] = Counter()
    rows = db.execute(
        select(Department.code, RegisterEntry.registered_at)
        .join(Department, Department.id == RegisterEntry.department_id)
        .where(RegisterEntry.registered_at >= since, RegisterEntry.annulled_at.is_(None))
    )
    for code, at in rows:
        month = _local_month(settings, at)
        if month in shown:
            counts[(code, month)] += 1
    departments = tuple(sorted({code for code, _ in counts}))
    return MonthlyVolumes(shown, departments, dict(counts))


def response_hours(db: Session) -> dict[str, tuple[float, int]]:
    waits: dict[str, list[float]] = defaultdict(list)
    rows = db.execute(
        select(Department.code, Transfer.created_at, Receipt.created_at)
        .join(Receipt, Receipt.transfer_id == Transfer.id)
        .join(Department, Department.id == Transfer.to_department_id)
    )
    for code, sent, answered in rows:
        waits[code].append((answered - sent).total_seconds() / 3600)
    return {code: (statistics.median(hours), len(hours)) for code, hours in sorted(waits.items())}


def overdue_by_department(db: Session, settings: Settings) -> dict[str, int]:
    today = local_date(settings)
    counts: Counter[str] = Counter()
    rows = db.execute(
        select(Transfer, Department.code)
        .join(Department, Department.id == Transfer.to_department_id)
        .where(Transfer.due_on < today)
    )
    for transfer, code in rows:
        if is_open(db, transfer):
            counts[code] += 1
    return dict(sorted(counts.items()))


def signatures_per_official(db: Session, limit: int = 20) -> tuple[tuple[str, int], ...]:
    count = func.count(SignatureRecord.id)
    rows = db.execute(
        select(User.full_name, count)
        .join(User, User.id == SignatureRecord.signer_id)
        .group_by(User.full_name)
        .order_by(count.desc(), User.full_name)
        .limit(limit)
    )
    return tuple((name, int(n)) for name, n in rows)


def dashboard(db: Session, settings: Settings) -> Dashboard:
    return Dashboard(
        volumes=monthly_volumes(db, settings),
        response_hours=response_hours(db),
        overdue=overdue_by_department(db, settings),
        signatures=signatures_per_official(db),
    )
