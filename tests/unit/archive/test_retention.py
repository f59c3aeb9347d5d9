"""The retention table: rules and their codes, the table checked against its scheme, the
rule a subseries follows, the dates a rule sets, the table's states, and its CSV and JSON."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.classification import Level, Node, build_scheme
from archive.errors import RetentionError, SchemeError, TransitionError
from archive.retention import (
    RULES_CSV_HEADER,
    Disposition,
    Rule,
    Schedule,
    TableState,
    Trigger,
    add_years,
    check_rules,
    next_state,
    rule_for,
    rules_by_series,
    rules_from_csv,
    rules_from_json,
    rules_to_csv,
    rules_to_json,
    schedule,
)
from tests.unit.archive.strategies import rules

SCHEME = build_scheme(
    [
        Node("MDS", "Ministerio de Desarrollo Social", Level.fonds),
        Node("DAJ", "Dirección de Asesoría Jurídica", Level.section, "MDS"),
        Node("RES", "Resoluciones", Level.series, "DAJ"),
        Node("RESA", "Resoluciones administrativas", Level.subseries, "RES"),
        Node("RESD", "Resoluciones de delegación", Level.subseries, "RES"),
        Node("CTR", "Contratos", Level.series, "DAJ"),
        Node("CTRO", "Contratos de obra", Level.subseries, "CTR"),
    ]
)
RES = Rule("RES", 2, 8, Disposition.keep, legal_basis="Ley del Sistema Nacional de Archivos")
RESD = Rule("RESD", 1, 4, Disposition.sample, procedure="Selección del 10 % por año")
CTR = Rule(
    "CTR",
    5,
    15,
    Disposition.destroy,
    Trigger.event,
    "liquidación del contrato",
    "Reglamento de contratación pública, art. 12",
    "Eliminación con acta, picado del papel",
)
TABLE = (CTR, RESD, RES)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"office_years": -1}, "bad_years"),
        ({"central_years": 101}, "bad_years"),
        ({"office_years": True}, "bad_years"),
        ({"central_years": 2.0}, "bad_years"),
        ({"trigger": Trigger.event}, "event_required"),
        ({"trigger": Trigger.event, "trigger_event": "  "}, "event_required"),
        ({"trigger": Trigger.date, "trigger_event": "fin del contrato"}, "event_required"),
        ({"disposition": "burn"}, "bad_disposition"),
        ({"trigger": "whenever"}, "bad_trigger"),
    ],
)
def test_each_invalid_rule_is_refused_with_its_code(fields: dict[str, object], code: str) -> None:
    given_fields: dict[str, object] = {
        "series_code": "RES",
        "office_years": 2,
        "central_years": 8,
        "disposition": Disposition.keep,
        **fields,
    }
    with pytest.raises(RetentionError) as caught:
        Rule(**given_fields)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_years_from_0_to_100_are_allowed() -> None:
    assert Rule("RES", 0, 100, Disposition.destroy).central_years == 100


def test_a_rule_keeps_its_text_stripped_and_its_choices_typed() -> None:
    rule = Rule(" RES ", 2, 8, "keep", "event", " fin ", " ley ", " acta ")  # type: ignore[arg-type]
    assert rule == Rule("RES", 2, 8, Disposition.keep, Trigger.event, "fin", "ley", "acta")
    assert rule.disposition is Disposition.keep
    assert rule.trigger is Trigger.event


def test_the_table_moves_one_state_forward_at_a_time() -> None:
    state = TableState.draft
    for wanted in (TableState.approved, TableState.in_force, TableState.superseded):
        state = next_state(state, wanted)
        assert state is wanted


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (TableState.draft, TableState.in_force),
        (TableState.draft, TableState.draft),
        (TableState.approved, TableState.draft),
        (TableState.in_force, TableState.approved),
        (TableState.superseded, TableState.in_force),
        (TableState.superseded, TableState.draft),
    ],
)
def test_any_other_state_change_is_refused(current: TableState, wanted: TableState) -> None:
    with pytest.raises(TransitionError) as caught:
        next_state(current, wanted)
    assert caught.value.code == "bad_transition"


def test_checked_rules_follow_the_scheme_order() -> None:
    assert check_rules(TABLE, SCHEME) == (RES, RESD, CTR)
    assert check_rules([], SCHEME) == ()


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (Rule("NADA", 1, 1, Disposition.keep), "unknown_series"),
        (Rule("DAJ", 1, 1, Disposition.keep), "unknown_series"),  # a section takes no rule
        (Rule("RES", 1, 1, Disposition.destroy), "duplicate_rule"),
    ],
)
def test_a_table_with_a_bad_rule_is_refused(rule: Rule, code: str) -> None:
    with pytest.raises(RetentionError) as caught:
        check_rules([*TABLE, rule], SCHEME)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("RES", RES),
        ("RESA", RES),  # no rule of its own: its series'
        ("RESD", RESD),  # its own
        ("CTR", CTR),
        ("CTRO", CTR),
        ("DAJ", None),  # takes no records
        ("MDS", None),
    ],
)
def test_the_rule_a_node_follows(code: str, rule: Rule | None) -> None:
    assert rule_for(TABLE, SCHEME, code) == rule
    assert rules_by_series(TABLE, SCHEME).get(code) == rule


def test_a_node_without_a_rule_has_none() -> None:
    assert rule_for([RESD], SCHEME, "RESA") is None
    assert rules_by_series([RESD], SCHEME) == {"RESD": RESD}


def test_the_rule_of_an_unknown_node_is_a_scheme_error() -> None:
    with pytest.raises(SchemeError) as caught:
        rule_for(TABLE, SCHEME, "NADA")
    assert caught.value.code == "unknown_node"


def test_rules_by_series_leaves_out_unknown_series_and_refuses_two_rules() -> None:
    assert "NADA" not in rules_by_series([*TABLE, Rule("NADA", 1, 1, Disposition.keep)], SCHEME)
    with pytest.raises(RetentionError) as caught:
        rules_by_series([*TABLE, RES], SCHEME)
    assert caught.value.code == "duplicate_rule"


@pytest.mark.parametrize(
    ("day", "years", "later"),
    [
        (date(2024, 3, 15), 10, date(2034, 3, 15)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), 0, date(2024, 2, 29)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2024, 12, 31), 100, date(2124, 12, 31)),
    ],
)
def test_add_years(day: date, years: int, later: date) -> None:
    assert add_years(day, years) == later


def test_add_years_past_the_calendar_is_a_retention_error() -> None:
    with pytest.raises(RetentionError) as caught:
        add_years(date(9990, 2, 28), 10)
    assert caught.value.code == "date_out_of_range"


def test_the_schedule_of_a_rule() -> None:
    assert schedule(RES, date(2024, 2, 29)) == Schedule(
        starts_on=date(2024, 2, 29),
        central_on=date(2026, 2, 28),
        disposal_on=date(2034, 2, 28),  # from the central date, as the table counts
        disposition=Disposition.keep,
    )


@given(st.dates(max_value=date(9899, 12, 31)), st.integers(0, 100))
def test_add_years_never_fails_and_keeps_the_day(day: date, years: int) -> None:
    later = add_years(day, years)
    assert later.year == day.year + years
    if (day.month, day.day) == (2, 29):
        assert (later.month, later.day) in {(2, 29), (2, 28)}
        assert (later.day == 29) == calendar.isleap(later.year)
    else:
        assert (later.month, later.day) == (day.month, day.day)


@given(rules(), st.dates(max_value=date(9799, 12, 31)))
def test_schedule_dates_are_in_order(rule: Rule, starts_on: date) -> None:
    dates = schedule(rule, starts_on)
    assert dates.starts_on == starts_on
    assert dates.starts_on <= dates.central_on <= dates.disposal_on
    assert dates.central_on.year == starts_on.year + rule.office_years
    assert dates.disposal_on.year == dates.central_on.year + rule.central_years
    assert dates.disposition is rule.disposition


def test_csv_as_written_and_back() -> None:
    text = rules_to_csv(TABLE)
    assert text == (
        "series_code,office_years,central_years,disposition,trigger,trigger_event,"
        "legal_basis,procedure\r\n"
        "CTR,5,15,destroy,event,liquidación del contrato,"
        '"Reglamento de contratación pública, art. 12","Eliminación con acta, picado del papel"'
        "\r\n"
        "RESD,1,4,sample,closing,,,Selección del 10 % por año\r\n"
        "RES,2,8,keep,closing,,Ley del Sistema Nacional de Archivos,\r\n"
    )
    assert rules_from_csv(text) == TABLE


def test_csv_from_a_spreadsheet_is_tolerated() -> None:
    text = (
        "\ufeffSeries_Code, office_years ,central_years,disposition,trigger,trigger_event,"
        "procedure,legal_basis\r\n"
        " RES , 2 , 8 , Keep , ,, ,Ley del Sistema Nacional de Archivos\r\n"
        "\r\n"
    )
    assert rules_from_csv(text) == (RES,)


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("RES,dos,8,keep,closing,,,", "bad_csv"),
        ("RES,2,-8,keep,closing,,,", "bad_csv"),
        ("RES,2,8.5,keep,closing,,,", "bad_csv"),
        ("RES,2,8,burn,closing,,,", "bad_csv"),
        ("RES,2,8,keep,whenever,,,", "bad_csv"),
        ("RES,2,8,keep,closing,,", "bad_csv"),
        ("RES,2,101,keep,closing,,,", "bad_years"),
        ("RES,2,8,keep,event,,,", "event_required"),
    ],
)
def test_a_bad_csv_row_names_its_line(row: str, code: str) -> None:
    header = ",".join(RULES_CSV_HEADER)
    with pytest.raises(RetentionError) as caught:
        rules_from_csv(f"{header}\nRESD,1,4,sample,closing,,,\n{row}\n")
    assert caught.value.code == code
    assert caught.value.message.startswith("line 3:")


def test_json_as_written_and_back() -> None:
    data = rules_to_json([RES])
    assert data == (
        b'{"rules":[{"central_years":8,"disposition":"keep",'
        b'"legal_basis":"Ley del Sistema Nacional de Archivos","office_years":2,'
        b'"procedure":"","series_code":"RES","trigger":"closing","trigger_event":""}]}'
    )
    assert rules_from_json(data) == (RES,)
    assert rules_from_json(rules_to_json(TABLE)) == TABLE
    assert rules_from_json(rules_to_json(TABLE).decode()) == TABLE


def test_json_may_leave_out_the_trigger_and_the_texts() -> None:
    data = (
        '{"rules": [{"series_code": "RES", "office_years": 2, "central_years": 8,'
        ' "disposition": "keep"}]}'
    )
    assert rules_from_json(data) == (Rule("RES", 2, 8, Disposition.keep),)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("", "bad_json"),
        ('"office_years": 2', "bad_json"),  # no series_code
        ('"series_code": "RES", "office_years": "2"', "bad_json"),
        ('"series_code": "RES", "office_years": true', "bad_json"),
        ('"series_code": "RES", "office_years": 2.0', "bad_json"),
        ('"series_code": "RES", "office_years": 2, "colour": "red"', "bad_json"),
        ('"series_code": "RES", "office_years": 2, "trigger": "whenever"', "bad_json"),
        ('"series_code": "RES", "office_years": 2, "trigger_event": 7', "bad_json"),
        ('"series_code": "RES", "office_years": 200', "bad_years"),
        ('"series_code": "RES", "office_years": 2, "trigger": "event"', "event_required"),
    ],
)
def test_a_bad_json_rule_is_refused(rule: str, code: str) -> None:
    filled = rule + (', "central_years": 8, "disposition": "keep"' if rule else "")
    with pytest.raises(RetentionError) as caught:
        rules_from_json(f'{{"rules": [{{{filled}}}]}}')
    assert caught.value.code == code
    if code != "bad_json":
        assert caught.value.message.startswith("rules[0]:")


@pytest.mark.parametrize("data", [b"", b"{}", b'{"rules": {}}', b'{"rules": [], "rules": []}'])
def test_a_malformed_json_table_is_refused(data: bytes) -> None:
    with pytest.raises(RetentionError) as caught:
        rules_from_json(data)
    assert caught.value.code == "bad_json"


@given(st.lists(rules(), max_size=6))
def test_any_rules_round_trip_through_csv_and_json(table: list[Rule]) -> None:
    assert rules_from_csv(rules_to_csv(table)) == tuple(table)
    assert rules_from_json(rules_to_json(table)) == tuple(table)
