"""The rules of the organisation's structure: units (cl. 10, 11) and the subjects catalogue; staff
are in `staff.py`, the academic calendar in `calendar.py`. No HTTP here; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import TenantContext
from api.crud import PlainFilter, PlainService
from api.db import escape_like
from api.domain.organisations.rules import OrgKind
from api.domain.structure.models import Subject, Unit
from api.domain.structure.rules import (
    PARENT_KINDS,
    SCHOOL_SUBJECTS,
    UNIT_KINDS,
    UnitKind,
)
from api.domain.structure.schemas import (
    SubjectCreate,
    UnitCreate,
    UnitKindRead,
    UnitNode,
    UnitUpdate,
)
from api.errors import Conflict, DomainError
from api.paging import Paging, paged
from api.records import Records, changes
from api.tenant_settings import Setting

# --- units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFilter:
    kind: UnitKind | None = None
    parent_id: UUID | None = None
    q: str | None = None
    include_archived: bool = False


class UnitService:
    def __init__(self, context: TenantContext) -> None:
        self.session = context.session
        self.org_kind = context.tenant.kind
        self.caller = context.caller
        self.units = Records(context, Unit, "unit")
        self.parents = Records(context, Unit, "unit", "parent unit")

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
        return await self.units.get(unit_id)

    async def _check_parent(self, kind: UnitKind, parent_id: UUID | None, unit_id: UUID | None = None) -> None:
        parent = await self.parents.live(parent_id, field="parent_id") if parent_id else None
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

    async def create(self, data: UnitCreate) -> Unit:
        self.caller.require_shaper()
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
        return await self.units.create(unit)

    async def update(self, unit_id: UUID, data: UnitUpdate) -> Unit:
        self.caller.require_shaper()
        unit = await self.units.live(unit_id)
        values = changes(data)
        if "parent_id" in values:
            await self._check_parent(UnitKind(unit.kind), values["parent_id"], unit.id)
        if "name" in values:
            values["name"] = values["name"].strip()
        return await self.units.change(unit, values)

    async def archive(self, unit_id: UUID) -> Unit:
        self.caller.require_shaper()
        unit = await self.get(unit_id)
        live_child = await self.session.scalar(
            select(Unit.id).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None)).limit(1)
        )
        if live_child is not None:
            raise Conflict("Archive or move the unit's sub-units first.", field="id")
        return await self.units.archive(unit)


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


class SubjectService(PlainService[Subject]):
    """The organisation's subjects, a plain kind (api.crud): a school's catalogue starts with the
    general-education subjects, seeded on first use; a code names one live subject."""

    model = Subject
    entity = "subject"
    order_by = (Subject.name_ru,)
    search = (Subject.name_kk, Subject.name_ru, Subject.name_en, Subject.code)

    async def list(self, f: PlainFilter, paging: Paging) -> tuple[list[Subject], int]:
        await ensure_subjects_seeded(self.session, self.context.tenant.kind)
        return await super().list(f, paging)

    async def check(self, row: Subject | None, values: dict[str, Any]) -> None:
        if row is not None:
            return
        await ensure_subjects_seeded(self.session, self.context.tenant.kind)
        code = values["code"]
        taken = await self.session.scalar(select(Subject.id).where(Subject.code == code, Subject.archived_at.is_(None)))
        if taken is not None:
            raise Conflict(f"The catalogue already has a subject with code {code}.", field="code")

    async def new(self, data: SubjectCreate) -> Subject:  # type: ignore[override]
        return Subject(code=data.code, name_kk=data.name_kk.strip(), name_ru=data.name_ru.strip(), name_en=data.name_en)
