from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.domain.documents.rules import DocumentKind
from api.text import multi_line, single_line

Title = Annotated[str, single_line(max_length=500)]
Note = Annotated[str, multi_line(max_length=4000)]
SchoolYear = Annotated[
    int, msgspec.Meta(ge=2000, le=2100, description="The year the school year starts: 2025 is 2025/2026")
]


class DocumentCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: DocumentKind
    title: Title
    author_staff_ids: list[UUID] = msgspec.field(default_factory=list)
    unit_id: UUID | None = None
    association_id: UUID | None = None
    subject_id: UUID | None = None
    school_year: SchoolYear | None = None
    follows_model: Annotated[str, single_line(min_length=0, max_length=500)] | None = None
    description: Note | None = None


class DocumentUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    author_staff_ids: list[UUID] | msgspec.UnsetType = msgspec.UNSET
    subject_id: UUID | None | msgspec.UnsetType = msgspec.UNSET
    school_year: SchoolYear | None | msgspec.UnsetType = msgspec.UNSET
    follows_model: Annotated[str, single_line(min_length=0, max_length=500)] | None | msgspec.UnsetType = msgspec.UNSET
    description: Note | None | msgspec.UnsetType = msgspec.UNSET


class VersionRead(msgspec.Struct):
    id: UUID
    document_id: UUID
    number: int
    filename: str
    format: str
    media_type: str
    size: int
    sha256: str
    change_note: str | None
    uploaded_by: UUID | None
    uploaded_at: datetime.datetime
    locked: bool
    locked_at: datetime.datetime | None
    approved: bool


class VersionNoteUpdate(msgspec.Struct, forbid_unknown_fields=True):
    change_note: Note | None


class DocumentRead(msgspec.Struct):
    id: UUID
    kind: DocumentKind
    clause: str
    title: str
    author_staff_ids: list[UUID]
    authors: list[str]
    unit_id: UUID | None
    association_id: UUID | None
    subject_id: UUID | None
    school_year: int | None
    follows_model: str | None
    description: str | None
    status: str
    approved_version_id: UUID | None
    approved_at: datetime.datetime | None
    created_by: UUID | None
    created_at: datetime.datetime
    versions: list[VersionRead]


class DocumentSummary(msgspec.Struct):
    id: UUID
    kind: DocumentKind
    clause: str
    title: str
    status: str
    school_year: int | None
    latest_version: int | None
    approved_version_id: UUID | None
    created_at: datetime.datetime
    current_stage: str | None = None
    current_stage_clause: str | None = None
    due_at: datetime.datetime | None = None
    overdue: bool = False


class MetadataChange(msgspec.Struct):
    field: str
    old: str | None
    new: str | None


class VersionDiff(msgspec.Struct):
    document_id: UUID
    old_version: int
    new_version: int
    metadata: list[MetadataChange]
    text_compared: bool
    text_diff: list[str]
    reason: str | None = None  # why the text was not compared
