"""The control board (``/tablero``): register volumes per department and month, the
median time departments take to sign a receipt for what they are sent, open transfers
past their due date, and signatures per official, as server-drawn SVG charts each with
its table."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from docsvc.dashboards.figures import dashboard
from docsvc.web import charts
from docsvc.web.page import PageDep, page_translator

router = APIRouter(include_in_schema=False)


@router.get("/tablero", response_model=None)
def control_board(page: PageDep) -> Response:
    t = page_translator(page.request, page.services)
    figures = dashboard(page.db, page.settings)
    volumes = figures.volumes
    return page.render(
        "dashboard.html",
        figures=figures,
        volumes_chart=charts.stacked_columns(
            t,
            t.gettext("Register entries per department and month"),
            volumes.months,
            volumes.departments,
            volumes.counts,
        ),
        response_chart=charts.horizontal_bars(
            t,
            t.gettext("Median response time to transfers (hours)"),
            [(code, hours) for code, (hours, _) in figures.response_hours.items()],
            unit=" h",
        ),
        overdue_chart=charts.horizontal_bars(
            t, t.gettext("Overdue transfers per department"), list(figures.overdue.items())
        ),
        signatures_chart=charts.horizontal_bars(
            t, t.gettext("Signatures per official"), list(figures.signatures)
        ),
    )
