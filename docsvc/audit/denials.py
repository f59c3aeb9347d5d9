"""Denials in the audit trail: every refused access (a 403, 404 or 423 from a check, a
wrong PIN, a PIN lockout) is an event with who, what object, from where and why (the
error's code).

A denial ends in an error, and the request's transaction rolls back with it; so a denial
is written in a transaction of its own. Two ways in:

- ``docsvc.http_errors`` records every ``PermissionDenied``, ``NotFound`` and ``Locked``
  answered to an authenticated caller (``record_request_denial``), whatever raised it;
- code that must record a denial with more precision than the HTTP layer has (the
  credential whose PIN was wrong, a lockout it caused), or on a path that never becomes
  an HTTP error (a page that shows it, a batch), calls ``record_denial`` and raises what
  it returns: the HTTP layer then does not record it a second time.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from docsvc.actors.actor import Actor, Origin
from docsvc.audit.service import JsonScalar
from docsvc.errors import DomainError, Locked, NotFound, PermissionDenied
from docsvc.models import AuditEvent, User

log = logging.getLogger("docsvc.audit")

E = TypeVar("E", bound=DomainError)

# The errors that are denials: the caller's role or department does not allow it, the
# object is not theirs to know of, or signing is locked.
DENIALS: tuple[type[DomainError], ...] = (PermissionDenied, NotFound, Locked)

DENIED_ACTION = "access.denied"
_RECORDED = "_docsvc_denial_recorded"


def is_denial(error: DomainError) -> bool:
    return isinstance(error, DENIALS)


def already_recorded(error: BaseException) -> bool:
    return bool(getattr(error, _RECORDED, False))


def record_denial(
    sessions: sessionmaker[Session],
    actor: Actor | None,
    error: E,
    *,
    action: str = DENIED_ACTION,
    object_type: str = "",
    object_id: str = "",
    user_id: uuid.UUID | None = None,
    origin: Origin | None = None,
    details: Mapping[str, JsonScalar | list[str]] | None = None,
) -> E:
    """Write the denial ``error`` as an audit event, in its own transaction (committed
    whatever the caller's transaction does next), and return ``error`` marked as recorded:
    ``raise record_denial(services.sessions, actor, PermissionDenied(...), ...)``.

    ``actor`` is who was refused; without one, ``user_id`` names the account (its username
    is looked up) and ``origin`` where the call came from. ``details`` are added to the
    error's code and status. A failure to write is logged, never raised: the caller's own
    error is what the user must see. The caller's transaction must not hold a write lock
    that the audit insert would wait for (on SQLite: nothing written yet).
    """
    try:
        with sessions() as db:
            username = actor.username if actor else ""
            if actor is None and user_id is not None:
                user = db.get(User, user_id)
                username = user.username if user else ""
            client_ip = actor.client_ip if actor else (origin.client_ip if origin else "")
            user_agent = actor.user_agent if actor else (origin.user_agent if origin else "")
            db.add(
                AuditEvent(
                    actor_id=actor.user_id if actor else user_id,
                    actor_username=username,
                    action=action[:64],
                    object_type=object_type[:32],
                    object_id=object_id[:64],
                    department_id=actor.department_id if actor else None,
                    client_ip=client_ip[:64],
                    user_agent=user_agent[:300],
                    outcome="denied",
                    details=json.dumps(
                        {
                            **dict(details or {}),
                            "code": error.code,
                            "status": error.status_code,
                        },
                        ensure_ascii=False,
                        sort_keys=True,
                    ),
                )
            )
            db.commit()
    except SQLAlchemyError:
        log.exception("could not record the denial %s (%s)", action, error.code)
    else:
        setattr(error, _RECORDED, True)
    return error


def note_denial(
    sessions: sessionmaker[Session],
    actor: Actor | None,
    error: E,
    *,
    object_type: str = "",
    object_id: str = "",
    details: Mapping[str, JsonScalar | list[str]] | None = None,
) -> E:
    """``record_denial`` for code that catches any ``DomainError`` and shows it (a page):
    it records ``error`` only if it is a denial not yet recorded, and returns it."""
    if is_denial(error) and not already_recorded(error):
        record_denial(
            sessions,
            actor,
            error,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )
    return error


# A route's first path parameter names the object it is about; these read better under
# another name than the parameter's.
_OBJECT_TYPES = {
    "line_id": "signing_line",
    "job_id": "batch",
    "entry_id": "register_entry",
    "pending_id": "pending_signature",
    "index": "register_leaf",
    "code": "verification_code",
    "request_id": "role_request",
    "day": "holiday",
    "username": "user",
}


def object_of(route: str, path_params: Mapping[str, object]) -> tuple[str, str]:
    """What a request was about: the type and id of its route's first path parameter
    (``/api/v1/documents/{document_id}/content`` → ``("document", "<id>")``), or, for a
    route without one, its resource (``/api/v1/audit/events`` → ``("audit", "")``)."""
    for name, value in path_params.items():
        kind = _OBJECT_TYPES.get(name, name.removesuffix("_id"))
        return kind, str(value)
    parts = [p for p in route.split("/") if p and p not in ("api", "v1")]
    return (parts[0] if parts else ""), ""


def record_request_denial(
    sessions: sessionmaker[Session],
    actor: Actor,
    error: DomainError,
    *,
    method: str,
    route: str,
    path_params: Mapping[str, object],
) -> None:
    """The HTTP layer's record of a denial answered to ``actor``."""
    object_type, object_id = object_of(route, path_params)
    details: dict[str, JsonScalar | list[str]] = {"method": method, "route": route[:200]}
    for name, value in path_params.items():
        details.setdefault(f"param.{name}", str(value)[:200])
    record_denial(
        sessions, actor, error, object_type=object_type, object_id=object_id, details=details
    )
