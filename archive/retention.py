"""The retention table (tabla de retención documental, TRD): for each series, how many
years its records stay in the office archive and then in the central archive, what
happens to them at the end (their disposición final), and what starts the count.

A ``Rule`` is valid by construction; ``check_rules`` checks a whole table against the
scheme it belongs to. The table's own life (draft, approved, in force, superseded) is
``TableState`` and ``next_state``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from archive.classification import Level, Node, Scheme
from archive.errors import RetentionError, TransitionError
from archive.text_formats import JsonReader, read_csv, write_csv
from transparency.leaves import canonical


class Disposition(StrEnum):
    """What happens to a series' records when their retention ends."""

    keep = "keep"  # conservación total: transferred to the historical archive
    destroy = "destroy"  # eliminación
    sample = "sample"  # selección: a sample is kept, the rest destroyed
    digitize = "digitize"  # digitalización, then as the procedure says


class Trigger(StrEnum):
    """What starts the retention count of a record."""

    closing = "closing"  # the closing of the dossier
    date = "date"  # a date recorded on the item (a contract's signature, say)
    event = "event"  # an event recorded on the item when it happens (end of a contract)


class TableState(StrEnum):
    """The life of a version of the table: only one is ever in force."""

    draft = "draft"
    approved = "approved"  # by the archive committee
    in_force = "in_force"
    superseded = "superseded"  # by the next version in force


_NEXT_STATE: Final[Mapping[TableState, TableState]] = {
    TableState.draft: TableState.approved,
    TableState.approved: TableState.in_force,
    TableState.in_force: TableState.superseded,
}
MAX_YEARS: Final = 100
RULES_CSV_HEADER: Final = (
    "series_code",
    "office_years",
    "central_years",
    "disposition",
    "trigger",
    "trigger_event",
    "legal_basis",
    "procedure",
)
DISPOSITIONS: Final = tuple(disposition.value for disposition in Disposition)
TRIGGERS: Final = tuple(trigger.value for trigger in Trigger)
_YEARS_CELL = re.compile(r"[0-9]{1,9}")


def next_state(current: TableState, wanted: TableState) -> TableState:
    """``wanted`` if the table may go there from ``current``: one step forward only."""
    if _NEXT_STATE.get(current) != wanted:
        raise TransitionError("bad_transition", f"a table cannot go from {current} to {wanted}")
    return TableState(wanted)


@dataclass(frozen=True, slots=True)
class Rule:
    """The retention of one series or subseries. Text is kept stripped of surrounding
    spaces, as CSV reading strips them; ``disposition`` and ``trigger`` may be given as
    their string values."""

    series_code: str
    office_years: int  # in the office archive (archivo de gestión)
    central_years: int  # then in the central archive
    disposition: Disposition
    trigger: Trigger = Trigger.closing
    trigger_event: str = ""  # the event that starts the count; only with Trigger.event
    legal_basis: str = ""  # the law or regulation that sets the retention
    procedure: str = ""  # how the disposition is carried out

    def __post_init__(self) -> None:
        code = self.series_code.strip()
        for years in (self.office_years, self.central_years):
            if isinstance(years, bool) or not isinstance(years, int):
                raise RetentionError("bad_years", f"rule {code!r}: years are whole numbers")
            if not 0 <= years <= MAX_YEARS:
                raise RetentionError(
                    "bad_years", f"rule {code!r}: years are 0 to {MAX_YEARS}, not {years}"
                )
        try:
            disposition = Disposition(self.disposition)
        except ValueError:
            raise RetentionError(
                "bad_disposition", f"rule {code!r}: unknown disposition {self.disposition!r}"
            ) from None
        try:
            trigger = Trigger(self.trigger)
        except ValueError:
            raise RetentionError(
                "bad_trigger", f"rule {code!r}: unknown trigger {self.trigger!r}"
            ) from None
        event = self.trigger_event.strip()
        if bool(event) != (trigger is Trigger.event):
            raise RetentionError(
                "event_required",
                f"rule {code!r}: an event is named exactly when the trigger is an event",
            )
        object.__setattr__(self, "series_code", code)
        object.__setattr__(self, "disposition", disposition)
        object.__setattr__(self, "trigger", trigger)
        object.__setattr__(self, "trigger_event", event)
        object.__setattr__(self, "legal_basis", self.legal_basis.strip())
        object.__setattr__(self, "procedure", self.procedure.strip())


