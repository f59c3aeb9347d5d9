"""Asking for signatures from the pages: the signing-line builder over a document or a
dossier (steps of people or positions, all or any of them, a role word, a deadline date),
the requester's resubmit after a return and cancel, and naming a stand-in for a date
range. The rules are the API's (``LineIn``, ``StandInIn``); a refused form comes back with
what was chosen."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from docsvc.documents import service as documents
from docsvc.dossiers import service as dossier_service
from docsvc.errors import DomainError, InvalidInput
from docsvc.models import StepMode
from docsvc.organisation import repository as organisation
from docsvc.signing_lines import service as lines
from docsvc.signing_lines.schemas import LineIn, StandInIn
from docsvc.web.official_pages import render_line
from docsvc.web.page import FormDep, FormListsDep, Page, PageDep

router = APIRouter(include_in_schema=False)
STEPS_OFFERED = 5
ROLES = ("prepared", "reviewed", "approved")


def _target(query: dict[str, str]) -> tuple[str, uuid.UUID]:
    for kind, name in (("dossier", "expediente"), ("document", "documento")):
        if query.get(name):
            try:
                return kind, uuid.UUID(query[name])
            except ValueError:
                break
    raise InvalidInput("Open the builder from a document or a dossier.", code="form_invalid")


def _builder(
    page: Page,
    kind: str,
    target_id: uuid.UUID,
    *,
    form: dict[str, list[str]] | None = None,
    error: DomainError | None = None,
) -> Response:
    db, actor = page.db, page.actor
    if kind == "dossier":
        title = dossier_service.get_dossier(db, actor, target_id).title
    else:
        title = documents.get_document(db, actor, target_id).title
    departments = organisation.department_codes(db)
    people = sorted(
        (u for u in organisation.users(db) if u.active), key=lambda u: u.full_name.lower()
    )
    positions = sorted(
        organisation.positions(db), key=lambda p: (departments[p.department_id], p.code)
    )
    holders = organisation.usernames(db)
    return page.render(
        "line_new.html",
        error=error,
        kind=kind,
        target_id=target_id,
        target_title=title,
        people=people,
        positions=[
            (f"{departments[p.department_id]}:{p.code}", p.title, holders.get(p.holder_id))
            for p in positions
            if p.holder_id is not None
        ],
        departments=departments,
        roles=ROLES,
        steps=range(1, STEPS_OFFERED + 1),
        form=form or {},
    )


@router.get("/firmas/nueva", response_model=None)
def new_line(page: PageDep) -> Response:
    kind, target_id = _target(dict(page.request.query_params))
    return _builder(page, kind, target_id)


def _first(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _deadline(value: str, zone: str) -> datetime | None:
    """A deadline date: the end of that day in the institution's time zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("A deadline is a date.", code="form_invalid") from exc
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone))


def _line_in(form: dict[str, list[str]], kind: str, target_id: uuid.UUID, zone: str) -> LineIn:
    steps: list[dict[str, Any]] = []
    for n in range(1, STEPS_OFFERED + 1):
        chosen = [v for v in form.get(f"step{n}_signers", []) if v]
        if not chosen:
            continue
        signers = []
        for value in chosen:
            what, _, who = value.partition(":")
            signers.append({"user": who} if what == "user" else {"position": who})
        role = _first(form, f"step{n}_role_other") or _first(form, f"step{n}_role") or "approved"
        steps.append(
            {
                "signers": signers,
                "mode": _first(form, f"step{n}_mode") or StepMode.all.value,
                "role_label": role,
                "deadline": _deadline(_first(form, f"step{n}_deadline"), zone),
            }
        )
    if not steps:
        raise InvalidInput("Choose who signs, in at least one step.", code="no_steps")
    try:
        return LineIn.model_validate(
            {
                "title": _first(form, "title"),
                "steps": steps,
                f"{kind}_id": target_id,
                "submit": True,
            }
        )
    except ValidationError as exc:
        raise InvalidInput("Check the steps: who signs, and how.", code="form_invalid") from exc


@router.post("/firmas/nueva", response_model=None)
def create_line(page: PageDep, form: FormListsDep) -> Response:
    kind, target_id = _target({k: v[0] for k, v in form.items() if v})
    made: list[uuid.UUID] = []

    def create() -> None:
        body = _line_in(form, kind, target_id, page.settings.timezone)
        line = lines.create_line(page.db, page.services, page.actor, body)
        made.append(line.id)

    return page.act(
        _first(form, "csrf_token"),
        create,
        lambda: f"/firmas/{made[0]}?hecho=line_created",
        lambda exc: _builder(page, kind, target_id, form=form, error=exc),
    )


def _line_action(page: Page, line_id: uuid.UUID, token: str | None, action: str) -> Response:
    def run() -> None:
        if action == "resubmitted":
            lines.resubmit(page.db, page.services, page.actor, line_id)
        else:
            lines.cancel(page.db, page.actor, line_id)

    return page.act(
        token,
        run,
        f"/firmas/{line_id}?hecho={action}",
        lambda exc: render_line(page, line_id, exc),
    )


@router.post("/firmas/{line_id}/reenviar", response_model=None)
def resubmit_line(line_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """After a return, the corrected document goes to the first step again."""
    return _line_action(page, line_id, form.get("csrf_token"), "resubmitted")


@router.post("/firmas/{line_id}/cancelar", response_model=None)
def cancel_line(line_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    return _line_action(page, line_id, form.get("csrf_token"), "cancelled")


def _stand_ins_page(
    page: Page, *, form: dict[str, str] | None = None, error: DomainError | None = None
) -> Response:
    people = sorted(
        (u for u in organisation.users(page.db) if u.active and u.id != page.actor.user_id),
        key=lambda u: u.full_name.lower(),
    )
    return page.render(
        "stand_ins.html",
        error=error,
        people=people,
        stand_ins=lines.stand_ins_of(page.db, page.actor),
        form=form or {},
        notice=page.notice(("stand_in_named",)),
    )


@router.get("/suplencias", response_model=None)
def stand_ins(page: PageDep) -> Response:
    return _stand_ins_page(page)


def _stand_in(form: dict[str, str]) -> StandInIn:
    try:
        return StandInIn.model_validate(
            {
                "substitute": form.get("substitute", ""),
                "starts_on": form.get("starts_on", ""),
                "ends_on": form.get("ends_on", ""),
            }
        )
    except ValidationError as exc:
        raise InvalidInput(
            "Choose who stands in, and a first and last day in order.", code="form_invalid"
        ) from exc


@router.post("/suplencias", response_model=None)
def name_stand_in(page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: lines.name_stand_in(page.db, page.actor, _stand_in(form)),
        "/suplencias?hecho=stand_in_named",
        lambda exc: _stand_ins_page(page, form=form, error=exc),
    )
