from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access
from api.context import TenantContext
from api.domain.events.calendar import CalendarEntry, work_calendar
from api.domain.events.rules import EventKind
from api.domain.events.schemas import EventCreate, EventRead, EventUpdate
from api.domain.events.services import EventFilter, EventService, to_read
from api.domain.meetings.roles import KEEP, READ
from api.paging import Page, Paging, paging_by


class EventController(Controller):
    path = "/api/organisations/{organisation_id:uuid}/events"
    tags = ["events"]

    @get(
        "/",
        name="events:list",
        operation_id="ListEvents",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(20)},
    )
    async def list_events(
        self,
        events: NamedDependency[EventService],
        paging: NamedDependency[Paging],
        kind: FromQuery[EventKind | None] = None,
        starts_from: FromQuery[datetime.datetime | None] = None,
        starts_before: FromQuery[datetime.datetime | None] = None,
        organiser_body_kind: FromQuery[str | None] = None,
        organiser_body_id: FromQuery[UUID | None] = None,
        staff_id: Annotated[UUID | None, Parameter(description="Events this person takes part in")] = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[EventRead]:
        return await events.list(
            EventFilter(
                kind,
                starts_from,
                starts_before,
                organiser_body_kind,
                organiser_body_id,
                staff_id,
                include_archived,
            ),
            paging,
        )

    @post("/", name="events:create", operation_id="CreateEvent", opt=access(Scope.TENANT, KEEP))
    async def create(self, events: NamedDependency[EventService], data: JSONBody[EventCreate]) -> EventRead:
        return to_read(await events.create(data))

    @get("/{event_id:uuid}", name="events:detail", operation_id="GetEvent", opt=access(Scope.TENANT, READ))
    async def detail(self, events: NamedDependency[EventService], event_id: FromPath[UUID]) -> EventRead:
        return to_read(await events.get(event_id))

    @patch("/{event_id:uuid}", name="events:update", operation_id="UpdateEvent", opt=access(Scope.TENANT, KEEP))
    async def update(
        self, events: NamedDependency[EventService], event_id: FromPath[UUID], data: JSONBody[EventUpdate]
    ) -> EventRead:
        """Participants and materials, when given, replace the lists; the outcome once it took place."""
        return to_read(await events.update(event_id, data))

    @post(
        "/{event_id:uuid}/archive",
        name="events:archive",
        operation_id="ArchiveEvent",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def archive(self, events: NamedDependency[EventService], event_id: FromPath[UUID]) -> EventRead:
        return to_read(await events.archive(event_id))


class WorkCalendarController(Controller):
    """Meetings and events together: above both packages, so it lives with events, the upper one.
    Listed under the meetings tag, where the route has always been."""

    path = "/api/organisations/{organisation_id:uuid}"
    tags = ["meetings"]

    @get("/work-calendar", name="meetings:calendar", operation_id="GetWorkCalendar", opt=access(Scope.TENANT, READ))
    async def calendar(
        self,
        context: NamedDependency[TenantContext],
        starts_from: Annotated[datetime.datetime, Parameter(query="from")],
        starts_before: Annotated[datetime.datetime, Parameter(query="to")],
        staff_id: Annotated[
            UUID | None, Parameter(description="One person's calendar; the organisation's when left out")
        ] = None,
    ) -> list[CalendarEntry]:
        return await work_calendar(context, starts_from, starts_before, staff_id)
