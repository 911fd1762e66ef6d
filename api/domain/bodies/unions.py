"""Sector methodological unions (cl. 24): kept in the republic cabinet's schema, with members who
may have no staff record anywhere."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import or_, select

from api.audit import snapshot
from api.clock import today
from api.context import TenantContext
from api.db import escape_like
from api.domain.bodies.external import end_external_membership, external_members, live_member_counts
from api.domain.bodies.models import (
    SectorUnion,
    UnionMember,
)
from api.domain.bodies.rules import (
    UnionMemberKind,
)
from api.domain.bodies.schemas import (
    MembershipEnd,
    UnionCreate,
    UnionMemberCreate,
    UnionUpdate,
)
from api.domain.bodies.services import BodyFilter
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.errors import Conflict, DomainError, NotFound
from api.paging import Paging, paged
from api.records import Records, changes

# --- sector methodological unions (the republic cabinet's schema) -------------------------------


class UnionService:
    """Sector methodological unions (cl. 24): voluntary, by sector, kept by the republic
    methodological cabinet; members come from education organisations, employers and social
    partners and need no account."""

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.tenant = context.tenant
        self.caller = context.caller
        self.unions = Records(context, SectorUnion, "sector_union", "sector union")
        self.member_rows = Records(context, UnionMember, "union_member", "member")

    def _require_republic(self) -> None:
        if self.tenant.kind is not OrgKind.CABINET_REPUBLIC:
            raise DomainError(
                "Sector methodological unions are republic-level (cl. 24): they are kept by the republic "
                "methodological cabinet.",
                field="organisation_id",
                clause="24",
            )

    async def list(self, f: BodyFilter, paging: Paging) -> tuple[list[SectorUnion], int]:
        query = select(SectorUnion).order_by(SectorUnion.name, SectorUnion.id)
        if not f.include_archived:
            query = query.where(SectorUnion.archived_at.is_(None))
        if f.q:
            like = f"%{escape_like(f.q)}%"
            query = query.where(or_(SectorUnion.name.ilike(like), SectorUnion.sector.ilike(like)))
        return await paged(self.session, query, paging)

    async def get(self, union_id: UUID) -> SectorUnion:
        return await self.unions.get(union_id)

    async def create(self, data: UnionCreate) -> SectorUnion:
        self._require_republic()
        self.caller.require_shaper("form sector unions")
        row = SectorUnion(
            name=data.name.strip(),
            sector=data.sector.strip(),
            description=data.description,
            quorum_rule=data.quorum_rule,
        )
        return await self.unions.create(row)

    async def update(self, union_id: UUID, data: UnionUpdate) -> SectorUnion:
        self.caller.require_shaper("change sector unions")
        row = await self.unions.live(union_id)
        values = changes(data)
        for field in ("chair_member_id", "secretary_member_id"):
            member_id = values.get(field)
            if member_id is not None:
                member = await self.session.get(UnionMember, member_id)
                if member is None or member.union_id != row.id or member.left_on is not None:
                    raise DomainError("The chair and the secretary are current members of the union.", field=field)
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await self.unions.changed(row, before)

    async def archive(self, union_id: UUID) -> SectorUnion:
        self.caller.require_shaper("archive sector unions")
        return await self.unions.archive(await self.get(union_id))

    async def add_member(self, union_id: UUID, data: UnionMemberCreate) -> UnionMember:
        self.caller.require_shaper("keep the union's membership")
        union = await self.unions.live(union_id)
        if data.member_kind is UnionMemberKind.EDUCATION_ORGANISATION:
            if data.organisation_id is None:
                raise DomainError(
                    "A member from an education organisation names it (cl. 24).", field="organisation_id", clause="24"
                )
            org = await self.session.get(Organisation, data.organisation_id)
            if org is None or org.kind.startswith("cabinet_"):
                raise NotFound("No education organisation with this id.", field="organisation_id")
        elif data.organisation_id is not None:
            raise DomainError(
                "Employers and social partners are named by `represents`, not by an organisation id.",
                field="organisation_id",
            )
        row = UnionMember(
            union_id=union.id,
            member_kind=data.member_kind,
            full_name=data.full_name.strip(),
            represents=data.represents,
            organisation_id=data.organisation_id,
            user_id=data.user_id,
            email=data.email,
            starts_on=data.starts_on or today(),
        )
        return await self.member_rows.create(row)

    async def end_member(self, union_id: UUID, member_id: UUID, data: MembershipEnd) -> UnionMember:
        self.caller.require_shaper("keep the union's membership")
        union = await self.get(union_id)
        row = await self.session.get(UnionMember, member_id)
        if row is None or row.union_id != union_id:
            raise NotFound("No such member of this union.", field="member_id")
        if row.left_on is None and member_id in (union.chair_member_id, union.secretary_member_id):
            raise Conflict("This member is the chair or the secretary: name another one first.", field="member_id")
        return await end_external_membership(self.member_rows, row, data)

    async def members(self, union_id: UUID, *, include_past: bool, paging: Paging) -> tuple[list[UnionMember], int]:
        await self.get(union_id)
        return await external_members(self.session, UnionMember, UnionMember.union_id, union_id, include_past, paging)

    async def member_counts(self, ids: list[UUID]) -> dict[UUID, int]:
        return await live_member_counts(self.session, UnionMember, UnionMember.union_id, ids)
