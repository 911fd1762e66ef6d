"""Councils (cl. 14, 32), the pedagogical council, commissions and departments: collegial bodies
with a chair and a secretary among their members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select

from api.audit import snapshot
from api.context import TenantContext
from api.db import escape_like
from api.domain.bodies.models import (
    Commission,
    Council,
)
from api.domain.bodies.registry import BodyInfo, get_body
from api.domain.bodies.rules import (
    BodyKind,
    CommissionKind,
)
from api.domain.bodies.schemas import (
    CommissionCreate,
    CommissionUpdate,
    CouncilCreate,
    CouncilUpdate,
    MemberInput,
    PedagogicalCouncilCreate,
    PedagogicalCouncilUpdate,
)
from api.domain.bodies.services import BodiesService, BodyFilter
from api.domain.structure.models import Unit
from api.domain.structure.rules import UnitKind
from api.errors import Conflict, DomainError, NotFound
from api.paging import Paging, paged
from api.records import Records, changes

_COMMISSION_UNIT = {
    CommissionKind.SUBJECT_COMMISSION: UnitKind.SUBJECT_COMMISSION,
    CommissionKind.CYCLE_COMMISSION: UnitKind.CYCLE_COMMISSION,
    CommissionKind.DEPARTMENT: UnitKind.DEPARTMENT,
}


class CouncilService:
    """An organisation's councils, commissions and departments."""

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.tenant = context.tenant
        self.caller = context.caller
        self.bodies = BodiesService(context)  # who sees and keeps bodies, and their members
        self.councils = Records(context, Council, "council")
        self.commissions = Records(context, Commission, "commission", "commission or department")
        self.units = Records(context, Unit, "unit")

    # --- councils (cl. 14, 32) -------------------------------------------------------------------

    async def _check_officers(self, info: BodyInfo | None, members: list[MemberInput], values: dict[str, Any]) -> None:
        current = set(info.staff_ids) if info else set()
        current |= {m.staff_id for m in members}
        for field in ("chair_staff_id", "secretary_staff_id"):
            staff_id = values.get(field)
            if staff_id is not None and staff_id not in current:
                role = "chair" if field == "chair_staff_id" else "secretary"
                raise DomainError(f"The {role} is one of the body's members: add them as a member first.", field=field)
        chair = values.get("chair_staff_id", info.chair_staff_id if info else None)
        secretary = values.get("secretary_staff_id", info.secretary_staff_id if info else None)
        if chair is not None and chair == secretary:
            raise DomainError("The chair and the secretary are two different people.", field="secretary_staff_id")

    async def _create_collegial(
        self, row: Council | Commission, kind: BodyKind, members: list[MemberInput], entity: str
    ) -> Any:
        chair, secretary = row.chair_staff_id, row.secretary_staff_id
        await self._check_officers(None, members, {"chair_staff_id": chair, "secretary_staff_id": secretary})
        if len({m.staff_id for m in members}) != len(members):
            raise DomainError("A person is listed twice.", field="members")
        row.chair_staff_id = row.secretary_staff_id = None
        records = self.councils if entity == "council" else self.commissions
        await records.create(row)
        info = BodyInfo(kind, row.id, row.name, (), row.quorum_rule)  # type: ignore[arg-type]
        for i, member in enumerate(members):
            await self.bodies.add_member_row(info, member, field=f"members[{i}].staff_id")
        if chair or secretary:
            before = snapshot(row)
            row.chair_staff_id, row.secretary_staff_id = chair, secretary
            await records.changed(row, before)
        return row

    async def list_councils(self, kind: BodyKind, f: BodyFilter, paging: Paging) -> tuple[list[Council], int]:
        query = select(Council).where(
            Council.kind == ("pedagogical" if kind is BodyKind.PEDAGOGICAL_COUNCIL else "methodological")
        )
        query = query.order_by(Council.unit_id.is_not(None), Council.name, Council.id)
        ids = await self.bodies.visible(kind)
        if ids is not None:
            query = query.where(Council.id.in_(ids))
        if not f.include_archived:
            query = query.where(Council.archived_at.is_(None))
        if f.unit_id:
            query = query.where(Council.unit_id == f.unit_id)
        if f.q:
            query = query.where(Council.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    async def _council(self, kind: BodyKind, council_id: UUID) -> Council:
        row = await self.session.get(Council, council_id)
        wanted = "pedagogical" if kind is BodyKind.PEDAGOGICAL_COUNCIL else "methodological"
        if row is None or row.kind != wanted:
            raise NotFound(f"No {kind.value.replace('_', ' ')} with this id.", field="id")
        return row

    async def get_council(self, kind: BodyKind, council_id: UUID) -> Council:
        row = await self._council(kind, council_id)
        await self.bodies.require_visible(kind, row.id)
        return row

    @staticmethod
    def _refuse_pedagogical_double(flag: object) -> None:
        if flag:
            raise DomainError(
                "The methodological council must not duplicate the pedagogical council (cl. 32): the pedagogical "
                "council is a body of its own (/pedagogical-council).",
                field="acts_as_pedagogical_council",
                clause="32",
            )

    async def create_council(self, data: CouncilCreate) -> Council:
        self.caller.require_shaper("form councils")
        self._refuse_pedagogical_double(data.acts_as_pedagogical_council)
        organisation_council = await self.session.scalar(
            select(Council).where(
                Council.kind == "methodological", Council.unit_id.is_(None), Council.archived_at.is_(None)
            )
        )
        if data.unit_id is None:
            if organisation_council is not None:
                raise Conflict("The organisation has a methodological council already.", field="unit_id")
        else:
            await self.units.live(data.unit_id, field="unit_id")
            if organisation_council is None:
                raise DomainError(
                    "A unit's council is formed as the organisation's methodological council decides (cl. 14): "
                    "form the organisation's council first.",
                    field="unit_id",
                    clause="14",
                )
            taken = await self.session.scalar(
                select(Council.id).where(Council.unit_id == data.unit_id, Council.archived_at.is_(None))
            )
            if taken is not None:
                raise Conflict("The unit has a methodological council already.", field="unit_id")
        for i, member in enumerate(data.members):
            if member.ends_on is None:
                raise DomainError(
                    "Members of a methodological council are elected for a term (cl. 14): give ends_on.",
                    field=f"members[{i}].ends_on",
                    clause="14",
                )
        row = Council(
            name=data.name.strip(),
            kind="methodological",
            unit_id=data.unit_id,
            quorum_rule=data.quorum_rule,
            chair_staff_id=data.chair_staff_id,
            secretary_staff_id=data.secretary_staff_id,
        )
        return await self._create_collegial(row, BodyKind.COUNCIL, data.members, "council")

    async def create_pedagogical_council(self, data: PedagogicalCouncilCreate) -> Council:
        self.caller.require_shaper("form the pedagogical council")
        taken = await self.session.scalar(
            select(Council.id).where(Council.kind == "pedagogical", Council.archived_at.is_(None))
        )
        if taken is not None:
            raise Conflict("The organisation has a pedagogical council already.", field="name")
        row = Council(
            name=data.name.strip(),
            kind="pedagogical",
            unit_id=None,
            quorum_rule=data.quorum_rule,
            chair_staff_id=data.chair_staff_id,
            secretary_staff_id=data.secretary_staff_id,
        )
        return await self._create_collegial(row, BodyKind.PEDAGOGICAL_COUNCIL, data.members, "council")

    async def update_council(
        self, kind: BodyKind, council_id: UUID, data: CouncilUpdate | PedagogicalCouncilUpdate
    ) -> Council:
        values = changes(data)
        self._refuse_pedagogical_double(values.pop("acts_as_pedagogical_council", False))
        self.caller.require_shaper("change councils")
        row = await self._council(kind, council_id)
        if row.archived_at is not None:
            raise Conflict("The council is archived.", field="id")
        info = await get_body(self.session, kind, row.id)
        await self._check_officers(info, [], values)
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await self.councils.changed(row, before)

    async def archive_council(self, kind: BodyKind, council_id: UUID) -> Council:
        self.caller.require_shaper("archive councils")
        row = await self._council(kind, council_id)
        if kind is BodyKind.COUNCIL and row.unit_id is None and row.archived_at is None:
            live_unit_council = await self.session.scalar(
                select(Council.id)
                .where(Council.kind == "methodological", Council.unit_id.is_not(None), Council.archived_at.is_(None))
                .limit(1)
            )
            if live_unit_council is not None:
                raise Conflict(
                    "Units' councils depend on the organisation's council (cl. 14): archive them first.",
                    field="id",
                    clause="14",
                )
        return await self.councils.archive(row)

    # --- commissions and departments -------------------------------------------------------------

    async def list_commissions(self, f: BodyFilter, paging: Paging) -> tuple[list[Commission], int]:
        """Subject and cycle commissions and departments (filter with `kind`)."""
        query = select(Commission).order_by(Commission.name, Commission.id)
        commissions = await self.bodies.visible(BodyKind.COMMISSION)
        departments = await self.bodies.visible(BodyKind.DEPARTMENT)
        if commissions is not None and departments is not None:
            query = query.where(Commission.id.in_(commissions | departments))
        if not f.include_archived:
            query = query.where(Commission.archived_at.is_(None))
        if f.kind:
            query = query.where(Commission.kind == f.kind)
        if f.unit_id:
            query = query.where(Commission.unit_id == f.unit_id)
        if f.q:
            query = query.where(Commission.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    async def get_commission(self, commission_id: UUID) -> Commission:
        row = await self.commissions.get(commission_id)
        kind = BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
        await self.bodies.require_visible(kind, row.id)
        return row

    async def create_commission(self, data: CommissionCreate) -> Commission:
        self.caller.require_shaper("form commissions and departments")
        unit = await self.units.live(data.unit_id, field="unit_id")
        if unit.kind != _COMMISSION_UNIT[data.kind]:
            raise DomainError(
                f"A {data.kind.value.replace('_', ' ')} is the body of a unit of kind "
                f"{_COMMISSION_UNIT[data.kind].value} "
                f"(cl. 10); this unit is a {unit.kind}.",
                field="unit_id",
                clause="10",
            )
        taken = await self.session.scalar(
            select(Commission.id).where(Commission.unit_id == unit.id, Commission.archived_at.is_(None))
        )
        if taken is not None:
            raise Conflict("This unit has its body already.", field="unit_id")
        kind = BodyKind.DEPARTMENT if data.kind is CommissionKind.DEPARTMENT else BodyKind.COMMISSION
        row = Commission(
            name=data.name.strip(),
            kind=data.kind,
            unit_id=unit.id,
            quorum_rule=data.quorum_rule,
            chair_staff_id=data.chair_staff_id,
            secretary_staff_id=data.secretary_staff_id,
        )
        return await self._create_collegial(row, kind, data.members, "commission")

    async def update_commission(self, commission_id: UUID, data: CommissionUpdate) -> Commission:
        self.caller.require_shaper("change commissions and departments")
        row = await self.commissions.live(commission_id)
        kind = BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
        values = changes(data)
        await self._check_officers(await get_body(self.session, kind, row.id), [], values)
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await self.commissions.changed(row, before)

    async def archive_commission(self, commission_id: UUID) -> Commission:
        self.caller.require_shaper("archive commissions and departments")
        return await self.commissions.archive(await self.commissions.get(commission_id))
