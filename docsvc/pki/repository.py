"""Queries on issued certificates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.models import IssuedCertificate


def by_serial(db: Session, serial: int) -> IssuedCertificate | None:
    return db.get(IssuedCertificate, format(serial, "x"))


def revoked(db: Session) -> Sequence[IssuedCertificate]:
    return db.scalars(
        select(IssuedCertificate)
        .where(IssuedCertificate.revoked_at.is_not(None))
        .order_by(IssuedCertificate.revoked_at)
    ).all()
