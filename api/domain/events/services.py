"""Forms of collective work (cl. 15): scheduling, participants, materials, the outcome."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.clock import utc_now
from api.context import TenantContext
from api.domain.events.models import EventMaterial, EventParticipant, MethodologicalEvent
from api.domain.events.rules import EventKind
from api.domain.events.schemas import (
    EventCreate,
    EventRead,
    EventUpdate,
    MaterialWrite,
    ParticipantWrite,
)
from api.domain.meetings.keeping import can_keep, keeps_every_body
from api.domain.meetings.lookups import check_staff, find_body, named_body
from api.domain.meetings.services import changes_of, clean_text
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.paging import Page, Paging, paged
from api.responses import response_of


@dataclass(frozen=True)
class EventFilter:
    kind: EventKind | None = None
    starts_from: datetime.datetime | None = None
    starts_before: datetime.datetime | None = None
    organiser_body_kind: str | None = None
    organiser_body_id: UUID | None = None
    staff_id: UUID | None = None  # events this person takes part in
    include_archived: bool = False


def event_snapshot(event: MethodologicalEvent) -> dict[str, Any]:
    return {
        **snapshot(event),
        "participants": [snapshot(p) for p in event.participants],
        "materials": [snapshot(m) for m in event.materials],
    }


def to_read(event: MethodologicalEvent) -> EventRead:
    return response_of(EventRead, event)


class EventService:
    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session: AsyncSession = context.session
        self.caller = context.caller

    async def _may_keep(self, event: MethodologicalEvent | None, organiser: tuple[str | None, UUID | None]) -> None:
        """An organisation-wide keeper keeps any event; a body's keeper keeps the events it organises."""
        if keeps_every_body(self.caller):
            return
        kind, body_id = organiser
        if kind is not None and body_id is not None:
            body = await find_body(self.session, kind, body_id)
            if can_keep(self.caller, body):
                return
        raise Forbidden("Only the deputy head, the administrator or the keeper of the organising body keep this event.")

    async def get(self, event_id: UUID) -> MethodologicalEvent:
        event = await self.session.get(MethodologicalEvent, event_id)
        if event is None:
            raise NotFound("Event not found.", field="event_id")
        return event

    async def _for_change(self, event_id: UUID) -> MethodologicalEvent:
        event = await self.session.get(MethodologicalEvent, event_id, with_for_update=True)
        if event is None:
            raise NotFound("Event not found.", field="event_id")
        await self._may_keep(event, (event.organiser_body_kind, event.organiser_body_id))
        if event.archived_at is not None:
            raise Conflict("The event is archived and cannot be changed.", field="archived_at")
        return event

    async def list(self, flt: EventFilter, paging: Paging) -> Page[EventRead]:
        query = select(MethodologicalEvent)
        if not flt.include_archived:
            query = query.where(MethodologicalEvent.archived_at.is_(None))
        if flt.kind is not None:
            query = query.where(MethodologicalEvent.kind == flt.kind.value)
        if flt.starts_from is not None:
            query = query.where(MethodologicalEvent.ends_at >= flt.starts_from)
        if flt.starts_before is not None:
            query = query.where(MethodologicalEvent.starts_at < flt.starts_before)
        if flt.organiser_body_kind is not None:
            query = query.where(MethodologicalEvent.organiser_body_kind == flt.organiser_body_kind)
        if flt.organiser_body_id is not None:
            query = query.where(MethodologicalEvent.organiser_body_id == flt.organiser_body_id)
        if flt.staff_id is not None:
            query = query.where(
                MethodologicalEvent.id.in_(
                    select(EventParticipant.event_id).where(EventParticipant.staff_id == flt.staff_id)
                )
            )
        rows, total = await paged(
            self.session,
            query.order_by(MethodologicalEvent.starts_at.desc(), MethodologicalEvent.id),
            paging,
        )
        return Page.of([to_read(e) for e in rows], total, paging)

    # --- checks -----------------------------------------------------------------------------------

    async def _organiser(self, kind: str | None, body_id: UUID | None) -> tuple[str | None, UUID | None]:
        if (kind is None) != (body_id is None):
            raise DomainError(
                "Name the organising body by both its kind and its id, or neither.",
                field="organiser_body_id" if body_id is None else "organiser_body_kind",
            )
        if kind is None or body_id is None:
            return None, None
        await named_body(
            self.session, kind.strip(), body_id, field="organiser_body_id", kind_field="organiser_body_kind"
        )
        return kind.strip(), body_id

    async def _participants(self, entries: list[ParticipantWrite]) -> list[EventParticipant]:
        staff: list[UUID] = []
        out: list[EventParticipant] = []
        for index, entry in enumerate(entries):
            name = clean_text(entry.external_name, f"participants[{index}].external_name", required=False)
            if (entry.staff_id is None) == (name is None):
                raise DomainError(
                    "A participant is a member of staff (staff_id) or a person from outside (external_name), "
                    "one of the two.",
                    field=f"participants[{index}]",
                )
            if entry.staff_id is not None:
                if entry.staff_id in staff:
                    raise DomainError("Each person may be listed once.", field=f"participants[{index}].staff_id")
                staff.append(entry.staff_id)
            out.append(
                EventParticipant(
                    position=index + 1,
                    staff_id=entry.staff_id,
                    external_name=name,
                    role=clean_text(entry.role, f"participants[{index}].role", required=False),
                )
            )
        await check_staff(self.session, staff, field="participants")
        return out

    @staticmethod
    def _materials(entries: list[MaterialWrite]) -> list[EventMaterial]:
        out: list[EventMaterial] = []
        for index, entry in enumerate(entries):
            url = clean_text(entry.url, f"materials[{index}].url", required=False)
            file_ref = clean_text(entry.file_ref, f"materials[{index}].file_ref", required=False)
            if url is None and file_ref is None:
                raise DomainError("Give the material's link or its stored file.", field=f"materials[{index}].url")
            if url is not None:
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    raise DomainError("The link must be an http(s) address.", field=f"materials[{index}].url")
            out.append(
                EventMaterial(
                    position=index + 1,
                    title=clean_text(entry.title, f"materials[{index}].title", required=True),
                    url=url,
                    file_ref=file_ref,
                )
            )
        return out

    @staticmethod
    def _check_times(starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
        if ends_at <= starts_at:
            raise DomainError("The event must end after it starts.", field="ends_at")

    # --- changes ----------------------------------------------------------------------------------

    async def create(self, data: EventCreate) -> MethodologicalEvent:
        organiser = await self._organiser(data.organiser_body_kind, data.organiser_body_id)
        await self._may_keep(None, organiser)
        self._check_times(data.starts_at, data.ends_at)
        event = MethodologicalEvent(
            kind=data.kind.value,
            title=clean_text(data.title, "title", required=True),
            description=clean_text(data.description, "description", required=False),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=clean_text(data.place, "place", required=False),
            organiser_body_kind=organiser[0],
            organiser_body_id=organiser[1],
        )
        event.participants = await self._participants(data.participants)
        event.materials = self._materials(data.materials)
        self.session.add(event)
        await self.session.flush()
        await self.context.audit.record("event.create", "methodological_event", event.id, None, event_snapshot(event))
        return event

    async def update(self, event_id: UUID, data: EventUpdate) -> MethodologicalEvent:
        event = await self._for_change(event_id)
        before = event_snapshot(event)
        changes = changes_of(data)
        if "organiser_body_kind" in changes or "organiser_body_id" in changes:
            organiser = await self._organiser(
                changes.get("organiser_body_kind", event.organiser_body_kind),
                changes.get("organiser_body_id", event.organiser_body_id),
            )
            await self._may_keep(event, organiser)
            event.organiser_body_kind, event.organiser_body_id = organiser
        starts_at = changes.get("starts_at", event.starts_at)
        ends_at = changes.get("ends_at", event.ends_at)
        self._check_times(starts_at, ends_at)
        if "outcome" in changes:
            outcome = clean_text(changes["outcome"], "outcome", required=False)
            if outcome is not None and ends_at > utc_now():
                raise DomainError("The outcome is recorded after the event has taken place.", field="outcome")
            event.outcome = outcome
        if "kind" in changes:
            event.kind = EventKind(changes["kind"]).value
        if "title" in changes:
            event.title = clean_text(changes["title"], "title", required=True)  # type: ignore[assignment]
        for field in ("description", "place"):
            if field in changes:
                setattr(event, field, clean_text(changes[field], field, required=False))
        event.starts_at, event.ends_at = starts_at, ends_at
        if "participants" in changes:
            event.participants = await self._participants(data.participants)  # type: ignore[arg-type]
        if "materials" in changes:
            event.materials = self._materials(data.materials)  # type: ignore[arg-type]
        await self.session.flush()
        await self.context.audit.record("event.update", "methodological_event", event.id, before, event_snapshot(event))
        return event

    async def archive(self, event_id: UUID) -> MethodologicalEvent:
        event = await self._for_change(event_id)
        before = snapshot(event)
        event.archived_at = utc_now()
        await self.session.flush()
        await self.context.audit.record("event.archive", "methodological_event", event.id, before, snapshot(event))
        return event
