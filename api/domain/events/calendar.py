"""A calendar of meetings and events: of one person, or of the whole organisation."""

from __future__ import annotations

import datetime
from typing import Literal
from uuid import UUID

import msgspec

from api.context import TenantContext
from api.domain.events.services import EventFilter, EventService
from api.domain.meetings.services import MeetingFilter, MeetingService
from api.errors import DomainError
from api.paging import Paging

MAX_SPAN = datetime.timedelta(days=366)
_ALL = 10_000


class CalendarEntry(msgspec.Struct):
    type: Literal["meeting", "event"]
    id: UUID
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    place: str | None
    body_kind: str | None
    body_id: UUID | None
    body_name: str | None
    event_kind: str | None


async def work_calendar(
    context: TenantContext, starts_from: datetime.datetime, starts_before: datetime.datetime, staff_id: UUID | None
) -> list[CalendarEntry]:
    if starts_before <= starts_from:
        raise DomainError("The end of the period must come after its start.", field="to")
    if starts_before - starts_from > MAX_SPAN:
        raise DomainError("A calendar covers at most a year at a time.", field="to")
    meetings = await MeetingService(context).list(
        MeetingFilter(starts_from=starts_from, starts_before=starts_before, staff_id=staff_id), Paging(1, _ALL)
    )
    events = await EventService(context).list(
        EventFilter(starts_from=starts_from, starts_before=starts_before, staff_id=staff_id), Paging(1, _ALL)
    )
    entries = [
        CalendarEntry(
            "meeting",
            m.id,
            m.title or m.body_name or "",
            m.starts_at,
            m.ends_at,
            m.place,
            m.body_kind,
            m.body_id,
            m.body_name,
            None,
        )
        for m in meetings.items
    ] + [
        CalendarEntry(
            "event",
            e.id,
            e.title,
            e.starts_at,
            e.ends_at,
            e.place,
            e.organiser_body_kind,
            e.organiser_body_id,
            None,
            e.kind.value,
        )
        for e in events.items
    ]
    return sorted(entries, key=lambda e: (e.starts_at, e.title))
