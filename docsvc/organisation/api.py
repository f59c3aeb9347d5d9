"""Organisation routes: departments, positions and (for admins) users."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from docsvc.deps import ActorDep, DbSession
from docsvc.organisation import service
from docsvc.organisation.schemas import (
    DepartmentIn,
    DepartmentOut,
    PositionIn,
    PositionOut,
    RoleGrantIn,
    RoleGrantOut,
    RoleRequestOut,
    UserIn,
    UserOut,
)

router = APIRouter(prefix="/api/v1", tags=["organisation"])


@router.get("/departments")
def list_departments(actor: ActorDep, db: DbSession) -> list[DepartmentOut]:
    return service.list_departments(db, actor)


@router.post("/departments", status_code=201)
def create_department(body: DepartmentIn, actor: ActorDep, db: DbSession) -> DepartmentOut:
    return service.create_department(db, actor, body)


@router.get("/positions")
def list_positions(actor: ActorDep, db: DbSession) -> list[PositionOut]:
    return service.list_positions(db, actor)


@router.post("/positions", status_code=201)
def create_position(body: PositionIn, actor: ActorDep, db: DbSession) -> PositionOut:
    return service.create_position(db, actor, body)


@router.get("/users")
def list_users(actor: ActorDep, db: DbSession) -> list[UserOut]:
    return service.list_users(db, actor)


@router.post("/users", status_code=201)
def create_user(body: UserIn, actor: ActorDep, db: DbSession) -> UserOut:
    """Create an account (admins only). The admin and auditor roles are not granted here:
    each is filed as a role request (``pending_roles``) that another administrator, neither
    you nor the new account, approves at ``POST /api/v1/role-requests/{id}/approve``."""
    return service.create_user(db, actor, body)


@router.post("/users/{username}/roles", status_code=201)
def grant_role(username: str, body: RoleGrantIn, actor: ActorDep, db: DbSession) -> RoleGrantOut:
    """Give an account a role (admins only): at once (``granted``), or for admin and
    auditor as a request (``pending``) that another administrator must approve."""
    return service.grant_role(db, actor, username, body.role)


@router.get("/role-requests")
def list_role_requests(
    actor: ActorDep, db: DbSession, status: Literal["pending", "all"] = "pending"
) -> list[RoleRequestOut]:
    """Requests for the admin and auditor roles (admins only): the pending ones, or all."""
    return service.list_role_requests(db, actor, only_pending=status == "pending")


@router.post("/role-requests/{request_id}/approve")
def approve_role_request(request_id: uuid.UUID, actor: ActorDep, db: DbSession) -> RoleRequestOut:
    """Approve a role request: only an administrator who neither asked for it nor is its
    account. The account holds the role from now on; the approval is an audit event."""
    return service.approve_role_request(db, actor, request_id)


@router.post("/role-requests/{request_id}/reject")
def reject_role_request(request_id: uuid.UUID, actor: ActorDep, db: DbSession) -> RoleRequestOut:
    """Turn a role request down (any administrator; its requester withdraws it so)."""
    return service.reject_role_request(db, actor, request_id)
