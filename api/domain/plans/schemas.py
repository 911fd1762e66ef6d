from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.domain.plans.rules import Direction, PlanStatus
from api.text import multi_line, single_line

SchoolYear = Annotated[
    int, msgspec.Meta(ge=2000, le=2100, description="The year the school year starts: 2026 for 2026/2027")
]
ItemTitle = Annotated[str, single_line(max_length=500)]
Basis = Annotated[str, multi_line(max_length=20_000, description="Diagnostics and analysis the plan rests on (cl. 29)")]


class PlanItemWrite(msgspec.Struct, forbid_unknown_fields=True):
    title: ItemTitle
    direction: Direction
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    description: Annotated[str, multi_line(max_length=5000)] | None = None
    responsible_ids: list[UUID] = msgspec.field(default_factory=list)
    position: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None


class PlanItemUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    title: ItemTitle | msgspec.UnsetType = msgspec.UNSET
    direction: Direction | msgspec.UnsetType = msgspec.UNSET
    starts_on: datetime.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: datetime.date | None | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, multi_line(max_length=5000)] | None | msgspec.UnsetType = msgspec.UNSET
    responsible_ids: list[UUID] | msgspec.UnsetType = msgspec.UNSET
    position: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | msgspec.UnsetType = msgspec.UNSET


class PlanItemRead(msgspec.Struct):
    id: UUID
    position: int
    title: str
    direction: Direction
    direction_number: int
    starts_on: datetime.date
    ends_on: datetime.date | None
    description: str | None
    responsible_ids: list[UUID]


class PlanCreate(msgspec.Struct, forbid_unknown_fields=True):
    association_id: UUID
    school_year: SchoolYear
    title: Annotated[str, single_line(min_length=0, max_length=300)] | None = None
    basis: Basis | None = None
    items: list[PlanItemWrite] = msgspec.field(default_factory=list)


class PlanUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    title: Annotated[str, single_line(min_length=0, max_length=300)] | None | msgspec.UnsetType = msgspec.UNSET
    basis: Basis | None | msgspec.UnsetType = msgspec.UNSET


class PlanReturn(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[str, multi_line(max_length=5000)] | None = None


class PlanRead(msgspec.Struct):
    id: UUID
    association_id: UUID
    association_name: str | None
    school_year: int
    version: int
    status: PlanStatus
    title: str | None
    basis: str | None
    previous_version_id: UUID | None
    submitted_at: datetime.datetime | None
    submitted_by: UUID | None
    approved_at: datetime.datetime | None
    approved_by: UUID | None
    return_comment: str | None
    archived_at: datetime.datetime | None
    items: list[PlanItemRead]
    directions_covered: list[Direction]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    # Whether the caller keeps this plan's records: changes its draft, submits it, makes a new
    # version (the association's leader, the deputy head, the administrator); pages offer those
    # actions by it.
    may_keep: bool = False
    # Whether the caller approves work plans: the head of the organisation (cl. 29).
    may_approve: bool = False
