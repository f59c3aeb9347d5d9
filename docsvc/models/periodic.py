"""Turns of the periodic work, shared by every process of a deployment, so that work done
once per deployment (a register checkpoint, a sweep of the store) is done once per period
whatever the number of app processes or hosts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime


class PeriodicTurn(Base):
    __tablename__ = "periodic_turns"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The next turn may be taken from this moment on; taking it moves it to the start of
    # the next period (docsvc.periodic).
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who took the last turn (host and process id) and when, for the operators.
    taken_by: Mapped[str] = mapped_column(String(200), default="")
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
