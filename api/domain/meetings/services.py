"""The rules of meetings: agenda, attendance, quorum, minutes, numbered decisions, cl. 25.

Long because a meeting is one record kept in one service: its agenda, attendance and decisions are
changed only through the meeting (a decision needs the meeting's quorum, an agenda item may
point at a document under review), and splitting them would spread one record's rules apart.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.clock import date_of, utc_now
from api.context import TenantContext
from api.domain.bodies.registry import BodyInfo, BodyKind
from api.domain.meetings.keeping import kept_units, require_keeper, require_reader
from api.domain.meetings.lookups import bodies_of_staff, check_staff, find_body, named_body
from api.domain.meetings.members import MemberKey, is_remote, member_key
from api.domain.meetings.models import AgendaItem, Attendance, Decision, Meeting
from api.domain.meetings.quorum import quorum_read
from api.domain.meetings.quorum import refusal as quorum_refusal
from api.domain.meetings.schemas import (
    AgendaItemCreate,
    AgendaItemUpdate,
    AttendanceEntry,
    DecisionCreate,
    DecisionUpdate,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
    QuarterComplianceReport,
    QuorumRead,
)
from api.domain.meetings.terms import quarter_of
from api.errors import Conflict, DomainError, NotFound
from api.paging import Page, Paging, paged
from api.records import changes
from api.responses import response_of

ASSOCIATION = BodyKind.ASSOCIATION.value
# Messages with values; the same templates are in api.i18n.MESSAGE_TEMPLATES, so they are translated.
LINKED_DECISIONS = "Decisions {numbers} refer to this agenda item; change or remove them first."


def _named_by(entry: AttendanceEntry) -> str:
    return "member_id" if entry.member_id is not None else "staff_id"


def clean_text(value: str | None, field: str, *, required: bool) -> str | None:
    cleaned = value.strip() if value is not None else None
    if not cleaned:
        if required:
            raise DomainError("This field must not be empty.", field=field)
        return None
    return cleaned


def changes_of(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a partial update sets; an update that sets none is refused."""
    found = changes(data)
    if not found:
        raise DomainError("Nothing to change.")
    return found


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return snapshot(meeting)


@dataclass(frozen=True)
class MeetingFilter:
    body_kind: str | None = None
    body_id: UUID | None = None
    starts_from: datetime.datetime | None = None
    starts_before: datetime.datetime | None = None
    staff_id: UUID | None = None  # meetings of the bodies this person belongs to
    include_archived: bool = False


