"""Login, logout and the home page. The full interface is built in later issues; these
pages establish the session cookie, CSRF and language handling every page will share."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from docsvc.config import Environment, Settings
from docsvc.deps import SESSION_COOKIE, DbSession, OriginDep, ServicesDep, release_connection
from docsvc.documents import service as documents
from docsvc.documents.schemas import DocumentFilter
from docsvc.errors import DomainError, NotAuthenticated, PermissionDenied, TooManyRequests
from docsvc.identity import service as identity
from docsvc.identity.actor import Actor
from docsvc.models import AuthSession, Role
from docsvc.services import Services
from docsvc.throttles import password_check
from docsvc.web.csrf import (
    PRELOGIN_COOKIE,
    new_prelogin_nonce,
    prelogin_token,
    prelogin_token_valid,
    session_token_valid,
)
from docsvc.web.i18n import LANG_COOKIE, language_of, translator

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_FORM_BYTES = 64 * 1024
# A batch form lists up to 500 signing lines, one checkbox each.
MAX_FORM_FIELDS = 520


def local_time(zone: str, iso: str | None) -> str:
    """An ISO-8601 moment as the institution's local time, with its zone's abbreviation."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def error_text(
    request: Request, services: Services, error: DomainError, *, detail: bool = True
) -> str:
    """The error in the page's language; one without a translation is the generic message,
    with the service's English detail for staff pages (``detail``), not on public ones."""
    t = translator(language_of(request, services.settings.default_language))
    text = t(error.code)
    if text != error.code:
        return text
    return f"{t('generic_error')} ({error.message})" if detail else t("generic_error")


def require_csrf(session: AuthSession, token: str | None) -> None:
    """A form's token must be its session's."""
    if not session_token_valid(session.csrf_token, token):
        raise PermissionDenied("The form expired.", code="csrf_failed")


def _admin_warnings(settings: Settings, actor: object) -> list[str]:
    """The i18n keys of what an administrator must know about this installation (shown in
    every page's footer to admins only: development mode, a public secret)."""
    if not isinstance(actor, Actor) or Role.admin not in actor.roles:
        return []
    if settings.env is not Environment.development:
        return []
    keys = ["dev_mode_warning"]
    if settings.public_secret_in_use:
        keys.append("dev_public_secret_warning")
    return keys


def _context(request: Request, services: Services, **extra: Any) -> dict[str, Any]:
    lang = language_of(request, services.settings.default_language)
    return {
        "lang": lang,
        "t": translator(lang),
        "institution": services.settings.institution_name,
        "when": partial(local_time, services.settings.timezone),
        "admin_warnings": _admin_warnings(services.settings, extra.get("actor")),
        **extra,
    }


def render(
    request: Request, services: Services, name: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = _context(request, services, **extra)
    response = templates.TemplateResponse(request, name, context, status_code=status)
    if request.query_params.get("lang") == context["lang"]:
        response.set_cookie(LANG_COOKIE, context["lang"], max_age=365 * 86400, samesite="lax")
    return response


async def read_form_lists(request: Request) -> dict[str, list[str]]:
    """A URL-encoded form, every value of each field (checkboxes), within the size limit;
    an oversized or malformed form reads as empty, and the page then refuses it."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # more fields than allowed
        return {}


async def read_form(request: Request) -> dict[str, str]:
    """A URL-encoded form, the first value of each field."""
    return {k: v[0] for k, v in (await read_form_lists(request)).items()}


def _web_session(
    request: Request, db: DbSession, origin: OriginDep
) -> tuple[Actor, AuthSession] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        found = identity.resolve_session(db, token, "web", origin)
    except NotAuthenticated:
        return None
    release_connection(db)
    return found


WebSession = Annotated[tuple[Actor, AuthSession] | None, Depends(_web_session)]


class LoginRequired(Exception):
    """A page for signed-in users was asked for without a session; ``to_login`` (installed
    by the app) sends the browser to the login form."""


def _signed_in(session: WebSession) -> tuple[Actor, AuthSession]:
    if session is None:
        raise LoginRequired
    return session


# The signed-in user and their web session, for pages; without one, a 303 to /login.
SignedIn = Annotated[tuple[Actor, AuthSession], Depends(_signed_in)]


async def to_login(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


def render_with_form_token(
    request: Request, services: Services, name: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    """A page whose form is posted without a session (login, public verification): a
    fresh signed double-submit token in the form (``csrf_token``) and its nonce in a
    cookie, checked by ``form_token_valid``."""
    nonce = new_prelogin_nonce()
    token = prelogin_token(services.settings.effective_secret, nonce)
    response = render(request, services, name, status, csrf_token=token, **extra)
    response.set_cookie(
        PRELOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=services.settings.effective_cookie_secure,
        max_age=3600,
    )
    return response


def form_token_valid(request: Request, services: Services, token: str | None) -> bool:
    secret = services.settings.effective_secret
    return prelogin_token_valid(secret, request.cookies.get(PRELOGIN_COOKIE), token)


def _login_page(
    request: Request,
    services: Services,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render_with_form_token(
        request, services, "login.html", status, error=error, username=username
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, services: ServicesDep) -> HTMLResponse:
    return _login_page(request, services)


@router.post("/login", response_model=None)
async def login(
    request: Request, db: DbSession, services: ServicesDep, origin: OriginDep
) -> Response:
    form = await read_form(request)
    if not form_token_valid(request, services, form.get("csrf_token")):
        return _login_page(request, services, "csrf_failed", status=403)
    username = form.get("username", "")[:100]

    def log_in() -> identity.IssuedSession:
        user = identity.login_or_record_failure(
            db, services.settings, username, form.get("password", ""), origin
        )
        return identity.open_session(db, services.settings, user, "web", origin)

    try:
        issued = await password_check(request, log_in)
    except NotAuthenticated:
        return _login_page(request, services, "bad_credentials", username=username, status=401)
    except TooManyRequests as refused:  # too_many_logins (429) or login_busy (503)
        page = _login_page(
            request, services, refused.code, username=username, status=refused.status_code
        )
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    response = RedirectResponse("/bandeja", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=services.settings.effective_cookie_secure,
        max_age=services.settings.session_minutes * 60,
    )
    response.delete_cookie(PRELOGIN_COOKIE)
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request, db: DbSession, session: WebSession) -> Response:
    form = await read_form(request)
    response = RedirectResponse("/login", status_code=303)
    if session is None:
        return response
    actor, auth_session = session
    if not session_token_valid(auth_session.csrf_token, form.get("csrf_token")):
        return Response("CSRF check failed", status_code=403, media_type="text/plain")
    identity.close_session(db, actor, auth_session)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_model=None)
def home(request: Request, db: DbSession, services: ServicesDep, session: SignedIn) -> Response:
    actor, auth_session = session
    page = documents.list_documents(db, actor, DocumentFilter(limit=100))
    return render(
        request, services, "home.html", actor=actor, page=page, csrf_token=auth_session.csrf_token
    )
