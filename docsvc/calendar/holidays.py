"""The institution's holidays: read by everyone, kept by administrators. Business-day
deadlines computed from now on skip them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.errors import Conflict, NotFound, PermissionDenied
from docsvc.models import Holiday, Role


class HolidayIn(BaseModel):
    day: date
    name: str = Field(min_length=1, max_length=200)


class HolidayOut(BaseModel):
    day: date
    name: str


def _admin_only(actor: Actor) -> None:
    if Role.admin not in actor.roles:
        raise PermissionDenied("Administrators keep the calendar.", code="not_admin")


def list_holidays(db: Session, year: int | None = None) -> list[HolidayOut]:
    query = select(Holiday).order_by(Holiday.day)
    if year is not None:
        query = query.where(extract("year", Holiday.day) == year)
    return [HolidayOut(day=h.day, name=h.name) for h in db.scalars(query)]


def add_holiday(db: Session, actor: Actor, body: HolidayIn) -> HolidayOut:
    _admin_only(actor)
    if db.get(Holiday, body.day) is not None:
        raise Conflict(f"{body.day} is already a holiday.", code="holiday_exists")
    db.add(Holiday(day=body.day, name=body.name.strip()))
    record_event(
        db, actor, "calendar.holiday_add", object_type="holiday", object_id=body.day.isoformat()
    )
    return HolidayOut(day=body.day, name=body.name.strip())


def remove_holiday(db: Session, actor: Actor, day: date) -> None:
    _admin_only(actor)
    holiday = db.get(Holiday, day)
    if holiday is None:
        raise NotFound(f"{day} is not a holiday.", code="holiday_not_found")
    db.delete(holiday)
    record_event(
        db, actor, "calendar.holiday_remove", object_type="holiday", object_id=day.isoformat()
    )
