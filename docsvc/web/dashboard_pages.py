"""The control board (``/tablero``): register volumes per department and month, the
median time departments take to sign a receipt for what they are sent, open transfers
past their due date, and signatures per official, as server-drawn SVG charts each with
its table."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from docsvc.dashboards.figures import dashboard
from docsvc.deps import DbSession, ServicesDep
from docsvc.web import charts
from docsvc.web.i18n import language_of, translator
from docsvc.web.pages import SignedIn, render

router = APIRouter(include_in_schema=False)


@router.get("/tablero", response_model=None)
def control_board(
    request: Request, db: DbSession, services: ServicesDep, session: SignedIn
) -> Response:
    actor, auth_session = session
    t = translator(language_of(request, services.settings.default_language))
    figures = dashboard(db, services.settings)
    volumes = figures.volumes
    return render(
        request,
        services,
        "dashboard.html",
        actor=actor,
        csrf_token=auth_session.csrf_token,
        figures=figures,
        volumes_chart=charts.stacked_columns(
            t("chart_volumes"), volumes.months, volumes.departments, volumes.counts
        ),
        response_chart=charts.horizontal_bars(
            t("chart_response"),
            [(code, hours) for code, (hours, _) in figures.response_hours.items()],
            unit=" h",
        ),
        overdue_chart=charts.horizontal_bars(t("chart_overdue"), list(figures.overdue.items())),
        signatures_chart=charts.horizontal_bars(t("chart_signatures"), list(figures.signatures)),
    )
