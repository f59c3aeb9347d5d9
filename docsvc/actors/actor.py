"""Who is making a request: the value every service function receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from docsvc.models.organisation import Role


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID
    username: str
    full_name: str
    department_id: uuid.UUID
    roles: frozenset[Role]
    client_ip: str = ""
    user_agent: str = ""

    def has_any(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an anonymous request came from, for the audit of failed logins."""

    client_ip: str = ""
    user_agent: str = ""
