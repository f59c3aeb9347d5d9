"""Who reads beyond their own department in the register, its transfers and its cases.

Pure rules on rows already loaded; the queries that gather them are in the services."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from docsvc.actors.actor import Actor
from docsvc.models import Role
from docsvc.models.register import RegisterEntry
from docsvc.models.transfers import Transfer

# Administrators, auditors and archivists read every department's entries, transfers and
# case histories; everyone else their own department's.
READ_ALL_ROLES = frozenset({Role.admin, Role.auditor, Role.archivist})


def reads_all(actor: Actor) -> bool:
    return bool(actor.roles & READ_ALL_ROLES)


def sees_entry(actor: Actor, entry: RegisterEntry) -> bool:
    """A register entry is its department's."""
    return entry.department_id == actor.department_id or reads_all(actor)


def sees_transfer(actor: Actor, transfer: Transfer) -> bool:
    """A transfer (and its receipt) is the sending and the receiving department's."""
    return actor.department_id in (
        transfer.from_department_id,
        transfer.to_department_id,
    ) or reads_all(actor)


def sees_case(actor: Actor, departments: Collection[uuid.UUID]) -> bool:
    """A case is seen by the departments that hold an entry in it, or sent or were sent a
    transfer in it (``departments``: all of those; empty for a case that does not exist).
    Only they may read its history, and only they may add to it."""
    return bool(departments) and (actor.department_id in departments or reads_all(actor))
