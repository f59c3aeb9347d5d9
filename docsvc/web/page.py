"""What every page shares: rendering in the page's language, forms and their CSRF tokens,
the web session, and ``Page``, the one pattern of a signed-in page's handler.

A handler of a signed-in page is a plain ``def`` (FastAPI runs it on a request thread, so
its database work never blocks the event loop) taking ``page: PageDep`` (the request, its
transaction, the services, the caller and the web session) and, for a form,
``form: FormDep`` (read on the event loop, within the size limit, before the handler
runs). It shows a page with ``page.render(...)``, shows one page or another on a refusal
with ``page.shown(...)``, and runs a form's action with ``page.act(...)``: the session's
CSRF token checked, the action run in the request's transaction, a 303 on success (a
reload does not repeat it), and on a refusal the transaction rolled back and a page shown
again with the reason in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from docsvc.actors import sessions
from docsvc.actors.actor import Actor
from docsvc.config import Environment, Settings
from docsvc.deps import SESSION_COOKIE, DbSession, OriginDep, ServicesDep, release_connection
from docsvc.errors import DomainError, NotAuthenticated, PermissionDenied
from docsvc.models import AuthSession, Role
from docsvc.services import Services
from docsvc.web.csrf import (
    PRELOGIN_COOKIE,
    new_prelogin_nonce,
    prelogin_token,
    prelogin_token_valid,
    session_token_valid,
)
from docsvc.web.i18n import (
    LANG_COOKIE,
    Translator,
    error_message,
    jinja_environment,
    language_of,
    translator,
)
from docsvc.web.state_tags import state_colour

templates = Jinja2Templates(env=jinja_environment(Path(__file__).parent / "templates"))
templates.env.filters["state_colour"] = state_colour
MAX_FORM_BYTES = 64 * 1024
# A batch form lists up to 500 signing lines, one checkbox each.
MAX_FORM_FIELDS = 520


def page_translator(request: Request, services: Services) -> Translator:
    """The catalogue in the page's language, formatting in the institution's time zone."""
    return translator(
        language_of(request, services.settings.default_language), services.settings.timezone
    )


def error_text(
    request: Request, services: Services, error: DomainError, *, detail: bool = True
) -> str:
    """The error in the page's language, by its code. A code without words of its own is
    the generic message with the code for staff pages (``detail``); the service's own
    English message is shown on English staff pages only, never on public ones."""
    t = page_translator(request, services)
    text = error_message(t, error.code)
    if text is not None:
        return text
    if not detail:
        return t.gettext("The request could not be completed.")
    generic = t.gettext("The request could not be completed (code %(code)s).", code=error.code)
    return f"{generic} {error.message}" if t.locale == "en" else generic


def require_csrf(session: AuthSession, token: str | None) -> None:
    """A form's token must be its session's."""
    if not session_token_valid(session.csrf_token, token):
        raise PermissionDenied("The form expired.", code="csrf_failed")


def _admin_warnings(settings: Settings, actor: object) -> list[str]:
    """The codes of what an administrator must know about this installation (shown, in
    words, in every page's footer to admins only: development mode, a public secret)."""
    if not isinstance(actor, Actor) or Role.admin not in actor.roles:
        return []
    if settings.env is not Environment.development:
        return []
    keys = ["dev_mode_warning"]
    if settings.public_secret_in_use:
        keys.append("dev_public_secret_warning")
    return keys


def _context(request: Request, services: Services, **extra: Any) -> dict[str, Any]:
    t = page_translator(request, services)
    return {
        "lang": t.locale,
        # What the templates' gettext and filters use (docsvc.web.i18n).
        "translator": t,
        "institution": services.settings.institution_name,
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
        found = sessions.resolve_session(db, token, "web", origin)
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


FormDep = Annotated[dict[str, str], Depends(read_form)]
FormListsDep = Annotated[dict[str, list[str]], Depends(read_form_lists)]


@dataclass(frozen=True, slots=True)
class Page:
    """A signed-in page's request: what every such handler works with."""

    request: Request
    db: Session
    services: Services
    actor: Actor
    session: AuthSession

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def notice(self, allowed: tuple[str, ...]) -> str | None:
        """The ``?hecho=`` notice an action redirected with, if it is one of ``allowed``."""
        notice = self.request.query_params.get("hecho")
        return notice if notice in allowed else None

    def render(
        self,
        name: str,
        *,
        error: DomainError | None = None,
        status: int | None = None,
        **extra: Any,
    ) -> HTMLResponse:
        """The template with the caller, the form token and, after a refusal, its reason
        in words (and its status)."""
        return render(
            self.request,
            self.services,
            name,
            status or (error.status_code if error else 200),
            actor=self.actor,
            csrf_token=self.session.csrf_token,
            error=error_text(self.request, self.services, error) if error else None,
            **extra,
        )

    def shown(
        self, build: Callable[[], Response], instead: Callable[[DomainError], Response]
    ) -> Response:
        """``build``'s page, or ``instead``'s with the reason when it is refused."""
        try:
            return build()
        except DomainError as exc:
            return instead(exc)

    def act(
        self,
        token: str | None,
        action: Callable[[], object],
        done: str | Callable[[], str],
        again: Callable[[DomainError], Response],
    ) -> Response:
        """A form's action: the form's CSRF token checked against the session's, ``action``
        run in the request's transaction, then a 303 to ``done``; a refusal rolls back
        whatever the action started and shows ``again(error)``."""
        try:
            require_csrf(self.session, token)
            action()
        except DomainError as exc:
            self.db.rollback()
            return again(exc)
        return RedirectResponse(done if isinstance(done, str) else done(), status_code=303)


def _page(request: Request, db: DbSession, services: ServicesDep, session: SignedIn) -> Page:
    actor, auth_session = session
    return Page(request, db, services, actor, auth_session)


# A signed-in page's request; without a session, a 303 to /login.
PageDep = Annotated[Page, Depends(_page)]
