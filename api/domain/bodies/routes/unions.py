"""HTTP for sector methodological unions, kept under the republic cabinet (cl. 24)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.access import Scope, access
from api.crud import Search
from api.domain.bodies.schemas import (
    MembershipEnd,
    UnionCreate,
    UnionMemberCreate,
    UnionMemberRead,
    UnionRead,
    UnionUpdate,
)
from api.domain.bodies.services import (
    BodyFilter,
)
from api.domain.bodies.unions import UnionService
from api.domain.structure.controllers import BASE, READ, SHAPE
from api.paging import Page, Paging, paging_by
from api.responses import response_of

# --- sector methodological unions (the republic cabinet) ---------------------------------------


async def to_union(service: UnionService, row: Any) -> UnionRead:
    count = (await service.member_counts([row.id]))[row.id]
    return response_of(UnionRead, row, member_count=count)


def to_union_member(row: Any) -> UnionMemberRead:
    return response_of(UnionMemberRead, row)


class UnionController(Controller):
    """Sector methodological unions (cl. 24), kept in the republic methodological cabinet's schema."""

    path = f"{BASE}/unions"
    tags = ["bodies"]

    @get(
        "/",
        name="unions:list",
        operation_id="ListUnions",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_all(
        self,
        paging: NamedDependency[Paging],
        unions: NamedDependency[UnionService],
        q: Search = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[UnionRead]:
        rows, total = await unions.list(BodyFilter(q, include_archived), paging)
        return Page.of([await to_union(unions, r) for r in rows], total, paging)

    @post("/", name="unions:create", operation_id="CreateUnion", opt=access(Scope.TENANT, SHAPE))
    async def create(self, unions: NamedDependency[UnionService], data: JSONBody[UnionCreate]) -> UnionRead:
        return await to_union(unions, await unions.create(data))

    @get("/{union_id:uuid}", name="unions:detail", operation_id="GetUnion", opt=access(Scope.TENANT, READ))
    async def detail(self, unions: NamedDependency[UnionService], union_id: FromPath[UUID]) -> UnionRead:
        return await to_union(unions, await unions.get(union_id))

    @patch("/{union_id:uuid}", name="unions:update", operation_id="UpdateUnion", opt=access(Scope.TENANT, SHAPE))
    async def update(
        self,
        unions: NamedDependency[UnionService],
        union_id: FromPath[UUID],
        data: JSONBody[UnionUpdate],
    ) -> UnionRead:
        return await to_union(unions, await unions.update(union_id, data))

    @post(
        "/{union_id:uuid}/archive",
        name="unions:archive",
        operation_id="ArchiveUnion",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(self, unions: NamedDependency[UnionService], union_id: FromPath[UUID]) -> UnionRead:
        return await to_union(unions, await unions.archive(union_id))

    @get(
        "/{union_id:uuid}/members",
        name="unions:members",
        operation_id="ListUnionMembers",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(100)},
    )
    async def members(
        self,
        paging: NamedDependency[Paging],
        unions: NamedDependency[UnionService],
        union_id: FromPath[UUID],
        include_past: FromQuery[bool] = False,
    ) -> Page[UnionMemberRead]:
        rows, total = await unions.members(union_id, include_past=include_past, paging=paging)
        return Page.of([to_union_member(r) for r in rows], total, paging)

    @post(
        "/{union_id:uuid}/members",
        name="unions:member-add",
        operation_id="AddUnionMember",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def add_member(
        self,
        unions: NamedDependency[UnionService],
        union_id: FromPath[UUID],
        data: JSONBody[UnionMemberCreate],
    ) -> UnionMemberRead:
        """Members from education organisations, employers and social partners; no account needed (cl. 24)."""
        return to_union_member(await unions.add_member(union_id, data))

    @post(
        "/{union_id:uuid}/members/{member_id:uuid}/end",
        name="unions:member-end",
        operation_id="EndUnionMember",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def end_member(
        self,
        unions: NamedDependency[UnionService],
        union_id: FromPath[UUID],
        member_id: FromPath[UUID],
        data: JSONBody[MembershipEnd],
    ) -> UnionMemberRead:
        return to_union_member(await unions.end_member(union_id, member_id, data))
