from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access
from api.clock import today
from api.domain.meetings.roles import KEEP, READ
from api.domain.meetings.schemas import (
    AgendaItemCreate,
    AgendaItemRead,
    AgendaItemUpdate,
    AttendanceEntry,
    DecisionCreate,
    DecisionRead,
    DecisionUpdate,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
    QuarterComplianceReport,
    QuorumRead,
)
from api.domain.meetings.services import MeetingFilter, MeetingService
from api.paging import Page, Paging, paging_by
from api.responses import response_of


class MeetingController(Controller):
    path = "/api/organisations/{organisation_id:uuid}"
    tags = ["meetings"]

    @get(
        "/meetings",
        name="meetings:list",
        operation_id="ListMeetings",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(20)},
    )
    async def list_meetings(
        self,
        meetings: NamedDependency[MeetingService],
        paging: NamedDependency[Paging],
        body_kind: FromQuery[str | None] = None,
        body_id: FromQuery[UUID | None] = None,
        starts_from: FromQuery[datetime.datetime | None] = None,
        starts_before: FromQuery[datetime.datetime | None] = None,
        staff_id: Annotated[UUID | None, Parameter(description="Meetings of the bodies this person belongs to")] = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[MeetingRead]:
        return await meetings.list(
            MeetingFilter(body_kind, body_id, starts_from, starts_before, staff_id, include_archived), paging
        )

    @post("/meetings", name="meetings:create", operation_id="CreateMeeting", opt=access(Scope.TENANT, KEEP))
    async def create(self, meetings: NamedDependency[MeetingService], data: JSONBody[MeetingCreate]) -> MeetingRead:
        return await meetings.to_read(await meetings.create(data))

    @get(
        "/meetings/{meeting_id:uuid}", name="meetings:detail", operation_id="GetMeeting", opt=access(Scope.TENANT, READ)
    )
    async def detail(self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID]) -> MeetingRead:
        return await meetings.read(meeting_id)

    @patch(
        "/meetings/{meeting_id:uuid}",
        name="meetings:update",
        operation_id="UpdateMeeting",
        opt=access(Scope.TENANT, KEEP),
    )
    async def update(
        self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID], data: JSONBody[MeetingUpdate]
    ) -> MeetingRead:
        """Date, place, title and the minutes' text."""
        return await meetings.to_read(await meetings.update(meeting_id, data))

    @post(
        "/meetings/{meeting_id:uuid}/archive",
        name="meetings:archive",
        operation_id="ArchiveMeeting",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def archive(self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID]) -> MeetingRead:
        return await meetings.to_read(await meetings.archive(meeting_id))

    @post(
        "/meetings/{meeting_id:uuid}/agenda",
        name="meetings:agenda-add",
        operation_id="AddAgendaItem",
        opt=access(Scope.TENANT, KEEP),
    )
    async def add_agenda_item(
        self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID], data: JSONBody[AgendaItemCreate]
    ) -> AgendaItemRead:
        item = await meetings.add_agenda_item(meeting_id, data)
        return response_of(AgendaItemRead, item)

    @patch(
        "/meetings/{meeting_id:uuid}/agenda/{item_id:uuid}",
        name="meetings:agenda-update",
        operation_id="UpdateAgendaItem",
        opt=access(Scope.TENANT, KEEP),
    )
    async def update_agenda_item(
        self,
        meetings: NamedDependency[MeetingService],
        meeting_id: FromPath[UUID],
        item_id: FromPath[UUID],
        data: JSONBody[AgendaItemUpdate],
    ) -> AgendaItemRead:
        item = await meetings.update_agenda_item(meeting_id, item_id, data)
        return response_of(AgendaItemRead, item)

    @post(
        "/meetings/{meeting_id:uuid}/agenda/{item_id:uuid}/remove",
        name="meetings:agenda-remove",
        operation_id="RemoveAgendaItem",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def remove_agenda_item(
        self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID], item_id: FromPath[UUID]
    ) -> MeetingRead:
        await meetings.remove_agenda_item(meeting_id, item_id)
        return await meetings.read(meeting_id)

    @put(
        "/meetings/{meeting_id:uuid}/attendance",
        name="meetings:attendance",
        operation_id="SetAttendance",
        opt=access(Scope.TENANT, KEEP),
    )
    async def set_attendance(
        self,
        meetings: NamedDependency[MeetingService],
        meeting_id: FromPath[UUID],
        data: JSONBody[list[AttendanceEntry]],
    ) -> MeetingRead:
        """Replaces the attendance record: who was present, who was absent and why."""
        return await meetings.to_read(await meetings.set_attendance(meeting_id, data))

    @get(
        "/meetings/{meeting_id:uuid}/quorum",
        name="meetings:quorum",
        operation_id="GetQuorum",
        opt=access(Scope.TENANT, READ),
    )
    async def quorum(self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID]) -> QuorumRead:
        return await meetings.quorum(meeting_id)

    @post(
        "/meetings/{meeting_id:uuid}/decisions",
        name="meetings:decision-add",
        operation_id="AddDecision",
        opt=access(Scope.TENANT, KEEP, person_only=True),
    )
    async def add_decision(
        self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID], data: JSONBody[DecisionCreate]
    ) -> DecisionRead:
        """Numbered in order; refused while the meeting has no quorum."""
        d = await meetings.add_decision(meeting_id, data)
        return response_of(DecisionRead, d)

    @patch(
        "/meetings/{meeting_id:uuid}/decisions/{decision_id:uuid}",
        name="meetings:decision-update",
        operation_id="UpdateDecision",
        opt=access(Scope.TENANT, KEEP, person_only=True),
    )
    async def update_decision(
        self,
        meetings: NamedDependency[MeetingService],
        meeting_id: FromPath[UUID],
        decision_id: FromPath[UUID],
        data: JSONBody[DecisionUpdate],
    ) -> DecisionRead:
        d = await meetings.update_decision(meeting_id, decision_id, data)
        return response_of(DecisionRead, d)

    @post(
        "/meetings/{meeting_id:uuid}/decisions/{decision_id:uuid}/remove",
        name="meetings:decision-remove",
        operation_id="RemoveDecision",
        status_code=200,
        opt=access(Scope.TENANT, KEEP, person_only=True),
    )
    async def remove_decision(
        self, meetings: NamedDependency[MeetingService], meeting_id: FromPath[UUID], decision_id: FromPath[UUID]
    ) -> MeetingRead:
        await meetings.remove_decision(meeting_id, decision_id)
        return await meetings.read(meeting_id)

    @get(
        "/compliance/association-meetings",
        name="meetings:quarter-compliance",
        operation_id="GetAssociationMeetingCompliance",
        opt=access(Scope.TENANT, READ),
    )
    async def quarter_compliance(
        self,
        meetings: NamedDependency[MeetingService],
        on: Annotated[datetime.date | None, Parameter(description="A day of the quarter; today when left out")] = None,
    ) -> QuarterComplianceReport:
        """Cl. 25: each association meets at least once a quarter of the academic calendar."""
        return await meetings.quarter_compliance(on or today())
