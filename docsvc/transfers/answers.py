"""Whether transfers have had their answer, asked of the database once for a whole list:
an inbox, a sent box or the deadlines show dozens of transfers, and asking per transfer
cost a handful of queries each."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docsvc.models import SignatureRecord, User
from docsvc.models.transfers import Transfer, TransferPurpose, TransferStatus

# What asks the receiving department for more than a receipt.
ANSWERED_PURPOSES = frozenset(
    {
        TransferPurpose.action.value,
        TransferPurpose.signature.value,
        TransferPurpose.reply.value,
    }
)


@dataclass(frozen=True)
class Answers:
    """Of a list of transfers: those replied to, and those "for signature" whose document
    someone of the receiving department has signed since."""

    replied: frozenset[uuid.UUID]
    signed: frozenset[uuid.UUID]

    def awaits_answer(self, transfer: Transfer) -> bool:
        """Whether the receiving department still owes it something: a receipt (until it
        acknowledges or returns it), then, for what asks for action, a signature or a
        reply, that answer."""
        if transfer.status == TransferStatus.sent.value:
            return True
        if transfer.status == TransferStatus.returned.value:
            return False
        return (
            transfer.purpose in ANSWERED_PURPOSES
            and transfer.id not in self.replied
            and transfer.id not in self.signed
        )

    def is_open(self, transfer: Transfer) -> bool:
        """Open against its deadline: it has one, and is still owed an answer."""
        return transfer.due_on is not None and self.awaits_answer(transfer)


def answers_of(db: Session, transfers: Sequence[Transfer]) -> Answers:
    """Two queries, however many transfers."""
    ids = [t.id for t in transfers]
    replied: frozenset[uuid.UUID] = frozenset()
    if ids:
        rows = db.scalars(select(Transfer.reply_to_id).where(Transfer.reply_to_id.in_(ids)))
        replied = frozenset(r for r in rows if r is not None)
    return Answers(replied=replied, signed=_signed(db, transfers))


def _signed(db: Session, transfers: Collection[Transfer]) -> frozenset[uuid.UUID]:
    asking = [
        (t, t.document_id)
        for t in transfers
        if t.purpose == TransferPurpose.signature.value and t.document_id is not None
    ]
    if not asking:
        return frozenset()
    # The latest signature of each document by each department, then compared with when
    # each transfer was sent (``max`` keeps the column's type: aware UTC on both databases).
    latest = {
        (document_id, department_id): signed_at
        for document_id, department_id, signed_at in db.execute(
            select(
                SignatureRecord.document_id,
                User.department_id,
                func.max(SignatureRecord.signed_at),
            )
            .join(User, User.id == SignatureRecord.signer_id)
            .where(SignatureRecord.document_id.in_({document_id for _, document_id in asking}))
            .group_by(SignatureRecord.document_id, User.department_id)
        )
    }
    return frozenset(
        t.id
        for t, document_id in asking
        if (signed_at := latest.get((document_id, t.to_department_id))) is not None
        and signed_at >= t.created_at
    )
