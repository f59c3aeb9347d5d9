"""The store's scheduled upkeep: copies left by processes that were killed, and stored
objects no row refers to (a crash between storing the bytes and committing the row)."""

from __future__ import annotations

from datetime import timedelta

from docsvc.maintenance.orphans import clean_orphans
from docsvc.maintenance.scratch import remove_dead_scratch
from docsvc.periodic import PeriodicTask
from docsvc.services import Services


def sweep_orphans(services: Services) -> None:
    remove_dead_scratch(services.settings)
    with services.sessions() as db:
        clean_orphans(
            db,
            services.store,
            grace=timedelta(minutes=services.settings.orphan_grace_minutes),
            upload_tmp_dir=services.settings.upload_tmp_dir,
        )
        db.commit()


# Start-up has just removed dead scratch copies: the first sweep waits an hour.
TASKS = (PeriodicTask("orphan sweep", timedelta(hours=1), sweep_orphans, wait_first=True),)
