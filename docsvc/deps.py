"""Request dependencies: the transaction, the caller, and where the call came from.

The transaction belongs to the request: ``get_db`` commits when the endpoint returns and
rolls back when it raises. Services never commit. Authentication is the one step committed
on its own (``release_connection``), so that no request holds a database connection while
its body is still arriving.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import resolve_session
from docsvc.db.engine import transaction
from docsvc.errors import NotAuthenticated, PermissionDenied
from docsvc.services import Services

SESSION_COOKIE = "docsvc_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_db(services: ServicesDep) -> Iterator[Session]:
    with transaction(services.sessions) as db:
        yield db


# scope="function" makes the commit happen before the response is sent, so a failed commit
# is reported to the client instead of being lost after a 200.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def release_connection(db: Session) -> None:
    """End the transaction that authenticated the caller, giving its connection back to the
    pool: an upload then streams in (slowly, if the client is slow) without holding one,
    and the handler's first query takes a connection again."""
    db.commit()


def origin_of(request: Request) -> Origin:
    host = request.client.host if request.client else ""
    return Origin(client_ip=host, user_agent=request.headers.get("user-agent", "")[:300])


OriginDep = Annotated[Origin, Depends(origin_of)]


def current_actor(request: Request, db: DbSession, origin: OriginDep) -> Actor:
    """A bearer token for API clients, or the web session cookie plus the CSRF header for
    pages that call the API from the browser."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        actor, _ = resolve_session(db, token.strip(), "api", origin)
        release_connection(db)
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        actor, session = resolve_session(db, cookie, "web", origin)
        release_connection(db)
        if request.method not in SAFE_METHODS and (
            not session.csrf_token or request.headers.get(CSRF_HEADER) != session.csrf_token
        ):
            raise PermissionDenied("Missing or wrong CSRF token.", code="csrf_failed")
        return actor
    raise NotAuthenticated(
        "Log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token.",
        code="not_authenticated",
    )


ActorDep = Annotated[Actor, Depends(current_actor)]
