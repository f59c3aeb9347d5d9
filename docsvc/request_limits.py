"""What a request may cost before any handler sees it, and the answer when the database's
connections are all taken.

- **Bodies are bounded everywhere.** File uploads (the routes that take one, listed in
  ``UPLOAD_ROUTES``) may carry ``Settings.max_upload_bytes`` plus the multipart framing;
  every other body (JSON, forms) ``Settings.max_body_bytes``. A declared
  ``Content-Length`` over the limit gets a 413 before a byte is read; a body that grows past
  it while it arrives (chunked, or a lying length) stops with a 413 at that point. Without
  this, one unauthenticated 500 MiB body to the login route was parsed in memory.
- **A full pool is a 503, not a 500.** The pool holds a connection for every request
  thread (``Settings.db_pool_size``), so running out means the database is stuck: the
  client is told to retry.
- **Values the database cannot hold are a 400.** An offset of 2**63 overflows the
  database's integer; that is the request's fault, not the server's.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The multipart framing around an upload's file part: headers, boundaries, the few fields.
MULTIPART_OVERHEAD = 256 * 1024
UPLOAD_ROUTES = re.compile(
    r"^(/api/v1/documents(/[0-9a-fA-F-]{36}/versions)?|/api/v1/verify|/verificar|/registro/nuevo)$"
)
# Archival packages to import: a whole dossier, under their own, larger limit.
PACKAGE_ROUTES = re.compile(r"^(/api/v1/archive/imports|/archivo/importaciones)$")
RETRY_AFTER_SECONDS = 5


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body passes its limit while it arrives; an HTTP
    exception so that FastAPI's body parsing lets it through unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")
        self.limit = limit


def _too_large(limit: int) -> JSONResponse:
    message = f"The request body is larger than the limit of {limit} bytes."
    return JSONResponse(
        {"error": {"code": "body_too_large", "message": message}},
        status_code=413,
        headers={"Connection": "close"},
    )


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        max_package_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes + MULTIPART_OVERHEAD
        self.max_package_bytes = (max_package_bytes or max_upload_bytes) + MULTIPART_OVERHEAD

    def limit_for(self, scope: Scope) -> int:
        if scope.get("method") == "POST":
            path = scope.get("path", "")
            if UPLOAD_ROUTES.match(path):
                return self.max_upload_bytes
            if PACKAGE_ROUTES.match(path):
                return self.max_package_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


async def _body_too_large(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return _too_large(exc.limit)


async def _pool_exhausted(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": "database_busy",
                "message": "Every database connection is in use; try again in a few seconds.",
            }
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _value_out_of_range(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": "value_out_of_range",
                "message": "A value in the request is out of the range the service accepts.",
            }
        },
        status_code=400,
    )


def install_request_limits(
    app: FastAPI,
    *,
    max_body_bytes: int,
    max_upload_bytes: int,
    max_package_bytes: int | None = None,
) -> None:
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
        max_package_bytes=max_package_bytes,
    )
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(DataError, _value_out_of_range)
    app.add_exception_handler(OverflowError, _value_out_of_range)
