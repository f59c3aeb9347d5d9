"""Gapless registry numbers per department, direction and year.

The counter row is incremented with one ``UPDATE ... RETURNING`` in the transaction that
writes the entry. PostgreSQL holds that row's lock, and SQLite its single write lock, until
the transaction ends, so concurrent registrations queue on it; a transaction that rolls
back gives its number back, so the numbers that exist are 1, 2, 3, ... with none missing
and none twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docsvc.models.register import DIRECTION_LETTERS, Direction, RegisterCounter

SEQUENCE_DIGITS = 6


def registry_number(department_code: str, direction: Direction, year: int, sequence: int) -> str:
    """``DAJ-E-2026-000042``: department, E (incoming) or S (outgoing), year, sequence."""
    return f"{department_code}-{DIRECTION_LETTERS[direction]}-{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def next_sequence(db: Session, department_id: uuid.UUID, direction: Direction, year: int) -> int:
    increment = (
        update(RegisterCounter)
        .where(
            RegisterCounter.department_id == department_id,
            RegisterCounter.direction == direction.value,
            RegisterCounter.year == year,
        )
        .values(last=RegisterCounter.last + 1)
        .returning(RegisterCounter.last)
    )
    value = db.execute(increment).scalar_one_or_none()
    if value is not None:
        return int(value)
    # The first entry of its year: create the counter. Two first entries may race; the
    # loser's insert fails on the primary key and it increments the winner's row.
    try:
        with db.begin_nested():
            db.add(
                RegisterCounter(
                    department_id=department_id, direction=direction.value, year=year, last=0
                )
            )
    except IntegrityError:
        pass
    return int(db.execute(increment).scalar_one())
