"""Who is making a request: the value every service function receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

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
    # The login session the request came with (its token's SHA-256, as the database keeps
    # it), and a key derived from the token itself, which only the client holds: it opens
    # the signing session sealed for this login (``docsvc.signatures.sessions``).
    session_id: str | None = None
    session_key: bytes | None = field(default=None, repr=False, compare=False)

    def has_any(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an anonymous request came from, for the audit of failed logins."""

    client_ip: str = ""
    user_agent: str = ""
