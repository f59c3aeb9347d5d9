"""Organisation rules. Functions take ``actor=None`` when run by the operator through the
CLI; API callers must be admins."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from docsvc.audit.service import record_event
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.identity.actor import Actor
from docsvc.identity.passwords import MIN_PASSWORD_LENGTH, hash_password
from docsvc.models import Department, Institution, Position, Role, User, UserRole
from docsvc.organisation import repository
from docsvc.organisation.schemas import (
    DepartmentIn,
    DepartmentOut,
    PositionIn,
    PositionOut,
    UserIn,
    UserOut,
)


def _require_admin(actor: Actor | None) -> None:
    if actor is not None and not actor.has_any(Role.admin):
        raise PermissionDenied(
            "Only administrators can change the organisation.", code="admin_only"
        )


def ensure_institution(db: Session, code: str, name: str) -> Institution:
    existing = repository.the_institution(db)
    if existing is not None:
        return existing
    institution = Institution(code=code, name=name)
    db.add(institution)
    db.flush()
    record_event(db, None, "institution.create", object_type="institution", object_id=code)
    return institution


def create_department(db: Session, actor: Actor | None, data: DepartmentIn) -> DepartmentOut:
    _require_admin(actor)
    institution = repository.the_institution(db)
    if institution is None:
        raise Conflict("Run 'docsvc init' first: there is no institution.", code="not_initialised")
    if repository.department_by_code(db, data.code) is not None:
        raise Conflict(f"Department {data.code} already exists.", code="department_exists")
    parent_id = None
    if data.parent:
        parent = repository.department_by_code(db, data.parent)
        if parent is None:
            raise InvalidInput(f"No parent department {data.parent}.", code="unknown_department")
        parent_id = parent.id
    department = Department(
        institution_id=institution.id, code=data.code, name=data.name, parent_id=parent_id
    )
    db.add(department)
    db.flush()
    record_event(
        db,
        actor,
        "department.create",
        object_type="department",
        object_id=str(department.id),
        department_id=department.id,
        details={"code": data.code, "parent": data.parent},
    )
    return DepartmentOut(
        id=department.id, code=data.code, name=data.name, parent=data.parent, active=True
    )


def list_departments(db: Session, actor: Actor | None = None) -> list[DepartmentOut]:
    if actor is not None:
        record_event(db, actor, "department.list", object_type="department")
    codes = repository.department_codes(db)
    return [
        DepartmentOut(
            id=d.id,
            code=d.code,
            name=d.name,
            parent=codes.get(d.parent_id) if d.parent_id else None,
            active=d.active,
        )
        for d in repository.departments(db)
    ]


def _user_out(user: User, codes: Mapping[uuid.UUID, str]) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        department=codes.get(user.department_id, ""),
        roles=sorted(user.role_set),
        active=user.active,
    )


def create_user(db: Session, actor: Actor | None, data: UserIn) -> UserOut:
    _require_admin(actor)
    if repository.user_by_username(db, data.username) is not None:
        raise Conflict(f"User {data.username} already exists.", code="user_exists")
    department = repository.department_by_code(db, data.department)
    if department is None:
        raise InvalidInput(f"No department {data.department}.", code="unknown_department")
    user = User(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        password_hash=hash_password(data.password),
        department_id=department.id,
        roles=[UserRole(role=r.value) for r in sorted(set(data.roles))],
    )
    db.add(user)
    db.flush()
    record_event(
        db,
        actor,
        "user.create",
        object_type="user",
        object_id=str(user.id),
        department_id=department.id,
        details={"username": data.username, "roles": sorted(r.value for r in data.roles)},
    )
    return _user_out(user, {department.id: department.code})


def list_users(db: Session, actor: Actor) -> list[UserOut]:
    _require_admin(actor)
    codes = repository.department_codes(db)
    record_event(db, actor, "user.list", object_type="user")
    return [_user_out(u, codes) for u in repository.users(db)]


def set_password(db: Session, actor: Actor | None, username: str, password: str) -> None:
    _require_admin(actor)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password"
        )
    user = repository.user_by_username(db, username)
    if user is None:
        raise NotFound(f"No user {username}.", code="user_not_found")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record_event(db, actor, "user.password_set", object_type="user", object_id=str(user.id))


def set_active(db: Session, actor: Actor | None, username: str, active: bool) -> None:
    _require_admin(actor)
    user = repository.user_by_username(db, username)
    if user is None:
        raise NotFound(f"No user {username}.", code="user_not_found")
    user.active = active
    record_event(
        db,
        actor,
        "user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=str(user.id),
    )


def create_position(db: Session, actor: Actor | None, data: PositionIn) -> PositionOut:
    _require_admin(actor)
    department = repository.department_by_code(db, data.department)
    if department is None:
        raise InvalidInput(f"No department {data.department}.", code="unknown_department")
    if repository.position_by_code(db, department.id, data.code) is not None:
        raise Conflict(f"Position {data.code} already exists.", code="position_exists")
    holder = None
    if data.holder:
        holder = repository.user_by_username(db, data.holder)
        if holder is None:
            raise InvalidInput(f"No user {data.holder}.", code="unknown_user")
    position = Position(
        department_id=department.id,
        code=data.code,
        title=data.title,
        holder_id=holder.id if holder else None,
    )
    db.add(position)
    db.flush()
    record_event(
        db,
        actor,
        "position.create",
        object_type="position",
        object_id=str(position.id),
        department_id=department.id,
        details={"code": data.code, "holder": data.holder},
    )
    return PositionOut(
        id=position.id,
        department=department.code,
        code=data.code,
        title=data.title,
        holder=data.holder,
    )


def list_positions(db: Session, actor: Actor | None = None) -> list[PositionOut]:
    if actor is not None:
        record_event(db, actor, "position.list", object_type="position")
    codes = repository.department_codes(db)
    names = repository.usernames(db)
    return [
        PositionOut(
            id=p.id,
            department=codes.get(p.department_id, ""),
            code=p.code,
            title=p.title,
            holder=names.get(p.holder_id) if p.holder_id else None,
        )
        for p in repository.positions(db)
    ]
