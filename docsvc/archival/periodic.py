"""The archive's periodic work: archival transfers the archive has acknowledged are
completed (their holdings move to the central archive, under retention), and closed
dossiers get the dates their retention rule gives."""

from __future__ import annotations

import logging
from datetime import timedelta

from docsvc.archival.archive_transfers import receive_acknowledged
from docsvc.archival.holdings import refresh_schedules
from docsvc.periodic import PeriodicTask
from docsvc.services import Services

log = logging.getLogger("docsvc.periodic")
ARCHIVE_INTERVAL = timedelta(minutes=5)


def archive_upkeep(services: Services) -> None:
    with services.sessions() as db:
        received = receive_acknowledged(db, services)
        scheduled = refresh_schedules(db, services.settings)
        db.commit()
    if received or scheduled:
        log.info("archive: %d transfer(s) received, %d holding(s) scheduled", received, scheduled)


TASKS = (PeriodicTask("archive upkeep", ARCHIVE_INTERVAL, archive_upkeep),)