def check_rules(rules: Iterable[Rule], scheme: Scheme) -> tuple[Rule, ...]:
    """The table's rules in the order of the scheme's series, once checked: each names
    a series or subseries of the scheme, and no series has two."""
    fileable = {node.code for node in scheme.series()}
    by_code: dict[str, Rule] = {}
    for rule in rules:
        code = rule.series_code
        if code not in fileable:
            raise RetentionError(
                "unknown_series", f"rule {code!r}: no series or subseries {code!r} in the scheme"
            )
        if code in by_code:
            raise RetentionError("duplicate_rule", f"series {code!r} has two rules")
        by_code[code] = rule
    return tuple(by_code[node.code] for node in scheme.series() if node.code in by_code)


def rules_by_series(rules: Iterable[Rule], scheme: Scheme) -> dict[str, Rule]:
    """The rule that applies to each series and subseries that has one, computed once
    for callers that look many up (``phases``): a subseries without a rule of its own
    follows its series'. Rules naming no series of the scheme are left out (a table is
    checked when approved, with ``check_rules``); two rules for a series are refused."""
    own: dict[str, Rule] = {}
    for rule in rules:
        if rule.series_code in own:
            raise RetentionError("duplicate_rule", f"series {rule.series_code!r} has two rules")
        own[rule.series_code] = rule
    found: dict[str, Rule] = {}
    for node in scheme.series():
        applies = _applying(own, node)
        if applies is not None:
            found[node.code] = applies
    return found


def _applying(own: Mapping[str, Rule], node: Node) -> Rule | None:
    rule = own.get(node.code)
    if rule is None and node.level is Level.subseries and node.parent is not None:
        rule = own.get(node.parent)
    return rule


def rule_for(rules: Sequence[Rule], scheme: Scheme, code: str) -> Rule | None:
    """The rule of a series or subseries (a subseries without one follows its series');
    ``None`` for a node without a rule or that takes no records. An unknown code is
    ``SchemeError("unknown_node")``."""
    node = scheme.node(code)
    if not node.fileable:
        return None
    return _applying({rule.series_code: rule for rule in rules}, node)


