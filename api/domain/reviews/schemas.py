from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.domain.documents.rules import DocumentKind
from api.domain.reviews.rules import Outcome, StageTemplate
from api.paging import Page
from api.text import multi_line

Remarks = Annotated[str, multi_line(max_length=8000)]


class SubmitRequest(msgspec.Struct, forbid_unknown_fields=True):
    version_id: UUID


class DecisionRequest(msgspec.Struct, forbid_unknown_fields=True):
    stage_id: UUID
    version_id: UUID
    outcome: Outcome
    remarks: Remarks | None = None
    body_id: UUID | None = None  # the council, at the all-councils stage
    meeting_id: UUID | None = None
    agenda_item_id: UUID | None = None


class RouteUpdate(msgspec.Struct, forbid_unknown_fields=True):
    stages: list[StageTemplate]


class RouteRead(msgspec.Struct):
    document_kind: DocumentKind
    clause: str
    customised: bool
    approvers_allowed: list[str]
    stages: list[StageTemplate]


class MemberRead(msgspec.Struct):
    body_kind: str
    body_id: UUID
    name: str
    collegial: bool
    decided: bool = False


class DecisionRead(msgspec.Struct):
    id: UUID
    round_id: UUID
    stage_id: UUID
    submission: int
    version_id: UUID
    version_number: int | None
    outcome: Outcome
    remarks: str | None
    body_kind: str | None
    body_id: UUID | None
    decided_by: UUID | None
    decided_by_staff_id: UUID | None
    decided_by_name: str
    decided_at: datetime.datetime
    meeting_id: UUID | None
    agenda_item_id: UUID | None


class StageRead(msgspec.Struct):
    id: UUID
    position: int
    kind: str
    selector: str
    clause: str
    label: str
    status: str
    approver_roles: list[str]
    members: list[MemberRead]
    due_days: int
    activated_at: datetime.datetime | None
    due_at: datetime.datetime | None
    overdue: bool
    decisions: list[DecisionRead]


class MissingStageRead(msgspec.Struct):
    """A stage the clause's route names that this organisation cannot hold: it lacks the body."""

    selector: str
    clause: str
    label: str
    body_kind: str | None = None
    body_id: UUID | None = None


class RoutePlan(msgspec.Struct):
    """The route a document would take if submitted now, and the stages it would go without."""

    document_id: UUID
    stages: list[StageRead]
    missing_stages: list[MissingStageRead]


class RoundRead(msgspec.Struct):
    id: UUID
    document_id: UUID
    number: int
    status: str
    version_id: UUID
    version_number: int | None
    submission: int
    current_position: int | None
    lock_version: int
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    stages: list[StageRead]
    # Stages of the clause's route the round goes without (the organisation lacks the body).
    missing_stages: list[MissingStageRead] = msgspec.field(default_factory=list)


class Timeline(msgspec.Struct):
    document_id: UUID
    title: str
    status: str
    rounds: list[RoundRead]


class InboxItem(msgspec.Struct):
    document_id: UUID
    document_title: str
    document_kind: DocumentKind
    round_id: UUID
    stage_id: UUID
    stage_position: int
    stage_label: str
    stage_kind: str
    clause: str
    version_id: UUID
    version_number: int
    waiting_since: datetime.datetime
    due_at: datetime.datetime | None
    overdue: bool
    # What the caller may decide for: the bodies they keep (empty at an approval stage).
    bodies: list[MemberRead]
    # Stages of the clause's route the round goes without, so the decider knows before deciding.
    missing_stages: list[MissingStageRead] = msgspec.field(default_factory=list)


class AgendaEntry(msgspec.Struct):
    document_id: UUID
    document_title: str
    document_kind: DocumentKind
    clause: str
    stage_id: UUID
    stage_label: str
    version_id: UUID
    version_number: int
    waiting_since: datetime.datetime
    due_at: datetime.datetime | None
    overdue: bool


class AgendaBuild(msgspec.Struct, forbid_unknown_fields=True):
    meeting_id: UUID


class AgendaBuilt(msgspec.Struct):
    meeting_id: UUID
    added: list[UUID]  # agenda item ids
    already_on_agenda: list[UUID]  # document ids


class NotificationRead(msgspec.Struct):
    id: UUID
    event: str
    document_id: UUID | None
    stage_id: UUID | None
    subject: str
    body: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationPreferenceRead(msgspec.Struct):
    delivery: str  # event | digest | none


class NotificationPreferenceUpdate(msgspec.Struct, forbid_unknown_fields=True):
    delivery: Annotated[str, msgspec.Meta(pattern="^(event|digest|none)$")]


class CatalogueEntry(msgspec.Struct):
    document_id: UUID
    title: str
    authors: list[str]
    subject_id: UUID | None
    school_year: int | None
    follows_model: str | None
    approved_at: datetime.datetime | None
    version_id: UUID
    version_number: int
    filename: str
    format: str
    size: int
    sha256: str


class CataloguePage(Page[CatalogueEntry]):
    """A page of the catalogue, and whose catalogue it is."""

    items: list[CatalogueEntry]  # again: the OpenAPI document does not resolve a subclass's type parameter
    organisation_id: UUID
