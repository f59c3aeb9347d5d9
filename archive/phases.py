"""The phases of the archive's life cycle (ciclo vital del documento) and which records
are due to leave the one they are in.

A record starts in the office archive (archivo de gestión); its primary transfer takes it
to the central archive; from there its final disposition either takes it to the
historical archive (a secondary transfer) or disposes of it. What is due is computed
from the retention table, the record's trigger date and today; nothing here moves a
record, which is the service's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from archive.classification import Scheme
from archive.errors import TransitionError
from archive.retention import Rule, Schedule, rules_by_series, schedule


class Phase(StrEnum):
    office = "office"  # archivo de gestión
    central = "central"  # archivo central
    historical = "historical"  # archivo histórico: kept for good, final
    disposed = "disposed"  # eliminated, sampled out: final


_MOVES: Final = frozenset(
    {
        (Phase.office, Phase.central),  # primary transfer
        (Phase.central, Phase.historical),  # secondary transfer
        (Phase.central, Phase.disposed),  # disposal at the end of retention
    }
)


def next_phase(current: Phase, to: Phase) -> Phase:
    """``to`` if a record may move there from ``current``; the historical archive and
    disposal are final, and no phase is skipped."""
    if (current, to) not in _MOVES:
        raise TransitionError("bad_phase", f"a record cannot move from {current} to {to}")
    return Phase(to)


@dataclass(frozen=True, slots=True)
class Holding:
    """A record (a dossier or a filed item) as the life cycle sees it."""

    item_id: str
    series_code: str
    phase: Phase
    # The trigger's date: the closing, the date recorded on the item or the event's.
    # None while it has not happened, and then nothing is ever due.
    starts_on: date | None
    # Under a legal hold (or a request, an audit): never selected for disposal.
    held: bool = False


def due_for_transfer(
    holdings: Iterable[Holding], rules: Sequence[Rule], scheme: Scheme, today: date
) -> list[tuple[Holding, Schedule]]:
    """Office-archive holdings whose primary transfer is due by ``today``, with their
    schedules, soonest first (ties in the order given). A holding without a rule or a
    trigger date is never due. A held holding is still transferred: a hold stops
    destruction, not custody."""
    plan = _Planner(rules, scheme)
    due: list[tuple[Holding, Schedule]] = []
    for holding in holdings:
        if holding.phase != Phase.office or holding.starts_on is None:
            continue
        dates = plan.schedule(holding.series_code, holding.starts_on)
        if dates is not None and dates.central_on <= today:
            due.append((holding, dates))
    due.sort(key=lambda pair: pair[1].central_on)
    return due


def due_for_disposal(
    holdings: Iterable[Holding], rules: Sequence[Rule], scheme: Scheme, today: date
) -> list[tuple[Holding, Schedule]]:
    """Central-archive holdings whose final disposition is due by ``today``, with their
    schedules, soonest first (ties in the order given); ``Schedule.disposition`` says
    which (``keep`` is a secondary transfer). A held holding is never selected."""
    plan = _Planner(rules, scheme)
    due: list[tuple[Holding, Schedule]] = []
    for holding in holdings:
        if holding.phase != Phase.central or holding.held or holding.starts_on is None:
            continue
        dates = plan.schedule(holding.series_code, holding.starts_on)
        if dates is not None and dates.disposal_on <= today:
            due.append((holding, dates))
    due.sort(key=lambda pair: pair[1].disposal_on)
    return due


class _Planner:
    """Schedules for one call: the rule of each series looked up once, and each
    (series, date) schedule computed once, since a large archive has many records per
    series and per closing date."""

    __slots__ = ("_rules", "_schedules")

    def __init__(self, rules: Sequence[Rule], scheme: Scheme) -> None:
        self._rules = rules_by_series(rules, scheme)
        self._schedules: dict[tuple[str, date], Schedule | None] = {}

    def schedule(self, series_code: str, starts_on: date) -> Schedule | None:
        key = (series_code, starts_on)
        try:
            return self._schedules[key]
        except KeyError:
            rule = self._rules.get(series_code)
            dates = None if rule is None else schedule(rule, starts_on)
            self._schedules[key] = dates
            return dates
