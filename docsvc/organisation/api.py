"""Organisation routes: departments, positions and (for admins) users."""

from __future__ import annotations

from fastapi import APIRouter

from docsvc.deps import ActorDep, DbSession
from docsvc.organisation import service
from docsvc.organisation.schemas import (
    DepartmentIn,
    DepartmentOut,
    PositionIn,
    PositionOut,
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
    return service.create_user(db, actor, body)
