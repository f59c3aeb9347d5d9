"""Identity API shapes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from docsvc.models import Role


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (a scheme name, not a secret)
    expires_in: int


class MeOut(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str
    department_id: uuid.UUID
    department: str
    roles: list[Role]


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class PasswordChanged(BaseModel):
    sessions_ended: int = Field(description="other sessions and tokens of yours now ended")
