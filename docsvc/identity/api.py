"""Login and logout for API clients."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from docsvc.actors import sessions
from docsvc.deps import SESSION_COOKIE, ActorDep, DbSession, OriginDep, ServicesDep
from docsvc.errors import NotAuthenticated
from docsvc.identity import repository, service
from docsvc.identity.schemas import (
    MeOut,
    PasswordChanged,
    PasswordChangeIn,
    TokenRequest,
    TokenResponse,
)
from docsvc.throttles import password_check, throttles

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token")
async def issue_token(
    body: TokenRequest, request: Request, db: DbSession, services: ServicesDep, origin: OriginDep
) -> TokenResponse:
    """Exchange a username and password for a bearer token. Failed logins per client
    address are limited (429 ``too_many_logins``) and so are passwords hashed at once
    (503 ``login_busy``), both before the password is hashed."""

    def log_in() -> service.IssuedSession:
        user = service.login_or_record_failure(
            db, services.settings, body.username, body.password, origin
        )
        return service.open_session(db, services.settings, user, "api", origin)

    issued = await password_check(request, log_in)
    return TokenResponse(
        access_token=issued.token, expires_in=services.settings.access_token_minutes * 60
    )


@router.post("/auth/logout", status_code=204)
def revoke_token(request: Request, actor: ActorDep, db: DbSession, origin: OriginDep) -> Response:
    """Revoke the bearer token used for this call."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    if not token:
        raise NotAuthenticated("Logout revokes a bearer token; none was sent.")
    _, session = sessions.resolve_session(db, token, "api", origin)
    service.close_session(db, actor, session)
    return Response(status_code=204)


@router.get("/me")
def me(actor: ActorDep, db: DbSession) -> MeOut:
    user = repository.user_by_id(db, actor.user_id)
    assert user is not None
    return MeOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        department_id=user.department_id,
        department=repository.department_code(db, user.department_id),
        roles=sorted(actor.roles),
    )


def _presented_token(request: Request) -> str:
    """The bearer token or web session cookie this (authenticated) call came with."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE, "")


@router.post("/me/password")
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    origin: OriginDep,
) -> PasswordChanged:
    """Change your own password, giving the current one (wrong ones count towards the
    login lockout). Every other session and token of yours ends; this one stays. The
    hashing waits for a slot like a login's (503 ``login_busy``)."""
    async with throttles(request).password_hashing.slot_async():
        ended = await run_in_threadpool(
            service.change_own_password,
            db,
            services.settings,
            actor,
            _presented_token(request),
            body.current_password,
            body.new_password,
            origin,
        )
    return PasswordChanged(sessions_ended=ended)
