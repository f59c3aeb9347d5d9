"""Reads the archive grants beyond a department's own: an archivist reads every record the
archive holds (central and historical phases), confidential ones included; an office reads
an archived record lent to it until it is returned or its return day has ended. Each read
is audited by the service that serves it, like any other. Office-phase records keep their
department's rules: a confidential one still needs a grant."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from docsvc.actors.actor import Actor
from docsvc.db.base import utcnow
from docsvc.models import (
    ArchiveHolding,
    ArchiveLoan,
    ArchivePhase,
    Document,
    Dossier,
    DossierItem,
    LoanStatus,
    Role,
)

# What the archive holds, and the stubs of what it disposed of (their description stays).
ARCHIVED = (
    ArchivePhase.central.value,
    ArchivePhase.historical.value,
    ArchivePhase.disposed.value,
)


def _holding_covers_document() -> ColumnElement[bool]:
    """The holding is the document's own, its dossier's, or the dossier whose index it is."""
    return or_(
        ArchiveHolding.document_id == Document.id,
        ArchiveHolding.dossier_id.in_(
            select(DossierItem.dossier_id).where(DossierItem.document_id == Document.id)
        ),
        ArchiveHolding.dossier_id.in_(
            select(Dossier.id).where(Dossier.sealed_index_id == Document.id)
        ),
    )


def _grants(actor: Actor, covers: ColumnElement[bool]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if actor.has_any(Role.archivist):
        conditions.append(exists().where(covers, ArchiveHolding.phase.in_(ARCHIVED)))
    conditions.append(
        exists().where(
            covers,
            ArchiveLoan.holding_id == ArchiveHolding.id,
            ArchiveLoan.department_id == actor.department_id,
            ArchiveLoan.status == LoanStatus.lent.value,
            # Until the end of its return day: an overdue loan no longer opens the record.
            ArchiveLoan.lent_until > utcnow(),
        )
    )
    return or_(*conditions) if conditions else false()


def archive_reads_document(actor: Actor) -> ColumnElement[bool]:
    """A condition on ``Document``: the archive lets ``actor`` read it."""
    return _grants(actor, _holding_covers_document())


def archive_reads_dossier(actor: Actor) -> ColumnElement[bool]:
    """A condition on ``Dossier``: the archive lets ``actor`` read it."""
    return _grants(actor, and_(ArchiveHolding.dossier_id == Dossier.id))


def disposed_condition() -> ColumnElement[bool]:
    """A condition on ``Document``: a disposal eliminated its content."""
    return exists().where(
        _holding_covers_document(), ArchiveHolding.phase == ArchivePhase.disposed.value
    )
