"""The control board (``/tablero``): register volumes per department and month, the
median time departments take to sign a receipt for what they are sent, open transfers past
their due date, signatures waiting past their deadline per official, and signatures per
official, as server-drawn SVG charts each with its table; filtered by department and
dates within the reader's scope, and exported as CSV (``/tablero.csv``)."""

from __future__ import annotations

import csv
import io
from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response

from docsvc.dashboards.figures import Dashboard, Scope, board_scope, csv_rows, dashboard
from docsvc.errors import DomainError, InvalidInput
from docsvc.locale import Translator
from docsvc.organisation import repository as organisation
from docsvc.web import charts
from docsvc.web.page import Page, PageDep, page_translator

router = APIRouter(include_in_schema=False)

# Response times are shown in the unit that fits the longest: (seconds per unit, largest
# value the unit is used for).
_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86400.0


def duration_unit(t: Translator, longest: float) -> tuple[float, str, str]:
    """The unit for durations up to ``longest`` seconds: (its seconds, the column's
    heading, the suffix after a figure)."""
    if longest < 2 * _HOUR:
        return _MINUTE, t.gettext("Median (minutes)"), t.pgettext("unit", " min")
    if longest < 3 * _DAY:
        return _HOUR, t.gettext("Median (hours)"), t.pgettext("unit", " h")
    return _DAY, t.gettext("Median (days)"), t.pgettext("unit", " days")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "Dates are written as days of the calendar.", code="form_invalid"
        ) from exc


def _scope(page: Page) -> Scope:
    query = page.request.query_params
    return board_scope(
        page.db,
        page.actor,
        department=query.get("departamento") or None,
        since=_date(query.get("desde")),
        until=_date(query.get("hasta")),
    )


def _render(page: Page, board: Dashboard, error: DomainError | None = None) -> Response:
    t = page_translator(page.request, page.services)
    volumes = board.volumes
    longest = max((s for s, _ in board.response_seconds.values()), default=0.0)
    unit, heading, suffix = duration_unit(t, longest)
    query = page.request.query_params
    return page.render(
        "dashboard.html",
        error=error,
        figures=board,
        departments=organisation.departments(page.db) if board.scope.institution_wide else [],
        chosen={k: query.get(k, "") for k in ("departamento", "desde", "hasta")},
        response_unit=unit,
        response_heading=heading,
        csv_query=str(query),
        volumes_chart=charts.stacked_columns(
            t,
            t.gettext("Register entries per department and month"),
            volumes.months,
            volumes.departments,
            volumes.counts,
        ),
        response_chart=charts.horizontal_bars(
            t,
            t.gettext("Median response time to transfers"),
            [(code, seconds / unit) for code, (seconds, _) in board.response_seconds.items()],
            unit=suffix,
        ),
        overdue_chart=charts.horizontal_bars(
            t, t.gettext("Overdue transfers per department"), list(board.overdue.items())
        ),
        overdue_signatures_chart=charts.horizontal_bars(
            t, t.gettext("Signatures overdue per official"), list(board.overdue_signatures)
        ),
        signatures_chart=charts.horizontal_bars(
            t, t.gettext("Signatures per official"), list(board.signatures)
        ),
    )


@router.get("/tablero", response_model=None)
def control_board(page: PageDep) -> Response:
    try:
        scope = _scope(page)
    except DomainError as exc:
        scope = board_scope(page.db, page.actor)
        return _render(page, dashboard(page.db, page.settings, scope), exc)
    return _render(page, dashboard(page.db, page.settings, scope))


@router.get("/tablero.csv", response_model=None)
def control_board_csv(page: PageDep) -> Response:
    """Every figure of the board as it is filtered, one per row, for a spreadsheet."""
    t = page_translator(page.request, page.services)
    board = dashboard(page.db, page.settings, _scope(page))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            t.pgettext("csv column", "figure"),
            t.pgettext("csv column", "department or official"),
            t.pgettext("csv column", "month"),
            t.pgettext("csv column", "value"),
        ]
    )
    writer.writerows(csv_rows(board))
    name = t.gettext("control-board.csv")
    return Response(
        # A byte-order mark, so that spreadsheets open the accents as UTF-8.
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
