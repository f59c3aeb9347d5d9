"""The one place where errors become HTTP responses: ``{"error": {"code", "message"}}``.

No response ever carries a traceback; unexpected errors are logged with one and answered
with a bare 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if denials.is_denial(exc) and not denials.already_recorded(exc):
        try:
            await run_in_threadpool(_record_denial, request, exc)
        except Exception:  # the denial is still answered; the failure is logged
            log.exception("could not record a denial")
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(exc.status_code, exc.code, exc.message, headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return error_response(422, "validation_error", "; ".join(parts) or "Invalid request.")


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}
    return error_response(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        dict(exc.headers) if exc.headers else None,
    )


async def _storage(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StorageError)
    if isinstance(exc, ObjectTooLarge):
        return error_response(413, "file_too_large", "The file is over the size limit.")
    if isinstance(exc, OperationNotAllowed):
        return error_response(409, "retention_locked", "The object is under retention.")
    if isinstance(exc, StoreUnavailable):
        log.warning("object store unavailable: %s", exc)
        return error_response(503, "storage_unavailable", "The document store is unavailable.")
    if isinstance(exc, IntegrityError | ObjectNotFound):
        # A row whose bytes are missing or altered is an incident, not a client error.
        log.error("stored object failed its integrity check: %s", exc)
        return error_response(
            500, "storage_integrity", "The stored bytes failed their integrity check."
        )
    log.exception("storage error", exc_info=exc)
    return error_response(503, "storage_error", "The document store failed.")


async def _db_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return error_response(503, "database_unavailable", "The database is unavailable.")


async def _db_conflict(_: Request, exc: Exception) -> JSONResponse:
    log.info("integrity conflict: %s", exc)
    return error_response(
        409, "conflict", "The change conflicts with another one; reload and try again."
    )


async def _io_failure(_: Request, exc: Exception) -> JSONResponse:
    log.error("I/O failure: %s", exc)
    return error_response(
        503, "io_failure", "The server could not read or write a file; try again later."
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal_error", "Internal error; it has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(StorageError, _storage)
    app.add_exception_handler(OperationalError, _db_unavailable)
    app.add_exception_handler(DbIntegrityError, _db_conflict)
    app.add_exception_handler(OSError, _io_failure)
    app.add_exception_handler(Exception, _unexpected)
