"""Organisation rules. Functions take ``actor=None`` when run by the operator through the
CLI; API callers must be admins."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.identity import service as identity
from docsvc.identity.passwords import hash_password
from docsvc.identity.service import check_password_strength
from docsvc.models import PRIVILEGED_ROLES, Department, Institution, Position, Role
from docsvc.models.organisation import RoleRequest, RoleRequestStatus, User, UserRole
from docsvc.organisation import repository
from docsvc.organisation.schemas import (
    DepartmentIn,
    DepartmentOut,
    PositionIn,
    PositionOut,
    RoleGrantOut,
    RoleRequestOut,
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


def _user_out(user: User, codes: Mapping[uuid.UUID, str], pending: Sequence[str] = ()) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        department=codes.get(user.department_id, ""),
        roles=sorted(user.role_set),
        active=user.active,
        pending_roles=sorted(Role(r) for r in pending),
    )


# --- privileged roles take two administrators -----------------------------------------------
#
# Granting admin or auditor (on creating an account or later) by an administrator files a
# ``RoleRequest``; the account gets the role only when another administrator, neither the
# requester nor the account itself, approves it. The one exception is the bootstrap: while
# the institution has fewer than two active administrators, the operator at the server
# (the CLI without --by, ``actor=None``) grants them directly: a two-person rule needs two
# people, and whoever runs the CLI on the server can write the database anyway.

BOOTSTRAP_ADMINS = 2


def _bootstrapping(db: Session, actor: Actor | None) -> bool:
    return actor is None and repository.active_admins(db) < BOOTSTRAP_ADMINS


def _approval_required(roles: set[Role]) -> PermissionDenied:
    names = ", ".join(sorted(r.value for r in roles))
    return PermissionDenied(
        f"Granting {names} needs a second administrator's approval: an administrator asks "
        "(API, or the CLI with --by ADMIN) and another one approves.",
        code="approval_required",
    )


def _usernames_of(db: Session, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    return repository.usernames_of(db, {i for i in ids if i is not None})


def _request_out(db: Session, request: RoleRequest) -> RoleRequestOut:
    names = _usernames_of(db, [request.user_id, request.requested_by, request.decided_by])
    return RoleRequestOut(
        id=request.id,
        username=names.get(request.user_id, ""),
        role=Role(request.role),
        status=RoleRequestStatus(request.status),
        requested_by=names.get(request.requested_by, ""),
        requested_at=request.requested_at,
        decided_by=names.get(request.decided_by) if request.decided_by else None,
        decided_at=request.decided_at,
    )


def _file_request(db: Session, actor: Actor, user: User, role: Role) -> RoleRequest:
    if repository.pending_request(db, user.id, role.value) is not None:
        raise Conflict(
            f"{user.username} already has a pending request for {role.value}.",
            code="request_pending",
        )
    request = RoleRequest(user_id=user.id, role=role.value, requested_by=actor.user_id)
    db.add(request)
    db.flush()
    record_event(
        db,
        actor,
        "user.role_requested",
        object_type="user",
        object_id=str(user.id),
        department_id=user.department_id,
        outcome="pending",
        details={"username": user.username, "role": role.value, "request": str(request.id)},
    )
    return request


def create_user(db: Session, actor: Actor | None, data: UserIn) -> UserOut:
    """Create an account. Of the roles asked for, admin and auditor are filed as requests
    for a second administrator to approve (but while bootstrapping, see above); the account
    holds the others at once."""
    _require_admin(actor)
    if repository.user_by_username(db, data.username) is not None:
        raise Conflict(f"User {data.username} already exists.", code="user_exists")
    department = repository.department_by_code(db, data.department)
    if department is None:
        raise InvalidInput(f"No department {data.department}.", code="unknown_department")
    wanted = set(data.roles)
    privileged = wanted & PRIVILEGED_ROLES
    if privileged and _bootstrapping(db, actor):
        privileged = set()
    elif privileged and actor is None:
        raise _approval_required(privileged)
    granted = wanted - privileged
    user = User(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        password_hash=hash_password(data.password),
        department_id=department.id,
        roles=[UserRole(role=r.value) for r in sorted(granted)],
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
        details={
            "username": data.username,
            "roles": sorted(r.value for r in granted),
            "requested_roles": sorted(r.value for r in privileged),
        },
    )
    for role in sorted(privileged):
        assert actor is not None
        _file_request(db, actor, user, role)
    return _user_out(user, {department.id: department.code}, [r.value for r in privileged])


def list_users(db: Session, actor: Actor) -> list[UserOut]:
    _require_admin(actor)
    codes = repository.department_codes(db)
    pending = repository.pending_roles(db)
    record_event(db, actor, "user.list", object_type="user")
    return [_user_out(u, codes, pending.get(u.id, [])) for u in repository.users(db)]


def _user(db: Session, username: str) -> User:
    user = repository.user_by_username(db, username)
    if user is None:
        raise NotFound(f"No user {username}.", code="user_not_found")
    return user


def grant_role(db: Session, actor: Actor | None, username: str, role: Role) -> RoleGrantOut:
    """Give an existing account a role: at once, or for admin and auditor as a request
    that another administrator must approve."""
    _require_admin(actor)
    user = _user(db, username)
    if role in user.role_set:
        raise Conflict(f"{username} already has the role {role.value}.", code="role_held")
    if role in PRIVILEGED_ROLES and not _bootstrapping(db, actor):
        if actor is None:
            raise _approval_required({role})
        request = _file_request(db, actor, user, role)
        return RoleGrantOut(
            username=username, role=role, status="pending", request=_request_out(db, request)
        )
    user.roles.append(UserRole(role=role.value))
    db.flush()
    record_event(
        db,
        actor,
        "user.role_grant",
        object_type="user",
        object_id=str(user.id),
        department_id=user.department_id,
        details={"username": username, "role": role.value},
    )
    return RoleGrantOut(username=username, role=role, status="granted")


def list_role_requests(
    db: Session, actor: Actor | None, only_pending: bool = True
) -> list[RoleRequestOut]:
    _require_admin(actor)
    if actor is not None:
        record_event(db, actor, "role_request.list", object_type="role_request")
    return [_request_out(db, r) for r in repository.role_requests(db, only_pending)]


def _pending(db: Session, actor: Actor | None, request_id: uuid.UUID) -> RoleRequest:
    _require_admin(actor)
    if actor is None:
        raise PermissionDenied(
            "Deciding a role request takes an administrator: give --by ADMIN.",
            code="approval_required",
        )
    request = db.get(RoleRequest, request_id)
    if request is None:
        raise NotFound("No such role request.", code="role_request_not_found")
    if request.status != RoleRequestStatus.pending.value:
        raise Conflict(f"The request is already {request.status}.", code="request_decided")
    return request


def approve_role_request(db: Session, actor: Actor | None, request_id: uuid.UUID) -> RoleRequestOut:
    """A second administrator approves: neither the one who asked nor the account's own
    holder. Only then does the account hold the role."""
    request = _pending(db, actor, request_id)
    assert actor is not None
    if actor.user_id == request.requested_by:
        raise PermissionDenied(
            "You asked for this role; another administrator must approve it.",
            code="own_request",
        )
    if actor.user_id == request.user_id:
        raise PermissionDenied(
            "A role for your own account is approved by another administrator.",
            code="own_account",
        )
    user = db.get(User, request.user_id)
    assert user is not None
    if not repository.decide_request(
        db, request.id, RoleRequestStatus.approved, actor.user_id, utcnow()
    ):
        raise Conflict("The request was decided meanwhile.", code="request_decided")
    db.refresh(request)
    if request.role not in {r.role for r in user.roles}:
        user.roles.append(UserRole(role=request.role))
        db.flush()
    out = _request_out(db, request)
    record_event(
        db,
        actor,
        "user.role_approved",
        object_type="user",
        object_id=str(user.id),
        department_id=user.department_id,
        details={
            "username": user.username,
            "role": request.role,
            "request": str(request.id),
            "requested_by": out.requested_by,
        },
    )
    return out


def reject_role_request(db: Session, actor: Actor | None, request_id: uuid.UUID) -> RoleRequestOut:
    """Any administrator may turn a request down (its requester withdraws it so)."""
    request = _pending(db, actor, request_id)
    assert actor is not None
    if not repository.decide_request(
        db, request.id, RoleRequestStatus.rejected, actor.user_id, utcnow()
    ):
        raise Conflict("The request was decided meanwhile.", code="request_decided")
    db.refresh(request)
    out = _request_out(db, request)
    record_event(
        db,
        actor,
        "user.role_rejected",
        object_type="user",
        object_id=str(request.user_id),
        details={
            "username": out.username,
            "role": request.role,
            "request": str(request.id),
            "requested_by": out.requested_by,
        },
    )
    return out


def set_password(db: Session, actor: Actor | None, username: str, password: str) -> None:
    """An administrator's (or the operator's) reset: every session and token of the
    account ends, and the lockout is lifted."""
    _require_admin(actor)
    check_password_strength(password)
    user = _user(db, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record_event(db, actor, "user.password_set", object_type="user", object_id=str(user.id))
    identity.end_sessions(db, actor, user, "password_reset")


def set_active(db: Session, actor: Actor | None, username: str, active: bool) -> None:
    """Disabling ends every session and token of the account for good: enabling it later
    revives none of them."""
    _require_admin(actor)
    user = _user(db, username)
    user.active = active
    record_event(
        db,
        actor,
        "user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=str(user.id),
    )
    if not active:
        identity.end_sessions(db, actor, user, "account_disabled")


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
