"""The holiday calendar under /api/v1/calendar: read by everyone, kept by administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from docsvc.calendar import holidays
from docsvc.calendar.holidays import HolidayIn, HolidayOut
from docsvc.deps import ActorDep, DbSession

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.get("/holidays")
def list_holidays(
    actor: ActorDep, db: DbSession, year: Annotated[int | None, Query(ge=1900, le=9999)] = None
) -> list[HolidayOut]:
    return holidays.list_holidays(db, year)


@router.post("/holidays", status_code=201)
def add_holiday(body: HolidayIn, actor: ActorDep, db: DbSession) -> HolidayOut:
    """Declare a holiday: business-day deadlines computed from now on skip it."""
    return holidays.add_holiday(db, actor, body)


@router.delete("/holidays/{day}", status_code=204)
def remove_holiday(day: date, actor: ActorDep, db: DbSession) -> None:
    holidays.remove_holiday(db, actor, day)
