"""The archive's phases and what is due to leave them: the moves allowed, transfers and
disposals due by a date, and (Hypothesis) that disposal selects exactly the central
holdings whose retention ended and never a held one."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.classification import Level, Node, build_scheme
from archive.errors import TransitionError
from archive.phases import Holding, Phase, due_for_disposal, due_for_transfer, next_phase
from archive.retention import Disposition, Rule, Trigger, schedule

SCHEME = build_scheme(
    [
        Node("MDS", "Ministerio de Desarrollo Social", Level.fonds),
        Node("DAJ", "Dirección de Asesoría Jurídica", Level.section, "MDS"),
        Node("RES", "Resoluciones", Level.series, "DAJ"),
        Node("RESA", "Resoluciones administrativas", Level.subseries, "RES"),
        Node("CTR", "Contratos", Level.series, "DAJ"),
        Node("CTRO", "Contratos de obra", Level.subseries, "CTR"),
        Node("ACT", "Actas", Level.series, "DAJ"),  # no rule
    ]
)
RULES = (
    Rule("RES", 2, 8, Disposition.keep),
    Rule("CTR", 5, 15, Disposition.destroy, Trigger.event, "liquidación del contrato"),
    Rule("CTRO", 0, 3, Disposition.sample),
)
TODAY = date(2030, 6, 30)


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (Phase.office, Phase.central),
        (Phase.central, Phase.historical),
        (Phase.central, Phase.disposed),
    ],
)
def test_the_moves_of_the_life_cycle(current: Phase, to: Phase) -> None:
    assert next_phase(current, to) is to


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (Phase.office, Phase.historical),  # no phase is skipped
        (Phase.office, Phase.disposed),
        (Phase.office, Phase.office),
        (Phase.central, Phase.office),
        (Phase.historical, Phase.central),  # final
        (Phase.historical, Phase.disposed),
        (Phase.disposed, Phase.central),  # final
        (Phase.disposed, Phase.historical),
    ],
)
def test_every_other_move_is_refused(current: Phase, to: Phase) -> None:
    with pytest.raises(TransitionError) as caught:
        next_phase(current, to)
    assert caught.value.code == "bad_phase"


def test_due_for_transfer() -> None:
    holdings = [
        Holding("late", "RES", Phase.office, date(2027, 1, 1)),  # central on 2029-01-01
        Holding("today", "RESA", Phase.office, date(2028, 6, 30)),  # the series' rule
        Holding("early", "RES", Phase.office, date(2020, 5, 1)),
        Holding("held", "RES", Phase.office, date(2021, 1, 1), held=True),  # still moves
        Holding("tomorrow", "RES", Phase.office, date(2028, 7, 1)),
        Holding("open", "RES", Phase.office, None),  # not closed yet
        Holding("no rule", "ACT", Phase.office, date(2000, 1, 1)),
        Holding("not in the scheme", "NADA", Phase.office, date(2000, 1, 1)),
        Holding("moved", "RES", Phase.central, date(2000, 1, 1)),
        Holding("same day", "RES", Phase.office, date(2027, 1, 1)),
    ]
    due = due_for_transfer(holdings, RULES, SCHEME, TODAY)
    assert [holding.item_id for holding, _ in due] == [
        "early",
        "held",
        "late",
        "same day",  # ties keep the order given
        "today",
    ]
    assert due[0][1] == schedule(RULES[0], date(2020, 5, 1))
    assert all(dates.central_on <= TODAY for _, dates in due)


def test_due_for_disposal() -> None:
    holdings = [
        Holding("contract", "CTR", Phase.central, date(2010, 1, 1)),  # disposal 2030-01-01
        Holding("works", "CTRO", Phase.central, date(2027, 6, 30)),  # its own rule: today
        Holding("held", "CTRO", Phase.central, date(2000, 1, 1), held=True),
        Holding("resolution", "RESA", Phase.central, date(2015, 3, 1)),  # 2025: keep
        Holding("young", "RES", Phase.central, date(2025, 1, 1)),
        Holding("office", "RES", Phase.office, date(2000, 1, 1)),
        Holding("historical", "RES", Phase.historical, date(2000, 1, 1)),
        Holding("disposed", "CTR", Phase.disposed, date(2000, 1, 1)),
        Holding("no date", "CTR", Phase.central, None),
        Holding("no rule", "ACT", Phase.central, date(2000, 1, 1)),
    ]
    due = due_for_disposal(holdings, RULES, SCHEME, TODAY)
    assert [(holding.item_id, dates.disposition) for holding, dates in due] == [
        ("resolution", Disposition.keep),
        ("contract", Disposition.destroy),
        ("works", Disposition.sample),
    ]
    assert [dates.disposal_on for _, dates in due] == [
        date(2025, 3, 1),
        date(2030, 1, 1),
        date(2030, 6, 30),
    ]


def test_nothing_is_due_without_rules_or_holdings() -> None:
    holdings = [Holding("a", "RES", Phase.central, date(1990, 1, 1))]
    assert due_for_disposal(holdings, (), SCHEME, TODAY) == []
    assert due_for_transfer([], RULES, SCHEME, TODAY) == []


holdings = st.lists(
    st.builds(
        Holding,
        item_id=st.text(max_size=3),
        series_code=st.sampled_from(["RES", "RESA", "CTR", "CTRO", "ACT", "DAJ", "NADA"]),
        phase=st.sampled_from(Phase),
        starts_on=st.none() | st.dates(date(1950, 1, 1), date(2050, 12, 31)),
        held=st.booleans(),
    ),
    max_size=40,
)
days = st.dates(date(1950, 1, 1), date(2100, 12, 31))
RULE_OF = {"RES": RULES[0], "RESA": RULES[0], "CTR": RULES[1], "CTRO": RULES[2]}


@given(holdings, days)
def test_disposal_selects_exactly_the_central_holdings_whose_date_passed(
    given_holdings: list[Holding], today: date
) -> None:
    due = due_for_disposal(given_holdings, RULES, SCHEME, today)
    assert not any(holding.held for holding, _ in due)
    expected = [
        holding
        for holding in given_holdings
        if holding.phase is Phase.central
        and not holding.held
        and holding.starts_on is not None
        and holding.series_code in RULE_OF
        and schedule(RULE_OF[holding.series_code], holding.starts_on).disposal_on <= today
    ]
    assert Counter(holding for holding, _ in due) == Counter(expected)
    assert [dates.disposal_on for _, dates in due] == sorted(dates.disposal_on for _, dates in due)
    for holding, dates in due:
        assert holding.starts_on is not None
        assert dates == schedule(RULE_OF[holding.series_code], holding.starts_on)


def _central_on(holding: Holding) -> date:
    assert holding.starts_on is not None
    return schedule(RULE_OF[holding.series_code], holding.starts_on).central_on


@given(holdings, days)
def test_transfer_selects_exactly_the_office_holdings_whose_date_passed(
    given_holdings: list[Holding], today: date
) -> None:
    due = due_for_transfer(given_holdings, RULES, SCHEME, today)
    expected = [
        holding
        for holding in given_holdings
        if holding.phase is Phase.office
        and holding.starts_on is not None
        and holding.series_code in RULE_OF
        and schedule(RULE_OF[holding.series_code], holding.starts_on).central_on <= today
    ]
    # Stable: soonest first, ties in the order given.
    expected.sort(key=_central_on)
    assert [holding for holding, _ in due] == expected
