"""The holiday calendar under /api/v1/calendar: read by everyone, kept by administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import extract, select

from docsvc.audit.service import record_event
from docsvc.deps import ActorDep, DbSession
from docsvc.errors import Conflict, NotFound, PermissionDenied
from docsvc.models import Holiday, Role

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class HolidayIn(BaseModel):
    day: date
    name: str = Field(min_length=1, max_length=200)


class HolidayOut(BaseModel):
    day: date
    name: str


@router.get("/holidays")
def list_holidays(
    actor: ActorDep, db: DbSession, year: Annotated[int | None, Query(ge=1900, le=9999)] = None
) -> list[HolidayOut]:
    query = select(Holiday).order_by(Holiday.day)
    if year is not None:
        query = query.where(extract("year", Holiday.day) == year)
    return [HolidayOut(day=h.day, name=h.name) for h in db.scalars(query)]


@router.post("/holidays", status_code=201)
def add_holiday(body: HolidayIn, actor: ActorDep, db: DbSession) -> HolidayOut:
    """Declare a holiday: business-day deadlines computed from now on skip it."""
    if Role.admin not in actor.roles:
        raise PermissionDenied("Administrators keep the calendar.", code="not_admin")
    if db.get(Holiday, body.day) is not None:
        raise Conflict(f"{body.day} is already a holiday.", code="holiday_exists")
    db.add(Holiday(day=body.day, name=body.name.strip()))
    record_event(
        db, actor, "calendar.holiday_add", object_type="holiday", object_id=body.day.isoformat()
    )
    return HolidayOut(day=body.day, name=body.name.strip())


@router.delete("/holidays/{day}", status_code=204)
def remove_holiday(day: date, actor: ActorDep, db: DbSession) -> None:
    if Role.admin not in actor.roles:
        raise PermissionDenied("Administrators keep the calendar.", code="not_admin")
    holiday = db.get(Holiday, day)
    if holiday is None:
        raise NotFound(f"{day} is not a holiday.", code="holiday_not_found")
    db.delete(holiday)
    record_event(
        db, actor, "calendar.holiday_remove", object_type="holiday", object_id=day.isoformat()
    )
