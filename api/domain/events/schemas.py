from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.domain.events.rules import EventKind
from api.text import multi_line, single_line

AwareDateTime = Annotated[datetime.datetime, msgspec.Meta(tz=True, description="With a time zone offset")]


class ParticipantWrite(msgspec.Struct, forbid_unknown_fields=True):
    """A member of staff (staff_id) or a person from outside (external_name), not both."""

    staff_id: UUID | None = None
    external_name: Annotated[str, single_line(min_length=0, max_length=300)] | None = None
    role: Annotated[str, single_line(min_length=0, max_length=120)] | None = None


class ParticipantRead(msgspec.Struct):
    staff_id: UUID | None
    external_name: str | None
    role: str | None


class MaterialWrite(msgspec.Struct, forbid_unknown_fields=True):
    """A link (url) or a stored file's reference (file_ref)."""

    title: Annotated[str, single_line(max_length=300)]
    url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    file_ref: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class MaterialRead(msgspec.Struct):
    title: str
    url: str | None
    file_ref: str | None


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind
    title: Annotated[str, single_line(max_length=300)]
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    description: Annotated[str, multi_line(max_length=10_000)] | None = None
    place: Annotated[str, single_line(min_length=0, max_length=300)] | None = None
    organiser_body_kind: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    organiser_body_id: UUID | None = None
    participants: list[ParticipantWrite] = msgspec.field(default_factory=list)
    materials: list[MaterialWrite] = msgspec.field(default_factory=list)


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    kind: EventKind | msgspec.UnsetType = msgspec.UNSET
    title: Annotated[str, single_line(max_length=300)] | msgspec.UnsetType = msgspec.UNSET
    starts_at: AwareDateTime | msgspec.UnsetType = msgspec.UNSET
    ends_at: AwareDateTime | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, multi_line(max_length=10_000)] | None | msgspec.UnsetType = msgspec.UNSET
    place: Annotated[str, single_line(min_length=0, max_length=300)] | None | msgspec.UnsetType = msgspec.UNSET
    organiser_body_kind: Annotated[str, msgspec.Meta(max_length=40)] | None | msgspec.UnsetType = msgspec.UNSET
    organiser_body_id: UUID | None | msgspec.UnsetType = msgspec.UNSET
    participants: list[ParticipantWrite] | msgspec.UnsetType = msgspec.UNSET
    materials: list[MaterialWrite] | msgspec.UnsetType = msgspec.UNSET
    outcome: (
        Annotated[str, multi_line(max_length=4000, description="Short outcome, once it took place")]
        | None
        | msgspec.UnsetType
    ) = msgspec.UNSET


class EventRead(msgspec.Struct):
    id: UUID
    kind: EventKind
    title: str
    description: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str | None
    organiser_body_kind: str | None
    organiser_body_id: UUID | None
    participants: list[ParticipantRead]
    materials: list[MaterialRead]
    outcome: str | None
    archived_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
