from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from api.domain.structure.rules import Position, QualificationCategory, TermKind, UnitKind
from api.text import multi_line, single_line

Name = Annotated[str, single_line(max_length=300)]
ShortName = Annotated[str, single_line(max_length=200)]
Code = Annotated[str, Meta(pattern=r"^[a-z0-9_]{1,60}$", description="lowercase letters, digits and _")]
Email = Annotated[str, Meta(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}$", max_length=320)]
SchoolYear = Annotated[int, Meta(ge=2000, le=2100, description="The year the school year starts: 2025 is 2025/2026")]


# --- units -------------------------------------------------------------------------------------


class UnitCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: UnitKind
    parent_id: UUID | None = None
    regulation_document_id: UUID | None = None
    regulation_title: Name | None = None
    regulation_approved_on: datetime.date | None = None


class UnitUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change; a unit's kind does not change (archive it and create another)."""

    name: Name | UnsetType = UNSET
    parent_id: UUID | None | UnsetType = UNSET
    regulation_document_id: UUID | None | UnsetType = UNSET
    regulation_title: Name | None | UnsetType = UNSET
    regulation_approved_on: datetime.date | None | UnsetType = UNSET


class UnitRead(Struct):
    id: UUID
    name: str
    kind: UnitKind
    parent_id: UUID | None
    regulation_document_id: UUID | None
    regulation_title: str | None
    regulation_approved_on: datetime.date | None
    archived_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class UnitKindRead(Struct):
    """A kind of unit the organisation may have (cl. 10): whether it may stand at the top of the
    structure, and the kinds of unit it may sit inside (those this organisation may have)."""

    kind: UnitKind
    at_top: bool
    parent_kinds: list[UnitKind]


class UnitNode(Struct):
    id: UUID
    name: str
    kind: UnitKind
    children: list[UnitNode]


# --- subjects ----------------------------------------------------------------------------------


class SubjectCreate(Struct, forbid_unknown_fields=True):
    code: Code
    name_kk: ShortName
    name_ru: ShortName
    name_en: ShortName | None = None


class SubjectUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    name_kk: ShortName | UnsetType = UNSET
    name_ru: ShortName | UnsetType = UNSET
    name_en: ShortName | None | UnsetType = UNSET


class SubjectRead(Struct):
    id: UUID
    code: str
    name_kk: str
    name_ru: str
    name_en: str | None
    archived_at: datetime.datetime | None


# --- staff -------------------------------------------------------------------------------------


class StaffCreate(Struct, forbid_unknown_fields=True):
    full_name: Name
    positions: Annotated[list[Position], Meta(min_length=1, max_length=10)]
    user_id: UUID | None = None
    email: Email | None = None
    unit_id: UUID | None = None
    heads_unit_id: UUID | None = None
    qualification_category: QualificationCategory | None = None
    subject_ids: Annotated[list[UUID], Meta(max_length=40)] = msgspec.field(default_factory=list)
    supervised_subject_ids: Annotated[list[UUID], Meta(max_length=60)] = msgspec.field(default_factory=list)
    note: Annotated[str, multi_line(max_length=2000)] | None = None


class StaffUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    full_name: Name | UnsetType = UNSET
    positions: Annotated[list[Position], Meta(min_length=1, max_length=10)] | UnsetType = UNSET
    user_id: UUID | None | UnsetType = UNSET
    email: Email | None | UnsetType = UNSET
    unit_id: UUID | None | UnsetType = UNSET
    heads_unit_id: UUID | None | UnsetType = UNSET
    qualification_category: QualificationCategory | None | UnsetType = UNSET
    subject_ids: Annotated[list[UUID], Meta(max_length=40)] | UnsetType = UNSET
    supervised_subject_ids: Annotated[list[UUID], Meta(max_length=60)] | UnsetType = UNSET
    note: Annotated[str, multi_line(max_length=2000)] | None | UnsetType = UNSET


class StaffRead(Struct):
    id: UUID
    full_name: str
    user_id: UUID | None
    email: str | None
    positions: list[Position]
    unit_id: UUID | None
    heads_unit_id: UUID | None
    qualification_category: QualificationCategory | None
    subject_ids: list[UUID]
    supervised_subject_ids: list[UUID]
    note: str | None
    archived_at: datetime.datetime | None


# --- academic calendar -------------------------------------------------------------------------


class TermInput(Struct, forbid_unknown_fields=True):
    number: Annotated[int, Meta(ge=1, le=4)]
    starts_on: datetime.date
    ends_on: datetime.date


class CalendarCreate(Struct, forbid_unknown_fields=True):
    """The terms of one school year; without `terms`, the usual dates are proposed and can be edited."""

    school_year: SchoolYear
    terms: list[TermInput] | None = None


class TermUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    starts_on: datetime.date | UnsetType = UNSET
    ends_on: datetime.date | UnsetType = UNSET


class TermRead(Struct):
    id: UUID
    school_year: int
    kind: TermKind
    number: int
    starts_on: datetime.date
    ends_on: datetime.date
    archived_at: datetime.datetime | None


class CalendarRead(Struct):
    school_year: int
    kind: TermKind
    terms: list[TermRead]


class CurrentTerm(Struct):
    """`term`: the quarter (semester) that contains `on`, null in holidays; `next`: the next one."""

    on: datetime.date
    term: TermRead | None
    next: TermRead | None
