"""Who may see and change a document: pure rules, used by the service and the queries."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from docsvc.actors.actor import Actor
from docsvc.models import Confidentiality, Role

# Roles that create documents and versions for their own department.
AUTHOR_ROLES = frozenset({Role.official, Role.registry_clerk, Role.legal})


def can_read(
    actor: Actor,
    owning_department_id: uuid.UUID,
    confidentiality: str,
    granted_department_ids: Collection[uuid.UUID],
) -> bool:
    """A confidential document is seen by its own department and by the departments it was
    sent to; internal and public ones by every account of the institution."""
    if actor.department_id == owning_department_id:
        return True
    if confidentiality == Confidentiality.confidential.value:
        return actor.department_id in granted_department_ids
    return True


def can_author(actor: Actor, owning_department_id: uuid.UUID) -> bool:
    return actor.department_id == owning_department_id and bool(actor.roles & AUTHOR_ROLES)
