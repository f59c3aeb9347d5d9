"""Reminders before a transfer's deadline: once a transfer still owed an answer is due
within ``REMIND_BUSINESS_DAYS`` business days, every active official of the receiving
department finds a notice in the pages (and by e-mail when the service sends mail), once."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.calendar.business_days import add_business_days
from docsvc.calendar.local import local_date
from docsvc.db.base import utcnow
from docsvc.identity.repository import department_code
from docsvc.models import Document, Dossier, InboxItem, Role, User, UserRole
from docsvc.models.transfers import Transfer, TransferStatus
from docsvc.notifications import delivery
from docsvc.services import Services
from docsvc.transfers.answers import answers_of
from docsvc.transfers.service import holidays

REMIND_BUSINESS_DAYS = 1


def _title(db: Session, transfer: Transfer) -> str:
    if transfer.document_id is not None:
        document = db.get(Document, transfer.document_id)
        return document.title if document is not None else ""
    dossier = db.get(Dossier, transfer.dossier_id) if transfer.dossier_id else None
    return dossier.title if dossier is not None else ""


def _officials(db: Session, department_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        db.scalars(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.department_id == department_id,
                User.active.is_(True),
                UserRole.role == Role.official.value,
            )
        )
    )


def send_reminders(db: Session, services: Services) -> int:
    """Remind the departments of transfers due soon, in ``db``'s transaction (with the job
    that mails the reminders once it commits); how many transfers were reminded."""
    settings = services.settings
    today = local_date(settings)
    horizon = add_business_days(today, REMIND_BUSINESS_DAYS, holidays(db))
    due = db.scalars(
        select(Transfer)
        .where(
            Transfer.due_on.is_not(None),
            Transfer.due_on <= horizon,
            Transfer.due_on >= today,
            Transfer.reminded_at.is_(None),
            Transfer.status.in_([TransferStatus.sent.value, TransferStatus.acknowledged.value]),
        )
        .with_for_update(skip_locked=True)
    ).all()
    reminded = 0
    answers = answers_of(db, due)
    for transfer in due:
        transfer.reminded_at = utcnow()
        if not answers.awaits_answer(transfer):
            continue
        assert transfer.due_on is not None
        params = {
            "title": _title(db, transfer),
            "from": department_code(db, transfer.from_department_id),
            "due_on": transfer.due_on.isoformat(),
        }
        for user_id in _officials(db, transfer.to_department_id):
            db.add(
                InboxItem(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    transfer_id=transfer.id,
                    kind="transfer_due",
                    params=params,
                    email_status="pending" if settings.smtp_enabled else None,
                )
            )
            if settings.smtp_enabled:
                delivery.mail_after_commit(db, services)
        reminded += 1
    return reminded