def add_years(day: date, years: int) -> date:
    """``day`` that many years later, the same month and day; 29 February becomes 28
    February in a year without one (the retention never ends after its term)."""
    year = day.year + years
    try:
        return day.replace(year=year)
    except ValueError:
        if day.month == 2 and day.day == 29 and 1 <= year <= date.max.year:
            return day.replace(year=year, day=28)
        raise RetentionError(
            "date_out_of_range", f"{day.isoformat()} plus {years} years is not a date"
        ) from None


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a record moves: to the central archive, then to its final disposition."""

    starts_on: date  # the trigger's date
    central_on: date  # primary transfer due (office → central)
    disposal_on: date  # final disposition due (central → historical or disposed)
    disposition: Disposition


def schedule(rule: Rule, starts_on: date) -> Schedule:
    """The dates ``rule`` sets for a record whose trigger happened on ``starts_on``."""
    central_on = add_years(starts_on, rule.office_years)
    return Schedule(
        starts_on=starts_on,
        central_on=central_on,
        disposal_on=add_years(central_on, rule.central_years),
        disposition=rule.disposition,
    )


def _rule_row(rule: Rule) -> tuple[str, ...]:
    return (
        rule.series_code,
        str(rule.office_years),
        str(rule.central_years),
        rule.disposition.value,
        rule.trigger.value,
        rule.trigger_event,
        rule.legal_basis,
        rule.procedure,
    )


def rules_to_csv(rules: Iterable[Rule]) -> str:
    """The rules as CSV, one a row, in the order given."""
    return write_csv(RULES_CSV_HEADER, (_rule_row(rule) for rule in rules))


def rules_from_csv(text: str) -> tuple[Rule, ...]:
    """Rules from CSV as ``rules_to_csv`` writes it or a spreadsheet saves it. An empty
    trigger cell means ``closing``. The rules are not checked against a scheme here:
    ``check_rules`` does that."""
    rules: list[Rule] = []
    for line, row in read_csv(text, RULES_CSV_HEADER, RetentionError):
        for column in ("office_years", "central_years"):
            if not _YEARS_CELL.fullmatch(row[column]):
                raise RetentionError(
                    "bad_csv", f"line {line}: {column} {row[column]!r} is not a whole number"
                )
        disposition = row["disposition"].lower()
        if disposition not in DISPOSITIONS:
            raise RetentionError(
                "bad_csv", f"line {line}: unknown disposition {row['disposition']!r}"
            )
        trigger = row["trigger"].lower() or Trigger.closing.value
        if trigger not in TRIGGERS:
            raise RetentionError("bad_csv", f"line {line}: unknown trigger {row['trigger']!r}")
        try:
            rules.append(
                Rule(
                    series_code=row["series_code"],
                    office_years=int(row["office_years"]),
                    central_years=int(row["central_years"]),
                    disposition=Disposition(disposition),
                    trigger=Trigger(trigger),
                    trigger_event=row["trigger_event"],
                    legal_basis=row["legal_basis"],
                    procedure=row["procedure"],
                )
            )
        except RetentionError as exc:
            raise RetentionError(exc.code, f"line {line}: {exc.message}") from None
    return tuple(rules)


def rules_to_json(rules: Iterable[Rule]) -> bytes:
    """The rules as RFC 8785 canonical JSON, ``{"rules": [...]}`` in the order given."""
    return canonical(
        {"rules": [dict(zip(RULES_CSV_HEADER, _json_row(rule), strict=True)) for rule in rules]}
    )


def _json_row(rule: Rule) -> tuple[str | int, ...]:
    return (
        rule.series_code,
        rule.office_years,
        rule.central_years,
        rule.disposition.value,
        rule.trigger.value,
        rule.trigger_event,
        rule.legal_basis,
        rule.procedure,
    )


def rules_from_json(data: bytes | str) -> tuple[Rule, ...]:
    """Rules from JSON as ``rules_to_json`` writes it; ``trigger`` and the texts after it
    may be left out. Malformed JSON is ``RetentionError("bad_json")``."""
    read = JsonReader(RetentionError, "bad_json")
    document = read.fields(read.load(data), "document", ("rules",))
    rules: list[Rule] = []
    for index, value in enumerate(read.items(document, "rules", "document")):
        where = f"rules[{index}]"
        fields = read.fields(value, where, RULES_CSV_HEADER[:4], RULES_CSV_HEADER[4:])
        try:
            rules.append(
                Rule(
                    series_code=read.text(fields, "series_code", where),
                    office_years=read.integer(fields, "office_years", where),
                    central_years=read.integer(fields, "central_years", where),
                    disposition=Disposition(
                        read.choice(fields, "disposition", where, DISPOSITIONS)
                    ),
                    trigger=Trigger(
                        read.choice(fields, "trigger", where, TRIGGERS)
                        if "trigger" in fields
                        else Trigger.closing
                    ),
                    trigger_event=_optional(read, fields, "trigger_event", where),
                    legal_basis=_optional(read, fields, "legal_basis", where),
                    procedure=_optional(read, fields, "procedure", where),
                )
            )
        except RetentionError as exc:
            if exc.code == "bad_json":
                raise
            raise RetentionError(exc.code, f"{where}: {exc.message}") from None
    return tuple(rules)


def _optional(read: JsonReader, fields: Mapping[str, object], key: str, where: str) -> str:
    return read.text(fields, key, where) if key in fields else ""
