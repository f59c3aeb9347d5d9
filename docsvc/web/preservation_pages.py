"""The archive's preservation page: the fixity audit's progress, the objects it found
changed or missing (with the documents that hold them), and "check now" for archivists
(``docsvc.archival.fixity``); the long-term signatures' renewal: how many are protected,
the next renewal dates, the failures, the runs, and "review now"
(``docsvc.archival.renewal``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from docsvc.archival import fixity, renewal
from docsvc.archival.renewal_queue import request_run
from docsvc.audit.service import record_event
from docsvc.errors import Conflict, DomainError, PermissionDenied
from docsvc.models import Role
from docsvc.web.page import FormDep, Page, PageDep

router = APIRouter(include_in_schema=False)
# Who reads the audit's state and alerts, and who starts a pass.
READERS = (Role.archivist, Role.auditor, Role.admin)
STARTERS = (Role.archivist, Role.admin)
NOTICES = ("fixity_requested", "renewal_requested")


def _fixity_page(page: Page, error: DomainError | None = None) -> Response:
    if not page.actor.has_any(*READERS):
        raise PermissionDenied(
            "Only archivists, auditors and administrators see the fixity checks.",
            code="not_fixity_reader",
        )
    shown = fixity.status(page.db, page.services)
    current = shown.current
    return page.render(
        "preservation.html",
        error=error,
        notice=page.notice(NOTICES),
        fixity=shown,
        percent=(
            min(100, round(100 * current.checked / current.total))
            if current is not None and current.total
            else 0
        ),
        may_start=page.actor.has_any(*STARTERS),
        rate=page.settings.fixity_mb_per_second,
        renewal=renewal.overview(page.db),
        horizon=page.settings.ltv_horizon_days,
    )


@router.get("/archivo/integridad", response_model=None)
def fixity_page(page: PageDep) -> Response:
    return _fixity_page(page)


@router.post("/archivo/integridad/comprobar", response_model=None)
def check_now(page: PageDep, form: FormDep) -> Response:
    """Start a fixity pass now (archivists), unless one is under way."""

    def start() -> None:
        if not page.actor.has_any(*STARTERS):
            raise PermissionDenied(
                "Only archivists start a fixity check.", code="not_fixity_starter"
            )
        fixity.request_pass(page.db, page.services, page.actor)

    return page.act(
        form.get("csrf_token"),
        start,
        "/archivo/integridad?hecho=fixity_requested",
        lambda exc: _fixity_page(page, exc),
    )


@router.post("/archivo/integridad/resellar", response_model=None)
def renew_now(page: PageDep, form: FormDep) -> Response:
    """Review the archive's signatures now (archivists): read what changed, renew what is
    due, unless a review is under way."""

    def start() -> None:
        if not page.actor.has_any(*STARTERS):
            raise PermissionDenied(
                "Only archivists start a review of the signatures.", code="not_renewal_starter"
            )
        if not request_run(page.db, page.services):
            raise Conflict(
                "A review of the signatures is already under way; its progress is on this page.",
                code="renewal_running",
            )
        record_event(page.db, page.actor, "preservation.requested", object_type="renewal")

    return page.act(
        form.get("csrf_token"),
        start,
        "/archivo/integridad?hecho=renewal_requested#firmas",
        lambda exc: _fixity_page(page, exc),
    )
