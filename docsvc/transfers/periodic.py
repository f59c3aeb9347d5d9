"""Transfers due soon are reminded to their receiving departments."""

from __future__ import annotations

import logging
from datetime import timedelta

from docsvc.periodic import PeriodicTask
from docsvc.services import Services
from docsvc.transfers.reminders import send_reminders

log = logging.getLogger("docsvc.periodic")
REMINDER_INTERVAL = timedelta(minutes=30)


def remind_transfers(services: Services) -> None:
    with services.sessions() as db:
        reminded = send_reminders(db, services)
        db.commit()
    if reminded:
        log.info("reminded %d transfer(s) due soon", reminded)


TASKS = (PeriodicTask("transfer reminders", REMINDER_INTERVAL, remind_transfers),)
