"""Audit API shapes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from docsvc.query_types import Moment, Offset


class AuditQuery(BaseModel):
    actor: str | None = Field(default=None, max_length=100, description="username")
    action: str | None = Field(default=None, max_length=64)
    object_id: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=32, description="department code")
    since: Moment | None = None
    until: Moment | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_username: str
    action: str
    object_type: str
    object_id: str
    department_id: uuid.UUID | None
    client_ip: str
    user_agent: str
    outcome: str
    details: dict[str, Any]

    @field_validator("details", mode="before")
    @classmethod
    def _parse_details(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventOut]