class MeetingService:
    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session: AsyncSession = context.session
        self.caller = context.caller

    # --- reading ----------------------------------------------------------------------------------

    async def to_read(self, meeting: Meeting, body_name: str | None = None) -> MeetingRead:
        if body_name is None:
            body = await find_body(self.session, meeting.body_kind, meeting.body_id)
            body_name = body.name if body is not None else None
        return response_of(
            MeetingRead,
            meeting,
            body_name=body_name,
            agenda=sorted(meeting.agenda, key=lambda a: a.position),
            attendance=sorted(meeting.attendance, key=lambda a: (not a.present, str(a.staff_id or a.member_id))),
            decisions=sorted(meeting.decisions, key=lambda d: d.number),
        )

    async def get(self, meeting_id: UUID, *, for_change: bool = False) -> tuple[Meeting, Any]:
        meeting = await self.session.get(Meeting, meeting_id, with_for_update=for_change)
        if meeting is None:
            raise NotFound("Meeting not found.", field="meeting_id")
        body = await find_body(self.session, meeting.body_kind, meeting.body_id)
        if for_change:
            require_keeper(self.caller, body)
            if meeting.archived_at is not None:
                raise Conflict("The meeting is archived and cannot be changed.", field="archived_at")
        else:
            require_reader(self.caller, body)
        return meeting, body

    async def read(self, meeting_id: UUID) -> MeetingRead:
        meeting, body = await self.get(meeting_id)
        return await self.to_read(meeting, body.name if body is not None else None)

    async def list(self, flt: MeetingFilter, paging: Paging) -> Page[MeetingRead]:
        query = select(Meeting)
        if not flt.include_archived:
            query = query.where(Meeting.archived_at.is_(None))
        if flt.body_kind is not None:
            query = query.where(Meeting.body_kind == flt.body_kind)
        if flt.body_id is not None:
            query = query.where(Meeting.body_id == flt.body_id)
        if flt.starts_from is not None:
            query = query.where(Meeting.starts_at >= flt.starts_from)
        if flt.starts_before is not None:
            query = query.where(Meeting.starts_at < flt.starts_before)
        if flt.staff_id is not None:
            query = query.where(await self._bodies_clause(await bodies_of_staff(self.session, flt.staff_id), set()))
        if not self.caller.reads_everything:
            me = self.caller.staff_id
            mine = await bodies_of_staff(self.session, me) if me is not None else []
            query = query.where(await self._bodies_clause(mine, kept_units(self.caller)))
        rows, total = await paged(self.session, query.order_by(Meeting.starts_at.desc(), Meeting.id), paging)
        names: dict[tuple[str, UUID], str | None] = {}
        items = []
        for meeting in rows:
            key = (meeting.body_kind, meeting.body_id)
            if key not in names:
                body = await find_body(self.session, *key)
                names[key] = body.name if body is not None else None
            items.append(await self.to_read(meeting, names[key] or ""))
        return Page.of(items, total, paging)

    @staticmethod
    async def _bodies_clause(bodies: list[tuple[str, UUID]], units: set[UUID]) -> Any:
        parts = [and_(Meeting.body_kind == kind, Meeting.body_id == body_id) for kind, body_id in bodies]
        if units:
            parts.append(Meeting.body_id.in_(units))
        return or_(*parts) if parts else Meeting.id.is_(None)

    # --- the meeting itself -------------------------------------------------------------------------

    async def create(self, data: MeetingCreate) -> Meeting:
        kind = data.body_kind.strip()
        body = await named_body(self.session, kind, data.body_id)
        require_keeper(self.caller, body)
        if data.ends_at is not None and data.ends_at <= data.starts_at:
            raise DomainError("The meeting must end after it starts.", field="ends_at")
        meeting = Meeting(
            body_kind=kind,
            body_id=data.body_id,
            title=clean_text(data.title, "title", required=False),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=clean_text(data.place, "place", required=False),
            agenda=[],
            attendance=[],
            decisions=[],
        )
        for position, item in enumerate(data.agenda, start=1):
            meeting.agenda.append(self._agenda_item(item, position, f"agenda[{position - 1}].title"))
        self.session.add(meeting)
        await self.session.flush()
        await self.context.audit.record("meeting.create", "meeting", meeting.id, None, self._full_snapshot(meeting))
        return meeting

    async def update(self, meeting_id: UUID, data: MeetingUpdate) -> Meeting:
        meeting, _ = await self.get(meeting_id, for_change=True)
        before = snapshot(meeting)
        changes = changes_of(data)
        for field in ("title", "place", "minutes"):
            if field in changes:
                changes[field] = clean_text(changes[field], field, required=False)
        starts_at = changes.get("starts_at", meeting.starts_at)
        ends_at = changes.get("ends_at", meeting.ends_at)
        if ends_at is not None and ends_at <= starts_at:
            raise DomainError("The meeting must end after it starts.", field="ends_at")
        for key, value in changes.items():
            setattr(meeting, key, value)
        await self.session.flush()
        await self.context.audit.record("meeting.update", "meeting", meeting.id, before, snapshot(meeting))
        return meeting

    async def archive(self, meeting_id: UUID) -> Meeting:
        meeting, _ = await self.get(meeting_id, for_change=True)
        before = snapshot(meeting)
        meeting.archived_at = utc_now()
        await self.session.flush()
        await self.context.audit.record("meeting.archive", "meeting", meeting.id, before, snapshot(meeting))
        return meeting

    def _full_snapshot(self, meeting: Meeting) -> dict[str, Any]:
        return {
            **snapshot(meeting),
            "agenda": [snapshot(a) for a in meeting.agenda],
            "attendance": [snapshot(a) for a in meeting.attendance],
            "decisions": [snapshot(d) for d in meeting.decisions],
        }

    # --- agenda -----------------------------------------------------------------------------------

    @staticmethod
    def _agenda_item(data: AgendaItemCreate, position: int, field: str) -> AgendaItem:
        return AgendaItem(
            position=position,
            title=clean_text(data.title, field, required=True),
            notes=clean_text(data.notes, "notes", required=False),
            document_id=data.document_id,
        )

    @staticmethod
    def _place(items: list[AgendaItem], item: AgendaItem, position: int | None) -> None:
        """Puts `item` at `position` (1-based; the end when None) and numbers the rest around it."""
        others = [i for i in items if i is not item]
        index = len(others) if position is None else min(max(position, 1), len(others) + 1) - 1
        others.insert(index, item)
        for number, entry in enumerate(others, start=1):
            entry.position = number

    async def add_agenda_item(self, meeting_id: UUID, data: AgendaItemCreate) -> AgendaItem:
        meeting, _ = await self.get(meeting_id, for_change=True)
        item = self._agenda_item(data, 0, "title")
        ordered = sorted(meeting.agenda, key=lambda i: i.position)
        self._place(ordered, item, data.position)
        meeting.agenda.append(item)
        await self.session.flush()
        await self.context.audit.record("meeting.agenda.add", "meeting_agenda_item", item.id, None, snapshot(item))
        return item

    async def _agenda_item_of(self, meeting: Meeting, item_id: UUID) -> AgendaItem:
        for item in meeting.agenda:
            if item.id == item_id:
                return item
        raise NotFound("Agenda item not found in this meeting.", field="item_id")

    async def update_agenda_item(self, meeting_id: UUID, item_id: UUID, data: AgendaItemUpdate) -> AgendaItem:
        meeting, _ = await self.get(meeting_id, for_change=True)
        item = await self._agenda_item_of(meeting, item_id)
        before = snapshot(item)
        changes = changes_of(data)
        if "title" in changes:
            item.title = clean_text(changes["title"], "title", required=True)  # type: ignore[assignment]
        if "notes" in changes:
            item.notes = clean_text(changes["notes"], "notes", required=False)
        if "document_id" in changes:
            item.document_id = changes["document_id"]
        if "position" in changes:
            self._place(sorted(meeting.agenda, key=lambda i: i.position), item, changes["position"])
        await self.session.flush()
        await self.context.audit.record("meeting.agenda.update", "meeting_agenda_item", item.id, before, snapshot(item))
        return item

    async def remove_agenda_item(self, meeting_id: UUID, item_id: UUID) -> None:
        meeting, _ = await self.get(meeting_id, for_change=True)
        item = await self._agenda_item_of(meeting, item_id)
        linked = [d.number for d in meeting.decisions if d.agenda_item_id == item.id]
        if linked:
            raise Conflict(LINKED_DECISIONS.format(numbers=", ".join(str(n) for n in linked)), field="item_id")
        before = snapshot(item)
        meeting.agenda.remove(item)
        for number, entry in enumerate(sorted(meeting.agenda, key=lambda i: i.position), start=1):
            entry.position = number
        await self.session.flush()
        await self.context.audit.record("meeting.agenda.remove", "meeting_agenda_item", item_id, before, None)

    # --- attendance and quorum --------------------------------------------------------------------

    async def set_attendance(self, meeting_id: UUID, entries: list[AttendanceEntry]) -> Meeting:
        """Replaces the attendance record of the meeting with `entries`.

        A local body's meeting may record guests (any staff of the organisation; they do not count
        for the quorum). An inter-school association's or a union's members are people of other
        organisations, known here only as the body's members: anyone else is refused.
        """
        meeting, body = await self.get(meeting_id, for_change=True)
        kind = meeting.body_kind
        on_day = await self._body_on_meeting_day(meeting, body)
        resolved: list[tuple[MemberKey, AttendanceEntry, dict[str, UUID | None]]] = []
        seen: set[MemberKey] = set()
        for index, entry in enumerate(entries):
            where = f"attendance[{index}]"
            if entry.present is msgspec.UNSET:
                raise DomainError("Say whether the person was present.", field=f"{where}.present")
            person = self._attendee(kind, on_day, entry, where)
            key = member_key(kind, **person)
            if key in seen:
                raise DomainError("Each person may be listed once.", field=f"{where}.{_named_by(entry)}")
            seen.add(key)
            if entry.present and entry.absence_reason:
                raise DomainError(
                    "A reason of absence is given only for those absent.", field=f"{where}.absence_reason"
                )
            resolved.append((key, entry, person))
        if not is_remote(kind):
            await check_staff(
                self.session, (p["staff_id"] for _, _, p in resolved if p["staff_id"] is not None), field="attendance"
            )
        before = [snapshot(a) for a in meeting.attendance]
        current = {self._row_key(kind, a): a for a in meeting.attendance}
        for key, entry, person in resolved:
            row = current.pop(key, None)
            present = bool(entry.present)
            reason = None if present else clean_text(entry.absence_reason, "absence_reason", required=False)
            if row is None:
                meeting.attendance.append(Attendance(**person, present=present, absence_reason=reason))
            else:
                row.present, row.absence_reason = present, reason
                row.staff_id, row.organisation_id, row.member_id = (
                    person["staff_id"],
                    person["organisation_id"],
                    person["member_id"],
                )
        for row in current.values():
            meeting.attendance.remove(row)
        await self.session.flush()
        after = [snapshot(a) for a in meeting.attendance]
        await self.context.audit.record(
            "meeting.attendance", "meeting", meeting.id, {"attendance": before}, {"attendance": after}
        )
        return meeting

    async def _body_on_meeting_day(self, meeting: Meeting, body: BodyInfo | None) -> BodyInfo | None:
        """The body with its members on the day of the meeting (members come and go)."""
        if body is None:
            return None
        day = date_of(meeting.starts_at)
        return await find_body(self.session, meeting.body_kind, meeting.body_id, on=day) or body

    @staticmethod
    def _row_key(kind: str, row: Attendance) -> MemberKey:
        return member_key(kind, staff_id=row.staff_id, organisation_id=row.organisation_id, member_id=row.member_id)

    @staticmethod
    def _attendee(kind: str, body: BodyInfo | None, entry: AttendanceEntry, where: str) -> dict[str, UUID | None]:
        """The person an entry names, as the attendance row stores them; refused if unknown."""
        if not is_remote(kind):
            for name in ("member_id", "organisation_id"):
                if getattr(entry, name) is not None:
                    raise DomainError(
                        "Members of this body are staff of this organisation: name them by staff_id.",
                        field=f"{where}.{name}",
                    )
            if entry.staff_id is None:
                raise DomainError("Name the person by staff_id or member_id.", field=f"{where}.staff_id")
            return {"staff_id": entry.staff_id, "organisation_id": None, "member_id": None}
        if entry.staff_id is None and entry.member_id is None:
            raise DomainError("Name the person by staff_id or member_id.", field=f"{where}.member_id")
        members = body.members if body is not None else ()
        if entry.member_id is not None:
            found = [m for m in members if m.member_id == entry.member_id]
            if not found:
                raise DomainError("Not a member of this body on the day of the meeting.", field=f"{where}.member_id")
            member = found[0]
            if (entry.staff_id is not None and entry.staff_id != member.staff_id) or (
                entry.organisation_id is not None and entry.organisation_id != member.organisation_id
            ):
                raise DomainError("The member_id and the staff_id name different people.", field=f"{where}.staff_id")
        else:
            found = [
                m
                for m in members
                if m.staff_id == entry.staff_id and entry.organisation_id in (None, m.organisation_id)
            ]
            if len(found) != 1:
                raise DomainError("Not a member of this body on the day of the meeting.", field=f"{where}.staff_id")
            member = found[0]
        return {"staff_id": member.staff_id, "organisation_id": member.organisation_id, "member_id": member.member_id}

    async def quorum_of(self, meeting: Meeting, body: BodyInfo | None) -> QuorumRead:
        """Members present against the body's members on the day of the meeting; guests do not count."""
        return quorum_read(meeting, await self._body_on_meeting_day(meeting, body))

    async def quorum(self, meeting_id: UUID) -> QuorumRead:
        meeting, body = await self.get(meeting_id)
        return await self.quorum_of(meeting, body)

    # --- decisions --------------------------------------------------------------------------------

    async def _check_quorum(self, meeting: Meeting, body: Any) -> None:
        quorum = await self.quorum_of(meeting, body)
        if not quorum.met:
            raise quorum_refusal(quorum, "attendance")

    def _check_item(self, meeting: Meeting, item_id: UUID | None) -> None:
        if item_id is not None and all(a.id != item_id for a in meeting.agenda):
            raise DomainError("No such agenda item in this meeting.", field="agenda_item_id")

    async def add_decision(self, meeting_id: UUID, data: DecisionCreate) -> Decision:
        meeting, body = await self.get(meeting_id, for_change=True)
        text = clean_text(data.text, "text", required=True)
        self._check_item(meeting, data.agenda_item_id)
        await self._check_quorum(meeting, body)
        number = max((d.number for d in meeting.decisions), default=0) + 1
        decision = Decision(number=number, text=text, agenda_item_id=data.agenda_item_id)
        meeting.decisions.append(decision)
        await self.session.flush()
        await self.context.audit.record(
            "meeting.decision.add", "meeting_decision", decision.id, None, snapshot(decision)
        )
        return decision

    async def _decision_of(self, meeting: Meeting, decision_id: UUID) -> Decision:
        for decision in meeting.decisions:
            if decision.id == decision_id:
                return decision
        raise NotFound("Decision not found in this meeting.", field="decision_id")

    async def update_decision(self, meeting_id: UUID, decision_id: UUID, data: DecisionUpdate) -> Decision:
        meeting, _ = await self.get(meeting_id, for_change=True)
        decision = await self._decision_of(meeting, decision_id)
        before = snapshot(decision)
        changes = changes_of(data)
        if "text" in changes:
            decision.text = clean_text(changes["text"], "text", required=True)  # type: ignore[assignment]
        if "agenda_item_id" in changes:
            self._check_item(meeting, changes["agenda_item_id"])
            decision.agenda_item_id = changes["agenda_item_id"]
        await self.session.flush()
        await self.context.audit.record(
            "meeting.decision.update", "meeting_decision", decision.id, before, snapshot(decision)
        )
        return decision

    async def remove_decision(self, meeting_id: UUID, decision_id: UUID) -> None:
        meeting, _ = await self.get(meeting_id, for_change=True)
        decision = await self._decision_of(meeting, decision_id)
        if decision.number != max(d.number for d in meeting.decisions):
            # Decisions are cited by number: only the last one may go, so no number changes meaning.
            raise Conflict(
                "Only the last decision may be removed; change the text of this one instead.", field="decision_id"
            )
        before = snapshot(decision)
        meeting.decisions.remove(decision)
        await self.session.flush()
        await self.context.audit.record("meeting.decision.remove", "meeting_decision", decision_id, before, None)

    # --- compliance (cl. 25) ------------------------------------------------------------------------

    async def quarter_compliance(self, on: datetime.date) -> QuarterComplianceReport:
        """Cl. 25: which associations met at least once in the term of `on` — the compliance engine's
        own computation (`api.domain.meetings.terms`), over the organisation's calendar or,
        for a school year it has not entered, the default one."""
        from api.domain.meetings.term_report import term_report

        return await term_report(self.session, await quarter_of(self.session, on, self.context.tenant.kind))
