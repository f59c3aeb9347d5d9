"""The visibility rules, exhaustively over departments, roles and confidentiality."""

from __future__ import annotations

import uuid

import pytest

from docsvc.actors.actor import Actor
from docsvc.documents.access import can_author, can_read
from docsvc.models import Confidentiality, Role

OWN, OTHER, GRANTED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def actor(department: uuid.UUID, *roles: Role) -> Actor:
    return Actor(uuid.uuid4(), "u", "U", department, frozenset(roles))


@pytest.mark.parametrize("level", list(Confidentiality))
@pytest.mark.parametrize("role", list(Role))
def test_read_rules(level: Confidentiality, role: Role) -> None:
    assert can_read(actor(OWN, role), OWN, level.value, ())
    granted = can_read(actor(GRANTED, role), OWN, level.value, (GRANTED,))
    assert granted
    outsider = can_read(actor(OTHER, role), OWN, level.value, (GRANTED,))
    assert outsider == (level is not Confidentiality.confidential)


@pytest.mark.parametrize("role", list(Role))
def test_author_rules(role: Role) -> None:
    expected = role in {Role.official, Role.registry_clerk, Role.legal}
    assert can_author(actor(OWN, role), OWN) == expected
    assert not can_author(actor(OTHER, role), OWN)
