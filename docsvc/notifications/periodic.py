"""E-mail copies of inbox notifications, sent from the outbox when an SMTP server is set."""

from __future__ import annotations

from datetime import timedelta

from docsvc.config import Settings
from docsvc.notifications.outbox import send_pending
from docsvc.periodic import PeriodicTask


def _smtp_enabled(settings: Settings) -> bool:
    return settings.smtp_enabled


# Officials expect the e-mail soon after the inbox entry; the outbox is cheap when empty.
TASKS = (PeriodicTask("e-mail outbox", timedelta(seconds=5), send_pending, enabled=_smtp_enabled),)
