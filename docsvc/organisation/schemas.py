"""Organisation API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from docsvc.models import Role, RoleRequestStatus

CODE_PATTERN = r"^[A-Z][A-Z0-9-]{0,31}$"
USERNAME_PATTERN = r"^[a-z][a-z0-9._-]{1,99}$"


class DepartmentIn(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=300)
    parent: str | None = Field(default=None, pattern=CODE_PATTERN)


class DepartmentOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    parent: str | None
    active: bool


class UserIn(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    full_name: str = Field(min_length=1, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    password: str = Field(min_length=10, max_length=1000)
    department: str = Field(pattern=CODE_PATTERN)
    roles: list[Role] = Field(min_length=1)


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str
    email: str | None
    department: str
    roles: list[Role]
    active: bool
    pending_roles: list[Role] = Field(
        default=[],
        description="admin or auditor roles asked for, awaiting a second administrator's "
        "approval (see /api/v1/role-requests); the account does not hold them yet",
    )


class PositionIn(BaseModel):
    department: str = Field(pattern=CODE_PATTERN)
    code: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    holder: str | None = Field(default=None, pattern=USERNAME_PATTERN)


class PositionOut(BaseModel):
    id: uuid.UUID
    department: str
    code: str
    title: str
    holder: str | None


class RoleGrantIn(BaseModel):
    role: Role


class RoleRequestOut(BaseModel):
    id: uuid.UUID
    username: str
    role: Role
    status: RoleRequestStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class RoleGrantOut(BaseModel):
    username: str
    role: Role
    status: Literal["granted", "pending"] = Field(
        description="granted at once, or (admin, auditor) pending a second administrator"
    )
    request: RoleRequestOut | None = None
