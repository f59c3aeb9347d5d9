"""Administration in the pages (``/admin``), for administrators: accounts (create,
deactivate or reactivate, reset the password, issue or revoke a signing credential),
departments, positions, holidays, the configured trust roots, and the stand-ins in force.
The rules are the services' (the API's); every change is an audit event there."""

from __future__ import annotations

from datetime import date

from cryptography import x509
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from docsvc.calendar import holidays
from docsvc.calendar.holidays import HolidayIn
from docsvc.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from docsvc.models import Role, SigningCredential, StandIn, User
from docsvc.organisation import repository as organisation
from docsvc.organisation import service as admin
from docsvc.organisation.schemas import DepartmentIn, PositionIn, UserIn
from docsvc.pki.authorities import trust_anchors
from docsvc.signatures import credentials
from docsvc.web.page import FormDep, FormListsDep, Page, PageDep

router = APIRouter(include_in_schema=False)
NOTICES = (
    "user_created",
    "user_changed",
    "password_reset",
    "credential_issued",
    "credential_revoked",
    "department_created",
    "position_created",
    "holiday_added",
    "holiday_removed",
)


def _admin_only(page: Page) -> None:
    if Role.admin not in page.actor.roles:
        raise PermissionDenied("Only administrators administer.", code="not_admin")


def _trust_roots(page: Page) -> list[tuple[str, str]]:
    """The configured trust roots: subject and expiry (what validators trust)."""
    try:
        anchors = trust_anchors(page.settings)
    except DomainError:
        return []
    out = []
    for der in anchors:
        certificate = x509.load_der_x509_certificate(der)
        out.append(
            (certificate.subject.rfc4514_string(), certificate.not_valid_after_utc.isoformat())
        )
    return out


def render_admin(
    page: Page,
    *,
    form: dict[str, list[str]] | dict[str, str] | None = None,
    section: str = "",
    error: DomainError | None = None,
) -> Response:
    _admin_only(page)
    db = page.db
    active = {
        c.user_id: c
        for c in db.scalars(select(SigningCredential).where(SigningCredential.active.is_(True)))
    }
    today = date.today()
    stand_ins = db.scalars(
        select(StandIn).where(StandIn.revoked_at.is_(None), StandIn.ends_on >= today)
    ).all()
    return page.render(
        "admin.html",
        error=error,
        section=section,
        form=form or {},
        users=admin.list_users(db, page.actor),
        credentials=active,
        ids={u.username: u.id for u in organisation.users(db)},
        departments=organisation.departments(db),
        positions=admin.list_positions(db, page.actor),
        holidays=holidays.list_holidays(db),
        trust_roots=_trust_roots(page),
        stand_ins=stand_ins,
        names=organisation.usernames(db),
        roles=list(Role),
        notice=page.notice(NOTICES),
    )


@router.get("/admin", response_model=None)
def administration(page: PageDep) -> Response:
    return render_admin(page)


def _invalid(exc: ValidationError) -> InvalidInput:
    names = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e["loc"])
    return InvalidInput(f"Check these fields: {names}.", code="form_invalid")


def _first(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


@router.post("/admin/usuarios", response_model=None)
def create_user(page: PageDep, form: FormListsDep) -> Response:
    def create() -> None:
        _admin_only(page)
        try:
            body = UserIn(
                username=_first(form, "username"),
                full_name=_first(form, "full_name"),
                email=_first(form, "email") or None,
                password=(form.get("password") or [""])[0],
                department=_first(form, "department"),
                roles=form.get("roles") or [],
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        admin.create_user(page.db, page.actor, body)

    return page.act(
        _first(form, "csrf_token"),
        create,
        "/admin?hecho=user_created#usuarios",
        lambda exc: render_admin(page, form=form, section="new-user", error=exc),
    )


@router.post("/admin/usuarios/{username}/activo", response_model=None)
def set_active(username: str, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: admin.set_active(page.db, page.actor, username, form.get("active") == "yes"),
        "/admin?hecho=user_changed#usuarios",
        lambda exc: render_admin(page, error=exc),
    )


@router.post("/admin/usuarios/{username}/contrasena", response_model=None)
def reset_password(username: str, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: admin.set_password(page.db, page.actor, username, form.get("password", "")),
        "/admin?hecho=password_reset#usuarios",
        lambda exc: render_admin(page, error=exc),
    )


def _account(page: Page, username: str) -> User:
    user = organisation.user_by_username(page.db, username)
    if user is None:
        raise NotFound(f"No user {username}.", code="user_not_found")
    return user


@router.post("/admin/usuarios/{username}/credencial", response_model=None)
def issue_credential(username: str, page: PageDep, form: FormDep) -> Response:
    """A key and certificate from the development PKI under a first PIN that the
    administrator gives the official in person."""

    def issue() -> None:
        _admin_only(page)
        user = _account(page, username)
        credentials.issue_dev_credential(page.db, page.services.keys, user, form.get("pin", ""))

    return page.act(
        form.get("csrf_token"),
        issue,
        "/admin?hecho=credential_issued#usuarios",
        lambda exc: render_admin(page, error=exc),
    )


@router.post("/admin/usuarios/{username}/credencial/revocar", response_model=None)
def revoke_credential(username: str, page: PageDep, form: FormDep) -> Response:
    def revoke() -> None:
        user = _account(page, username)
        credentials.revoke_credential(page.db, page.actor, user)

    return page.act(
        form.get("csrf_token"),
        revoke,
        "/admin?hecho=credential_revoked#usuarios",
        lambda exc: render_admin(page, error=exc),
    )


@router.post("/admin/unidades", response_model=None)
def create_department(page: PageDep, form: FormDep) -> Response:
    def create() -> None:
        try:
            body = DepartmentIn(
                code=form.get("code", "").strip(),
                name=form.get("name", "").strip(),
                parent=form.get("parent") or None,
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        admin.create_department(page.db, page.actor, body)

    return page.act(
        form.get("csrf_token"),
        create,
        "/admin?hecho=department_created#unidades",
        lambda exc: render_admin(page, form=form, section="new-department", error=exc),
    )


@router.post("/admin/cargos", response_model=None)
def create_position(page: PageDep, form: FormDep) -> Response:
    def create() -> None:
        try:
            body = PositionIn(
                department=form.get("department", ""),
                code=form.get("code", "").strip(),
                title=form.get("title", "").strip(),
                holder=form.get("holder") or None,
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        admin.create_position(page.db, page.actor, body)

    return page.act(
        form.get("csrf_token"),
        create,
        "/admin?hecho=position_created#cargos",
        lambda exc: render_admin(page, form=form, section="new-position", error=exc),
    )


@router.post("/admin/festivos", response_model=None)
def add_holiday(page: PageDep, form: FormDep) -> Response:
    def add() -> None:
        try:
            body = HolidayIn.model_validate(
                {"day": form.get("day", ""), "name": form.get("name", "")}
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        holidays.add_holiday(page.db, page.actor, body)

    return page.act(
        form.get("csrf_token"),
        add,
        "/admin?hecho=holiday_added#festivos",
        lambda exc: render_admin(page, form=form, section="new-holiday", error=exc),
    )


@router.post("/admin/festivos/{day}/quitar", response_model=None)
def remove_holiday(day: date, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: holidays.remove_holiday(page.db, page.actor, day),
        "/admin?hecho=holiday_removed#festivos",
        lambda exc: render_admin(page, error=exc),
    )
