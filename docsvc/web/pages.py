"""Login, logout and the home page: the session cookie, its CSRF token and the language
every page shares (``docsvc.web.page``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from docsvc.deps import SESSION_COOKIE, DbSession, OriginDep, ServicesDep
from docsvc.documents import service as documents
from docsvc.documents.schemas import DocumentFilter
from docsvc.errors import NotAuthenticated, TooManyRequests
from docsvc.identity import service as identity
from docsvc.services import Services
from docsvc.throttles import password_check
from docsvc.web.csrf import PRELOGIN_COOKIE, session_token_valid
from docsvc.web.page import (
    FormDep,
    PageDep,
    WebSession,
    form_token_valid,
    render_with_form_token,
)

router = APIRouter(include_in_schema=False)


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
    request: Request, db: DbSession, services: ServicesDep, origin: OriginDep, form: FormDep
) -> Response:
    """Async only to wait for a hashing slot without holding a thread (``password_check``);
    everything that touches the database runs in ``log_in``, on a worker thread."""
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
def logout(
    request: Request, db: DbSession, services: ServicesDep, session: WebSession, form: FormDep
) -> Response:
    response = RedirectResponse("/login", status_code=303)
    if session is None:
        return response
    actor, auth_session = session
    if not session_token_valid(auth_session.csrf_token, form.get("csrf_token")):
        return _login_page(request, services, "csrf_failed", status=403)
    identity.close_session(db, actor, auth_session)
    response.delete_cookie(SESSION_COOKIE)
    return response


_FAVICON = Path(__file__).parent / "static" / "favicon.ico"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """Where browsers look for the icon by themselves (pages also name ``favicon.svg``)."""
    return FileResponse(
        _FAVICON, media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/marca.css", include_in_schema=False)
def brand_stylesheet(services: ServicesDep) -> Response:
    """The institution's colour for the design system's header and navigation bar.

    A stylesheet rather than an inline style, so the pages keep ``style-src 'self'``.
    """
    colour = services.settings.brand_colour
    return Response(
        f":root{{--govuk-brand-colour:{colour}}}\n",
        media_type="text/css",
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get("/", response_model=None)
def home(page: PageDep) -> Response:
    listed = documents.list_documents(page.db, page.actor, DocumentFilter(limit=100))
    return page.render("home.html", page=listed)
