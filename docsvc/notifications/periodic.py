"""E-mail copies of inbox notifications are mailed by jobs (``delivery``); the periodic
task is only their safety net, when an SMTP server is set."""

from __future__ import annotations

from datetime import timedelta

from docsvc.notifications.delivery import rescue, smtp_enabled
from docsvc.periodic import PeriodicTask

# Each notification's transaction queues its own job, so this only finds a job that was
# lost: slow, and once per deployment.
TASKS = (PeriodicTask("e-mail outbox", timedelta(minutes=3), rescue, enabled=smtp_enabled),)
