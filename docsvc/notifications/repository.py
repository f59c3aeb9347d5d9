"""Queries of the e-mail outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from docsvc.models import User
from docsvc.models.signing_lines import InboxItem, SigningLine
from docsvc.notifications import EmailStatus


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """A pending notification with what its e-mail needs; ``item`` is updated in place."""

    item: InboxItem
    address: str | None
    full_name: str
    line_title: str


def due_emails(
    db: Session, now: datetime, retry_after: Sequence[timedelta], limit: int
) -> list[OutgoingEmail]:
    """Pending items whose next attempt is due, oldest first.

    ``retry_after[n]`` is how long after its creation an item may have its attempt n + 1.
    On PostgreSQL the rows stay locked until the caller's transaction ends, and rows that
    another process has locked are skipped, so that two workers never mail the same item.
    """
    due = or_(
        *(
            and_(InboxItem.email_attempts == attempts, InboxItem.created_at <= now - wait)
            for attempts, wait in enumerate(retry_after)
        )
    )
    rows = db.execute(
        select(InboxItem, User.email, User.full_name, SigningLine.title)
        .join(User, User.id == InboxItem.user_id)
        .outerjoin(SigningLine, SigningLine.id == InboxItem.line_id)
        .where(InboxItem.email_status == EmailStatus.pending.value, due)
        .order_by(InboxItem.created_at, InboxItem.id)
        .limit(limit)
        .with_for_update(of=InboxItem, skip_locked=True)
    ).all()
    # A transfer's reminder has no line: its title is among its parameters.
    return [
        OutgoingEmail(
            item,
            (email or "").strip() or None,
            full_name,
            title if title is not None else (item.params or {}).get("title", ""),
        )
        for item, email, full_name, title in rows
    ]


def next_due(db: Session, retry_after: Sequence[timedelta]) -> datetime | None:
    """When the first pending item may have its next attempt (it may be past): None when
    nothing is pending. One row per number of attempts made, so it reads few rows."""
    rows = db.execute(
        select(InboxItem.email_attempts, func.min(InboxItem.created_at))
        .where(InboxItem.email_status == EmailStatus.pending.value)
        .group_by(InboxItem.email_attempts)
    ).all()
    times = [
        created + retry_after[attempts]
        for attempts, created in rows
        if created is not None and 0 <= attempts < len(retry_after)
    ]
    return min(times, default=None)
