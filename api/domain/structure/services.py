"""The rules of the organisation's structure: units (cl. 10, 11), staff (cl. 14, 31), the
subjects catalogue and the academic calendar. No HTTP here; every change is audited."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, any_, bindparam, delete, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.clock import today
from api.db import escape_like
from api.domain.organisations.rules import OrgKind
from api.domain.structure.actors import Actor, staff_for_user
from api.domain.structure.common import archived, changes, created, get_any, get_live, updated
from api.domain.structure.models import AcademicTerm, Staff, StaffSubject, Subject, Unit
from api.domain.structure.rules import (
    PARENT_KINDS,
    SCHOOL_SUBJECTS,
    TERMS_PER_YEAR,
    UNIT_KINDS,
    Position,
    TermKind,
    UnitKind,
    default_terms,
    term_kind_for,
)
from api.domain.structure.schemas import (
    CalendarCreate,
    StaffCreate,
    StaffRead,
    StaffUpdate,
    SubjectCreate,
    SubjectUpdate,
    TermInput,
    TermUpdate,
    UnitCreate,
    UnitKindRead,
    UnitNode,
    UnitUpdate,
)
from api.errors import Conflict, DomainError
from api.paging import Paging, paged
from api.tenant_settings import Setting

__all__ = ["current_term", "staff_for_user"]


# --- units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFilter:
    kind: UnitKind | None = None
    parent_id: UUID | None = None
    q: str | None = None
    include_archived: bool = False


class UnitService:
    def __init__(self, session: AsyncSession, org_kind: OrgKind) -> None:
        self.session = session
        self.org_kind = org_kind

    async def list(self, f: UnitFilter, paging: Paging) -> tuple[list[Unit], int]:
        query = select(Unit).order_by(Unit.name, Unit.id)
        if not f.include_archived:
            query = query.where(Unit.archived_at.is_(None))
        if f.kind:
            query = query.where(Unit.kind == f.kind)
        if f.parent_id:
            query = query.where(Unit.parent_id == f.parent_id)
        if f.q:
            query = query.where(Unit.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    def kinds(self) -> list[UnitKindRead]:
        """The unit kinds this kind of organisation has (cl. 10), in the order of the enumeration,
        each with where it may be placed: what a form offers, so it never offers what `create` refuses."""
        allowed = UNIT_KINDS[self.org_kind]
        return [
            UnitKindRead(
                kind, None in PARENT_KINDS[kind], [p for p in UnitKind if p in PARENT_KINDS[kind] and p in allowed]
            )
            for kind in UnitKind
            if kind in allowed
        ]

    async def tree(self) -> list[UnitNode]:
        rows = (await self.session.scalars(select(Unit).where(Unit.archived_at.is_(None)).order_by(Unit.name))).all()
        nodes = {u.id: UnitNode(u.id, u.name, UnitKind(u.kind), []) for u in rows}
        roots: list[UnitNode] = []
        for u in rows:
            parent = nodes.get(u.parent_id) if u.parent_id else None
            (parent.children if parent else roots).append(nodes[u.id])
        return roots

    async def get(self, unit_id: UUID) -> Unit:
        return await get_any(self.session, Unit, unit_id, what="unit")

    async def _check_parent(self, kind: UnitKind, parent_id: UUID | None, unit_id: UUID | None = None) -> None:
        parent = (
            await get_live(self.session, Unit, parent_id, field="parent_id", what="parent unit") if parent_id else None
        )
        allowed = PARENT_KINDS[kind]
        parent_kind = UnitKind(parent.kind) if parent else None
        if parent_kind not in allowed:
            where = f"inside a {parent_kind.value}" if parent_kind else "at the top of the structure"
            raise DomainError(f"A {kind.value} cannot be placed {where}.", field="parent_id", clause="10")
        # A unit cannot become its own ancestor.
        seen = set()
        while parent is not None and unit_id is not None:
            if parent.id == unit_id or parent.id in seen:
                raise DomainError("A unit cannot be placed inside itself or its own sub-unit.", field="parent_id")
            seen.add(parent.id)
            parent = await self.session.get(Unit, parent.parent_id) if parent.parent_id else None

    async def create(self, data: UnitCreate, actor: Actor) -> Unit:
        actor.require_shaper()
        if data.kind not in UNIT_KINDS[self.org_kind]:
            allowed = ", ".join(sorted(k.value for k in UNIT_KINDS[self.org_kind]))
            raise DomainError(
                f"A {self.org_kind.value} has no units of kind {data.kind.value} (cl. 10); allowed: {allowed}.",
                field="kind",
                clause="10",
            )
        await self._check_parent(data.kind, data.parent_id)
        unit = Unit(
            name=data.name.strip(),
            kind=data.kind,
            parent_id=data.parent_id,
            regulation_document_id=data.regulation_document_id,
            regulation_title=data.regulation_title,
            regulation_approved_on=data.regulation_approved_on,
        )
        return await created(self.session, actor.user_id, "unit", unit)

    async def update(self, unit_id: UUID, data: UnitUpdate, actor: Actor) -> Unit:
        actor.require_shaper()
        unit = await get_live(self.session, Unit, unit_id, field="id", what="unit")
        values = changes(data)
        if "parent_id" in values:
            await self._check_parent(UnitKind(unit.kind), values["parent_id"], unit.id)
        before = snapshot(unit)
        for key, value in values.items():
            setattr(unit, key, value.strip() if key == "name" else value)
        return await updated(self.session, actor.user_id, "unit", unit, before)

    async def archive(self, unit_id: UUID, actor: Actor) -> Unit:
        actor.require_shaper()
        unit = await self.get(unit_id)
        live_child = await self.session.scalar(
            select(Unit.id).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None)).limit(1)
        )
        if live_child is not None:
            raise Conflict("Archive or move the unit's sub-units first.", field="id")
        return await archived(self.session, actor.user_id, "unit", unit)


# --- subjects ----------------------------------------------------------------------------------

SEEDED_KEY = "structure.subjects_seeded"


async def ensure_subjects_seeded(session: AsyncSession, org_kind: OrgKind) -> int:
    """Schools get the general-education subjects once, on first use of the catalogue.

    A setting records that it was done, so subjects a school archived do not come back.
    """
    if org_kind is not OrgKind.SCHOOL:
        return 0
    if await session.scalar(select(Setting.id).where(Setting.key == SEEDED_KEY)) is not None:
        return 0
    existing = set((await session.scalars(select(Subject.code))).all())
    added = [
        Subject(code=c, name_kk=kk, name_ru=ru, name_en=en) for c, kk, ru, en in SCHOOL_SUBJECTS if c not in existing
    ]
    session.add_all(added)
    session.add(Setting(key=SEEDED_KEY, value={"count": len(added)}))
    await session.flush()
    return len(added)


@dataclass(frozen=True)
class SubjectFilter:
    q: str | None = None
    include_archived: bool = False


class SubjectService:
    def __init__(self, session: AsyncSession, org_kind: OrgKind) -> None:
        self.session = session
        self.org_kind = org_kind

    async def list(self, f: SubjectFilter, paging: Paging) -> tuple[list[Subject], int]:
        await ensure_subjects_seeded(self.session, self.org_kind)
        query = select(Subject).order_by(Subject.name_ru, Subject.id)
        if not f.include_archived:
            query = query.where(Subject.archived_at.is_(None))
        if f.q:
            like = f"%{escape_like(f.q)}%"
            query = query.where(
                or_(
                    Subject.name_kk.ilike(like),
                    Subject.name_ru.ilike(like),
                    Subject.name_en.ilike(like),
                    Subject.code.ilike(like),
                )
            )
        return await paged(self.session, query, paging)

    async def get(self, subject_id: UUID) -> Subject:
        return await get_any(self.session, Subject, subject_id, what="subject")

    async def create(self, data: SubjectCreate, actor: Actor) -> Subject:
        actor.require_shaper()
        await ensure_subjects_seeded(self.session, self.org_kind)
        taken = await self.session.scalar(
            select(Subject.id).where(Subject.code == data.code, Subject.archived_at.is_(None))
        )
        if taken is not None:
            raise Conflict(f"The catalogue already has a subject with code {data.code}.", field="code")
        subject = Subject(
            code=data.code, name_kk=data.name_kk.strip(), name_ru=data.name_ru.strip(), name_en=data.name_en
        )
        return await created(self.session, actor.user_id, "subject", subject)

    async def update(self, subject_id: UUID, data: SubjectUpdate, actor: Actor) -> Subject:
        actor.require_shaper()
        subject = await get_live(self.session, Subject, subject_id, field="id", what="subject")
        before = snapshot(subject)
        for key, value in changes(data).items():
            setattr(subject, key, value)
        return await updated(self.session, actor.user_id, "subject", subject, before)

    async def archive(self, subject_id: UUID, actor: Actor) -> Subject:
        actor.require_shaper()
        return await archived(self.session, actor.user_id, "subject", await self.get(subject_id))


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
    return StaffRead(
        id=person.id,
        full_name=person.full_name,
        user_id=person.user_id,
        email=person.email,
        positions=[Position(p) for p in person.positions],
        unit_id=person.unit_id,
        heads_unit_id=person.heads_unit_id,
        qualification_category=person.qualification_category,
        subject_ids=sorted(subject_ids, key=str),
        supervised_subject_ids=list(person.supervised_subject_ids or []),
        note=person.note,
        archived_at=person.archived_at,
    )


class StaffService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, f: StaffFilter, paging: Paging) -> tuple[list[StaffRead], int]:
        # The table's columns, not the mapped class: rows without the ORM's loading, since a list
        # is read far more often than it is changed.
        query = _STAFF_LIST_DESCENDING if f.descending else _STAFF_LIST
        if not f.include_archived:
            query = query.where(_STAFF.archived_at.is_(None))
        if f.unit_id:
            query = query.where(_STAFF.unit_id == f.unit_id)
        if f.subject_id:
            query = query.where(
                _STAFF.id.in_(
                    select(StaffSubject.__table__.c.staff_id).where(StaffSubject.__table__.c.subject_id == f.subject_id)
                )
            )
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
        person = await get_any(self.session, Staff, staff_id, what="staff member")
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
            await get_live(self.session, Unit, values["unit_id"], field="unit_id", what="unit")  # type: ignore[arg-type]
        if values.get("heads_unit_id"):
            await get_live(self.session, Unit, values["heads_unit_id"], field="heads_unit_id", what="unit")  # type: ignore[arg-type]
        for field in ("subject_ids", "supervised_subject_ids"):
            ids = values.get(field) or []
            if len(set(ids)) != len(ids):  # type: ignore[arg-type]
                raise DomainError("A subject is listed twice.", field=field)
            for subject_id in ids:  # type: ignore[union-attr]
                await get_live(self.session, Subject, subject_id, field=field, what="subject")
        user_id = values.get("user_id")
        if user_id:
            other = await staff_for_user(self.session, user_id)  # type: ignore[arg-type]
            if other is not None and (person is None or other.id != person.id):
                raise Conflict("This user account is already linked to another staff member.", field="user_id")

    async def _set_subjects(self, person: Staff, subject_ids: list[UUID]) -> None:
        await self.session.execute(delete(StaffSubject).where(StaffSubject.staff_id == person.id))
        self.session.add_all(StaffSubject(staff_id=person.id, subject_id=s) for s in subject_ids)
        await self.session.flush()

    async def create(self, data: StaffCreate, actor: Actor) -> StaffRead:
        actor.require_shaper("manage staff")
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
        from api.audit import record

        await record(
            self.session,
            actor_id=actor.user_id,
            action="staff.create",
            entity="staff",
            entity_id=person.id,
            before=None,
            after=after,
        )
        return staff_read(person, list(data.subject_ids))

    async def update(self, staff_id: UUID, data: StaffUpdate, actor: Actor) -> StaffRead:
        actor.require_shaper("manage staff")
        person = await get_live(self.session, Staff, staff_id, field="id", what="staff member")
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
            from api.audit import record

            await record(
                self.session,
                actor_id=actor.user_id,
                action="staff.update",
                entity="staff",
                entity_id=person.id,
                before=before,
                after=after,
            )
        return staff_read(person, subjects)

    async def archive(self, staff_id: UUID, actor: Actor) -> StaffRead:
        actor.require_shaper("manage staff")
        person = await get_any(self.session, Staff, staff_id, what="staff member")
        await archived(self.session, actor.user_id, "staff", person)
        return staff_read(person, (await subject_ids_of(self.session, [person.id]))[person.id])


# --- academic calendar -------------------------------------------------------------------------


async def current_term(session: AsyncSession, on: datetime.date | None = None) -> AcademicTerm | None:
    """ "This quarter" (or semester): the live term that contains `on` (default today)."""
    on = on or today()
    return await session.scalar(
        select(AcademicTerm)
        .where(AcademicTerm.archived_at.is_(None), AcademicTerm.starts_on <= on, AcademicTerm.ends_on >= on)
        .limit(1)
    )


async def next_term(session: AsyncSession, on: datetime.date) -> AcademicTerm | None:
    return await session.scalar(
        select(AcademicTerm)
        .where(AcademicTerm.archived_at.is_(None), AcademicTerm.starts_on > on)
        .order_by(AcademicTerm.starts_on)
        .limit(1)
    )


def _year_bounds(school_year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(school_year, 8, 1), datetime.date(school_year + 1, 7, 31)


def check_terms(kind: TermKind, school_year: int, terms: list[TermInput]) -> None:
    count = TERMS_PER_YEAR[kind]
    numbers = sorted(t.number for t in terms)
    if numbers != list(range(1, count + 1)):
        raise DomainError(f"A school year has {count} {kind.value}s numbered 1-{count}.", field="terms")
    first, last = _year_bounds(school_year)
    ordered = sorted(terms, key=lambda t: t.number)
    for i, term in enumerate(ordered):
        field = f"terms[{i}]"
        if term.ends_on < term.starts_on:
            raise DomainError(f"{kind.value.capitalize()} {term.number} ends before it starts.", field=field)
        if term.starts_on < first or term.ends_on > last:
            raise DomainError(
                f"{kind.value.capitalize()} {term.number} must lie within {first.isoformat()} - {last.isoformat()}.",
                field=field,
            )
        if i and term.starts_on <= ordered[i - 1].ends_on:
            raise DomainError(f"{kind.value.capitalize()} {term.number} overlaps the one before it.", field=field)


class CalendarService:
    def __init__(self, session: AsyncSession, org_kind: OrgKind) -> None:
        self.session = session
        self.kind = term_kind_for(org_kind)

    async def year(self, school_year: int, *, include_archived: bool = False) -> list[AcademicTerm]:
        query = (
            select(AcademicTerm)
            .where(AcademicTerm.school_year == school_year)
            .order_by(AcademicTerm.number, AcademicTerm.created_at)
        )
        if not include_archived:
            query = query.where(AcademicTerm.archived_at.is_(None))
        return list((await self.session.scalars(query)).all())

    async def years(self) -> list[int]:
        rows = await self.session.scalars(
            select(AcademicTerm.school_year)
            .where(AcademicTerm.archived_at.is_(None))
            .distinct()
            .order_by(AcademicTerm.school_year)
        )
        return list(rows.all())

    async def create(self, data: CalendarCreate, actor: Actor) -> list[AcademicTerm]:
        actor.require_shaper("set the academic calendar")
        if await self.year(data.school_year):
            raise Conflict(
                f"The calendar of {data.school_year}/{data.school_year + 1} exists; edit its terms.",
                field="school_year",
            )
        terms = data.terms
        if terms is None:
            terms = [TermInput(n, s, e) for n, s, e in default_terms(self.kind, data.school_year)]
        check_terms(self.kind, data.school_year, terms)
        out = []
        for t in sorted(terms, key=lambda t: t.number):
            row = AcademicTerm(
                school_year=data.school_year, kind=self.kind, number=t.number, starts_on=t.starts_on, ends_on=t.ends_on
            )
            out.append(await created(self.session, actor.user_id, "academic_term", row))
        return out

    async def get(self, term_id: UUID) -> AcademicTerm:
        return await get_any(self.session, AcademicTerm, term_id, what="term")

    async def update(self, term_id: UUID, data: TermUpdate, actor: Actor) -> AcademicTerm:
        actor.require_shaper("set the academic calendar")
        term = await get_live(self.session, AcademicTerm, term_id, field="id", what="term")
        values = changes(data)
        before = snapshot(term)
        siblings = [t for t in await self.year(term.school_year) if t.id != term.id]
        proposed = TermInput(term.number, values.get("starts_on", term.starts_on), values.get("ends_on", term.ends_on))
        try:
            check_terms(
                TermKind(term.kind),
                term.school_year,
                [*(TermInput(t.number, t.starts_on, t.ends_on) for t in siblings), proposed],
            )
        except DomainError as exc:
            # Name the date the caller changed, not a position in a list they did not send.
            exc.field = "ends_on" if "ends_on" in values else "starts_on"
            raise
        for key, value in values.items():
            setattr(term, key, value)
        return await updated(self.session, actor.user_id, "academic_term", term, before)

    async def archive(self, term_id: UUID, actor: Actor) -> AcademicTerm:
        """Archiving a term archives its whole school year: a year with a missing quarter is no calendar."""
        actor.require_shaper("set the academic calendar")
        term = await self.get(term_id)
        for sibling in await self.year(term.school_year):
            await archived(self.session, actor.user_id, "academic_term", sibling)
        return term
