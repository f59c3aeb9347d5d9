"""The register gets a signed checkpoint whenever its log has grown."""

from __future__ import annotations

import logging

from docsvc.ledger.checkpoints import CHECKPOINT_INTERVAL, checkpoint_if_grown
from docsvc.periodic import PeriodicTask
from docsvc.pki.authorities import checkpoint_signer
from docsvc.services import Services

log = logging.getLogger("docsvc.periodic")


def checkpoint_register(services: Services) -> None:
    with services.sessions() as db:
        made = checkpoint_if_grown(db, services.settings, checkpoint_signer(services.keys))
        db.commit()
    if made is not None:
        log.info("register checkpoint at size %d", made.size)


TASKS = (PeriodicTask("register checkpoint", CHECKPOINT_INTERVAL, checkpoint_register),)
