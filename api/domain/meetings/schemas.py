from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.text import multi_line, single_line

Title = Annotated[str, single_line(max_length=500)]
Place = Annotated[str, single_line(min_length=0, max_length=300)]
AwareDateTime = Annotated[datetime.datetime, msgspec.Meta(tz=True, description="With a time zone offset")]
BodyKind = Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="association, council, commission…")]


class AgendaItemCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    notes: str | None = None
    document_id: UUID | None = msgspec.field(default=None)
    position: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None


class AgendaItemUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    notes: str | None | msgspec.UnsetType = msgspec.UNSET
    document_id: UUID | None | msgspec.UnsetType = msgspec.UNSET
    position: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | msgspec.UnsetType = msgspec.UNSET


class AgendaItemRead(msgspec.Struct):
    id: UUID
    position: int
    title: str
    notes: str | None
    document_id: UUID | None


class MeetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    body_kind: BodyKind
    body_id: UUID
    starts_at: AwareDateTime
    ends_at: AwareDateTime | None = None
    title: Annotated[str, single_line(min_length=0, max_length=300)] | None = None
    place: Place | None = None
    agenda: list[AgendaItemCreate] = msgspec.field(default_factory=list)


class MeetingUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    starts_at: AwareDateTime | msgspec.UnsetType = msgspec.UNSET
    ends_at: AwareDateTime | None | msgspec.UnsetType = msgspec.UNSET
    title: Annotated[str, single_line(min_length=0, max_length=300)] | None | msgspec.UnsetType = msgspec.UNSET
    place: Place | None | msgspec.UnsetType = msgspec.UNSET
    minutes: Annotated[str, multi_line(max_length=100_000)] | None | msgspec.UnsetType = msgspec.UNSET


class AttendanceEntry(msgspec.Struct, forbid_unknown_fields=True):
    """One person's attendance. A member of a local body is named by `staff_id`; a member of an
    inter-school association by `member_id` (the registry's member id) or by `organisation_id` +
    `staff_id` of their school; a member of a sector union by `member_id`. `present` is required
    (it has a default only so that `staff_id` may be left out)."""

    staff_id: UUID | None = None
    present: bool | msgspec.UnsetType = msgspec.UNSET
    absence_reason: Annotated[str, multi_line(max_length=300)] | None = None
    member_id: UUID | None = None
    organisation_id: UUID | None = None


class AttendanceRead(msgspec.Struct):
    staff_id: UUID | None  # None only for members of a sector union, who may have no staff record
    present: bool
    absence_reason: str | None
    member_id: UUID | None = None  # inter-school and union members: the registry's member id
    organisation_id: UUID | None = None  # inter-school members: their school


class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, multi_line(min_length=1, max_length=20_000)]
    agenda_item_id: UUID | None = None


class DecisionUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    text: Annotated[str, multi_line(min_length=1, max_length=20_000)] | msgspec.UnsetType = msgspec.UNSET
    agenda_item_id: UUID | None | msgspec.UnsetType = msgspec.UNSET


class DecisionRead(msgspec.Struct):
    id: UUID
    number: int
    text: str
    agenda_item_id: UUID | None


class QuorumRead(msgspec.Struct):
    rule: str  # the body's quorum rule: more_than_half (the default), two_thirds, all
    members: int
    present_members: int
    required: int
    met: bool


class MeetingRead(msgspec.Struct):
    id: UUID
    body_kind: str
    body_id: UUID
    body_name: str | None
    title: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    place: str | None
    minutes: str | None
    agenda: list[AgendaItemRead]
    attendance: list[AttendanceRead]
    decisions: list[DecisionRead]
    archived_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class QuarterCompliance(msgspec.Struct):
    """Cl. 25: an association meets at least once a quarter. Only held meetings count: one whose
    minutes or attendance are recorded (a meeting still to come, or never recorded, does not)."""

    association_id: UUID
    association_name: str
    meetings: int  # held in the quarter
    compliant: bool
    planned_meetings: int = 0  # in the quarter, not (yet) recorded as held
    recorded_on: datetime.date | None = None  # when the association was recorded: it is held to quarters from then


class QuarterComplianceReport(msgspec.Struct):
    school_year: int
    term_kind: str  # quarter (schools) or semester
    term_number: int
    term_starts_on: datetime.date
    term_ends_on: datetime.date
    clause: str
    associations: list[QuarterCompliance]
    # "organisation": the organisation's own academic calendar; "default": the school year is not
    # in it, so the default calendar of Kazakhstan's school year bounds the term.
    calendar: str = "organisation"
