"""Mailing the pending notifications: one SMTP connection per batch, every failure
recorded on its item.

Delivery is at least once: a crash between the server's acceptance and the commit mails
the item again on the next run, which is better than losing it.
"""

from __future__ import annotations

import contextlib
import email.errors
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.notifications import EmailStatus
from docsvc.notifications.mail import notification_email
from docsvc.notifications.repository import OutgoingEmail, due_emails
from docsvc.notifications.smtp import MESSAGE_ERRORS, smtp_connection
from docsvc.services import Services

log = logging.getLogger("docsvc.notifications")

BATCH_SIZE = 20
# When each attempt may be made, counted from the notification's creation: a mail server
# that is down is retried for about two hours before an item is given up, and a restart
# of the service does not start the schedule over.
RETRY_AFTER = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_AFTER)
ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class OutboxReport:
    sent: int = 0
    no_address: int = 0
    retrying: int = 0  # failed this time, and will be tried again
    failed: int = 0  # failed for the last time

    def __add__(self, other: OutboxReport) -> OutboxReport:
        return OutboxReport(
            self.sent + other.sent,
            self.no_address + other.no_address,
            self.retrying + other.retrying,
            self.failed + other.failed,
        )


def send_pending(
    services: Services, *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> OutboxReport:
    """Mail every item that is due at ``now`` (default: the current time), batch after
    batch. Stops after a batch with a failure, so that a server that is down is not asked
    again and again within one run. Does nothing while e-mail is off."""
    if not services.settings.smtp_enabled:
        return OutboxReport()
    now = now or utcnow()
    total = OutboxReport()
    while True:
        report, picked = _send_batch(services, now, batch_size)
        total += report
        if picked < batch_size or report.retrying or report.failed:
            return total


def _send_batch(services: Services, now: datetime, batch_size: int) -> tuple[OutboxReport, int]:
    settings = services.settings
    with services.sessions() as db:
        batch = due_emails(db, now, RETRY_AFTER, batch_size)
        addressed = [mail for mail in batch if mail.address is not None]
        errors = _deliver(settings, addressed) if addressed else []
        report = OutboxReport(no_address=len(batch) - len(addressed))
        for mail in batch:
            if mail.address is None:
                mail.item.email_status = EmailStatus.no_address.value
        for mail, error in zip(addressed, errors, strict=True):
            report += _record(mail, error)
        db.commit()
    return report, len(batch)


def _record(mail: OutgoingEmail, error: str | None) -> OutboxReport:
    item = mail.item
    if error is None:
        item.email_status = EmailStatus.sent.value
        item.emailed_at = utcnow()
        return OutboxReport(sent=1)
    item.email_attempts += 1
    # Kept after a later success too: it tells why the earlier attempts failed.
    item.email_error = error
    log.warning("e-mail for notification %s, attempt %d: %s", item.id, item.email_attempts, error)
    if item.email_attempts >= MAX_ATTEMPTS:
        item.email_status = EmailStatus.failed.value
        return OutboxReport(failed=1)
    return OutboxReport(retrying=1)


def _deliver(settings: Settings, mails: list[OutgoingEmail]) -> list[str | None]:
    """Send each mail over one connection, opened at the first; ``None`` for a mail the
    server accepted, else why not. Once the connection fails, the rest fail alike."""
    results: list[str | None] = []
    broken: str | None = None
    with contextlib.ExitStack() as stack:
        client: smtplib.SMTP | None = None
        for mail in mails:
            if broken is not None:
                results.append(broken)
                continue
            assert mail.address is not None
            try:
                message = notification_email(
                    settings,
                    address=mail.address,
                    full_name=mail.full_name,
                    kind=mail.item.kind,
                    params=mail.item.params,
                    legacy_message=mail.item.message,
                    line_title=mail.line_title,
                )
            except (ValueError, email.errors.MessageError) as exc:
                results.append(_describe(exc, settings))
                continue
            try:
                if client is None:
                    client = stack.enter_context(smtp_connection(settings))
                client.send_message(message)
            except MESSAGE_ERRORS as exc:
                results.append(_describe(exc, settings))
            except Exception as exc:  # connection, TLS, login, timeout: the server is out
                broken = _describe(exc, settings)
                results.append(broken)
            else:
                results.append(None)
    return results


def _describe(exc: Exception, settings: Settings) -> str:
    """A short, one-line reason to store; never the password, whatever a server echoes."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    password = settings.smtp_password.get_secret_value()
    if password:
        text = text.replace(password, "***")
    return text[:ERROR_CHARS]
