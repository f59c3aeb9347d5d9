"""Job API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class JobProgress(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: uuid.UUID
    kind: str
    queue: str
    # queued, running, succeeded, failed or cancelled.
    state: str
    progress: JobProgress
    attempts: int
    max_attempts: int
    result: dict[str, Any] | None
    # The last failure: kept while a retry waits, and when the job failed for good.
    error: str | None
    created_at: datetime
    # When a queued job may run next (its back-off after a failure).
    run_after: datetime
    started_at: datetime | None
    finished_at: datetime | None
