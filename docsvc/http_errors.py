"""The one place where errors become HTTP responses: ``{"error": {"code", "message"}}``
for the API, and, when the application was given one, an error page for a browser asking
for a page (``ErrorPage``, provided by ``docsvc.web``).

No response ever carries a traceback; unexpected errors are logged with one and answered
with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from docsvc.actors.sessions import resolve_session
from docsvc.audit import denials
from docsvc.deps import SESSION_COOKIE, origin_of
from docsvc.errors import DomainError, NotAuthenticated, TooManyRequests
from storage import (
    IntegrityError,
    ObjectNotFound,
    ObjectTooLarge,
    OperationNotAllowed,
    StorageError,
    StoreUnavailable,
)

log = logging.getLogger("docsvc.http")


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """What an error is answered with, before it is written as JSON or as a page."""

    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None

    def json(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.headers)


# Writes an error as a page for a browser (in the reader's language); runs in a thread.
ErrorPage = Callable[[Request, ErrorAnswer], Response]
# Paths that answer programs, never pages, whatever the request accepts.
_MACHINE_PATHS = ("/api/", "/pki/", "/static/", "/healthz", "/readyz", "/metrics", "/docs")


def wants_page(request: Request) -> bool:
    """Whether the caller is a browser asking for a page: it accepts HTML, and the path is
    not one of the API's or the PKI's."""
    path = request.url.path
    if path.startswith(_MACHINE_PATHS) or path == "/openapi.json":
        return False
    return "text/html" in request.headers.get("accept", "")


def _record_denial(request: Request, exc: DomainError) -> None:
    """A denial answered to an authenticated caller becomes an audit event, written in a
    transaction of its own (the request's has rolled back by now). The caller is found
    again from the token or cookie the request carried; an anonymous one (public routes)
    is not recorded: there is no one to name, and public 404s are no access check."""
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and bearer.strip():
        kind, token = "api", bearer.strip()
    elif request.cookies.get(SESSION_COOKIE):
        kind, token = "web", request.cookies[SESSION_COOKIE]
    else:
        return
    sessions = request.app.state.services.sessions
    with sessions() as db:
        try:
            actor, _ = resolve_session(db, token, kind, origin_of(request))
        except NotAuthenticated:
            return
    route = getattr(request.scope.get("route"), "path", None) or request.url.path
    denials.record_request_denial(
        sessions,
        actor,
        exc,
        method=request.method,
        route=route,
        path_params=request.path_params,
    )


async def _domain(request: Request, exc: Exception) -> ErrorAnswer:
    assert isinstance(exc, DomainError)
    if denials.is_denial(exc) and not denials.already_recorded(exc):
        try:
            await run_in_threadpool(_record_denial, request, exc)
        except Exception:  # the denial is still answered; the failure is logged
            log.exception("could not record a denial")
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return ErrorAnswer(exc.status_code, exc.code, exc.message, headers)


async def _validation(_: Request, exc: Exception) -> ErrorAnswer:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return ErrorAnswer(422, "validation_error", "; ".join(parts) or "Invalid request.")


async def _http(_: Request, exc: Exception) -> ErrorAnswer:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}
    return ErrorAnswer(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        dict(exc.headers) if exc.headers else None,
    )


async def _storage(_: Request, exc: Exception) -> ErrorAnswer:
    assert isinstance(exc, StorageError)
    if isinstance(exc, ObjectTooLarge):
        return ErrorAnswer(413, "file_too_large", "The file is over the size limit.")
    if isinstance(exc, OperationNotAllowed):
        return ErrorAnswer(409, "retention_locked", "The object is under retention.")
    if isinstance(exc, StoreUnavailable):
        log.warning("object store unavailable: %s", exc)
        return ErrorAnswer(503, "storage_unavailable", "The document store is unavailable.")
    if isinstance(exc, IntegrityError | ObjectNotFound):
        # A row whose bytes are missing or altered is an incident, not a client error.
        log.error("stored object failed its integrity check: %s", exc)
        return ErrorAnswer(
            500, "storage_integrity", "The stored bytes failed their integrity check."
        )
    log.exception("storage error", exc_info=exc)
    return ErrorAnswer(503, "storage_error", "The document store failed.")


async def _db_unavailable(_: Request, exc: Exception) -> ErrorAnswer:
    log.warning("database unavailable: %s", exc)
    return ErrorAnswer(503, "database_unavailable", "The database is unavailable.")


async def _db_conflict(_: Request, exc: Exception) -> ErrorAnswer:
    log.info("integrity conflict: %s", exc)
    return ErrorAnswer(
        409, "conflict", "The change conflicts with another one; reload and try again."
    )


async def _io_failure(_: Request, exc: Exception) -> ErrorAnswer:
    log.error("I/O failure: %s", exc)
    return ErrorAnswer(
        503, "io_failure", "The server could not read or write a file; try again later."
    )


async def _unexpected(_: Request, exc: Exception) -> ErrorAnswer:
    log.exception("unexpected error", exc_info=exc)
    return ErrorAnswer(500, "internal_error", "Internal error; it has been logged.")


Handler = Callable[[Request, Exception], Awaitable[ErrorAnswer]]


def _answering(handler: Handler, page: ErrorPage | None) -> Callable[..., Awaitable[Response]]:
    async def answer(request: Request, exc: Exception) -> Response:
        found = await handler(request, exc)
        if page is not None and wants_page(request):
            try:
                return await run_in_threadpool(page, request, found)
            except Exception:  # the page failed too: the plain answer still goes out
                log.exception("could not render the error page")
        return found.json()

    return answer


def install_error_handlers(app: FastAPI, page: ErrorPage | None = None) -> None:
    """Every error, answered as JSON, or with ``page`` for a browser asking for a page."""
    handlers: list[tuple[type[Exception], Handler]] = [
        (DomainError, _domain),
        (RequestValidationError, _validation),
        (StarletteHTTPException, _http),
        (StorageError, _storage),
        (OperationalError, _db_unavailable),
        (DbIntegrityError, _db_conflict),
        (OSError, _io_failure),
        (Exception, _unexpected),
    ]
    for kind, handler in handlers:
        app.add_exception_handler(kind, _answering(handler, page))
