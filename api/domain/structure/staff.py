"""Staff (cl. 14, 31): positions, the subjects each teaches and a deputy head supervises, the unit
they work in or head, and the account they sign in with. No HTTP here; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.context import TenantContext, staff_of_user
from api.db import escape_like
from api.domain.structure.models import Staff, StaffSubject, Subject, Unit
from api.domain.structure.rules import (
    Position,
)
from api.domain.structure.schemas import (
    StaffCreate,
    StaffRead,
    StaffUpdate,
)
from api.errors import Conflict, DomainError
from api.paging import Paging, paged
from api.records import Records, changes
from api.responses import response_of

# --- staff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffFilter:
    unit_id: UUID | None = None
    subject_id: UUID | None = None
    position: Position | None = None
    user_id: UUID | None = None
    q: str | None = None
    include_archived: bool = False
    descending: bool = False  # by full name, Я to А


_STAFF = Staff.__table__.c
_STAFF_LIST = select(Staff.__table__).order_by(_STAFF.full_name, _STAFF.id)
_STAFF_LIST_DESCENDING = select(Staff.__table__).order_by(_STAFF.full_name.desc(), _STAFF.id.desc())
_TAUGHT = StaffSubject.__table__.c
# Staff who teach a subject (bound as `subject_id`), for the list's subject filter.
_TEACHING = select(_TAUGHT.staff_id).where(_TAUGHT.subject_id == bindparam("subject_id"))
_SUBJECTS_OF = select(StaffSubject.__table__.c.staff_id, StaffSubject.__table__.c.subject_id).where(
    StaffSubject.__table__.c.staff_id == any_(bindparam("ids", type_=ARRAY(Uuid)))
)


async def subject_ids_of(session: AsyncSession, staff_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    out: dict[UUID, list[UUID]] = {s: [] for s in staff_ids}
    if staff_ids:
        # `= ANY(array)`: one statement whatever the page's length (an IN list is one per length).
        rows = await session.execute(_SUBJECTS_OF, {"ids": staff_ids})
        for staff_id, subject_id in rows.all():
            out[staff_id].append(subject_id)
    return out


def staff_read(person: Any, subject_ids: list[UUID]) -> StaffRead:
    """`person`: a `Staff` or a row of its table."""
    return response_of(
        StaffRead,
        person,
        subject_ids=sorted(subject_ids, key=str),
        supervised_subject_ids=list(person.supervised_subject_ids or []),
    )


class StaffService:
    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.caller = context.caller
        self.staff = Records(context, Staff, "staff", "staff member")
        self.units = Records(context, Unit, "unit")
        self.subjects = Records(context, Subject, "subject")

    async def list(self, f: StaffFilter, paging: Paging) -> tuple[list[StaffRead], int]:
        # The table's columns, not the mapped class: rows without the ORM's loading, since a list
        # is read far more often than it is changed.
        query = _STAFF_LIST_DESCENDING if f.descending else _STAFF_LIST
        if not f.include_archived:
            query = query.where(_STAFF.archived_at.is_(None))
        if f.unit_id:
            query = query.where(_STAFF.unit_id == f.unit_id)
        if f.subject_id:
            query = query.where(_STAFF.id.in_(_TEACHING.params(subject_id=f.subject_id)))
        if f.position:
            query = query.where(_STAFF.positions.any(f.position.value))
        if f.user_id:
            query = query.where(_STAFF.user_id == f.user_id)
        if f.q:
            query = query.where(_STAFF.full_name.ilike(f"%{escape_like(f.q)}%"))
        rows, total = await paged(self.session, query, paging, rows=True)
        subjects = await subject_ids_of(self.session, [r.id for r in rows])
        return [staff_read(r, subjects[r.id]) for r in rows], total

    async def get(self, staff_id: UUID) -> StaffRead:
        person = await self.staff.get(staff_id)
        return staff_read(person, (await subject_ids_of(self.session, [person.id]))[person.id])

    async def _check(self, values: dict[str, object], person: Staff | None) -> None:
        positions = set(values.get("positions", person.positions if person else []))  # type: ignore[arg-type]
        supervised = values.get("supervised_subject_ids", person.supervised_subject_ids if person else [])
        heads = values.get("heads_unit_id", person.heads_unit_id if person else None)
        if supervised and Position.DEPUTY_HEAD not in positions:
            raise DomainError(
                "Only a deputy head for academic work supervises subjects (cl. 14, 31): add the position deputy_head.",
                field="supervised_subject_ids",
                clause="31",
            )
        if heads and Position.UNIT_HEAD not in positions:
            raise DomainError("Only a unit head heads a unit: add the position unit_head.", field="heads_unit_id")
        if values.get("unit_id"):
            await self.units.live(values["unit_id"], field="unit_id")  # type: ignore[arg-type]
        if values.get("heads_unit_id"):
            await self.units.live(values["heads_unit_id"], field="heads_unit_id")  # type: ignore[arg-type]
        for field in ("subject_ids", "supervised_subject_ids"):
            ids = values.get(field) or []
            if len(set(ids)) != len(ids):  # type: ignore[arg-type]
                raise DomainError("A subject is listed twice.", field=field)
            for subject_id in ids:  # type: ignore[union-attr]
                await self.subjects.live(subject_id, field=field)
        user_id = values.get("user_id")
        if user_id:
            other = await staff_of_user(self.session, user_id)  # type: ignore[arg-type]
            if other is not None and (person is None or other[0] != person.id):
                raise Conflict("This user account is already linked to another staff member.", field="user_id")

    async def _set_subjects(self, person: Staff, subject_ids: list[UUID]) -> None:
        await self.session.execute(delete(StaffSubject).where(StaffSubject.staff_id == person.id))
        self.session.add_all(StaffSubject(staff_id=person.id, subject_id=s) for s in subject_ids)
        await self.session.flush()

    async def create(self, data: StaffCreate) -> StaffRead:
        self.caller.require_shaper("manage staff")
        values = {f: getattr(data, f) for f in data.__struct_fields__}
        await self._check(values, None)
        person = Staff(
            full_name=data.full_name.strip(),
            user_id=data.user_id,
            email=data.email,
            positions=sorted({p.value for p in data.positions}),
            unit_id=data.unit_id,
            heads_unit_id=data.heads_unit_id,
            qualification_category=data.qualification_category,
            supervised_subject_ids=list(data.supervised_subject_ids),
            note=data.note,
        )
        self.session.add(person)
        await self.session.flush()
        await self._set_subjects(person, list(data.subject_ids))
        after = {**snapshot(person), "subject_ids": sorted(str(s) for s in data.subject_ids)}
        await self.context.audit.record("staff.create", "staff", person.id, None, after)
        return staff_read(person, list(data.subject_ids))

    async def update(self, staff_id: UUID, data: StaffUpdate) -> StaffRead:
        self.caller.require_shaper("manage staff")
        person = await self.staff.live(staff_id)
        values = changes(data)
        await self._check(values, person)
        old_subjects = (await subject_ids_of(self.session, [person.id]))[person.id]
        before = {**snapshot(person), "subject_ids": sorted(str(s) for s in old_subjects)}
        for key, value in values.items():
            if key == "subject_ids":
                continue
            if key == "positions":
                value = sorted({p.value for p in value})
            setattr(person, key, value)
        subjects = old_subjects
        if "subject_ids" in values:
            subjects = list(values["subject_ids"])
            await self._set_subjects(person, subjects)
        await self.session.flush()
        after = {**snapshot(person), "subject_ids": sorted(str(s) for s in subjects)}
        if after != before:
            await self.context.audit.record("staff.update", "staff", person.id, before, after)
        return staff_read(person, subjects)

    async def archive(self, staff_id: UUID) -> StaffRead:
        self.caller.require_shaper("manage staff")
        person = await self.staff.get(staff_id)
        await self.staff.archive(person)
        return staff_read(person, (await subject_ids_of(self.session, [person.id]))[person.id])
