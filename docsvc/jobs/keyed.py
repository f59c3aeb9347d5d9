"""Jobs that act for an official with her key: a batch of signatures, a dossier's index.

The request that opened the key (with the PIN, or from her signing session) enqueues the
job in its own transaction, the key sealed to each live runner serving the queue
(``docsvc.jobs.sealing``), and who she is (her id, address and browser, as the audit
trail records them) in the payload. The runner that claims it opens the key and acts as
her (``actor_of``). One helper for every feature, so that a key travels one way only."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import actor_for
from docsvc.errors import ServiceUnavailable
from docsvc.jobs import queue
from docsvc.jobs.handlers import JobGaveUp
from docsvc.jobs.runner import wake_local
from docsvc.models import Job, User
from docsvc.services import Services

NoLiveWorker = queue.NoLiveWorker


def enqueue_with_key(
    db: Session,
    services: Services,
    actor: Actor,
    kind: str,
    payload: Mapping[str, Any],
    *,
    queue_name: str,
    key: bytes,
    max_attempts: int,
) -> Job:
    """Queue ``kind`` in ``db``'s transaction for ``actor``, who owns it (she reads it
    through the API), with ``key`` (her PKCS#12 without a password) sealed to the runners
    seen within the stale period; this process's runners wake at commit. ``NoLiveWorker``
    when none runs: the caller says so (``no_worker``) or keeps the work for later."""
    return queue.enqueue(
        db,
        kind,
        {
            **payload,
            "user_id": str(actor.user_id),
            "client_ip": actor.client_ip,
            "user_agent": actor.user_agent,
        },
        queue=queue_name,
        owner=actor.user_id,
        max_attempts=max_attempts,
        secret=key,
        live_within=timedelta(seconds=services.settings.job_stale_seconds),
        on_commit=lambda: wake_local(services),
    )


def no_worker(message: str) -> ServiceUnavailable:
    """The answer to a request whose key no runner could take (503 ``no_job_worker``)."""
    return ServiceUnavailable(message, code="no_job_worker")


def actor_of(services: Services, payload: Mapping[str, Any]) -> Actor:
    """Who the job acts as: its owner, as the request that enqueued it saw her. A user
    gone or deactivated since gives the job up (``JobGaveUp``)."""
    with services.sessions() as db:
        user = db.get(User, uuid.UUID(str(payload["user_id"])))
        if user is None or not user.active:
            raise JobGaveUp("the job's owner can no longer act")
        origin = Origin(str(payload.get("client_ip", "")), str(payload.get("user_agent", "")))
        return actor_for(user, origin)
