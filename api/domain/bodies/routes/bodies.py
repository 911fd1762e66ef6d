"""HTTP for any local body: the registry view, and the members of each."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.access import Scope, access
from api.domain.bodies.routes.common import KEEP, to_body
from api.domain.bodies.rules import BodyKind
from api.domain.bodies.schemas import (
    BodyRead,
    BodyRefRead,
    MemberInput,
    MembershipEnd,
    MembershipRead,
)
from api.domain.bodies.services import (
    BodiesService,
)
from api.domain.structure.controllers import BASE, READ
from api.paging import Page, Paging, paging_by
from api.responses import response_of

# --- any local body: the registry view and membership ------------------------------------------


class BodyController(Controller):
    path = f"{BASE}/bodies"
    tags = ["bodies"]

    @get("/", name="bodies:list", operation_id="ListBodies", opt=access(Scope.TENANT, READ))
    async def list_all(
        self,
        bodies: NamedDependency[BodiesService],
        kind: FromQuery[BodyKind | None] = None,
    ) -> list[BodyRefRead]:
        """Every live body of the organisation; a teacher gets the bodies they belong to or keep."""
        return [response_of(BodyRefRead, r) for r in await bodies.list_visible(kind)]

    @get(
        "/{body_kind:str}/{body_id:uuid}", name="bodies:detail", operation_id="GetBody", opt=access(Scope.TENANT, READ)
    )
    async def detail(
        self,
        bodies: NamedDependency[BodiesService],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
    ) -> BodyRead:
        """Any body by (body_kind, body_id): members today, chair (or leader), secretary, quorum rule."""
        return to_body(await bodies.body(body_kind, body_id))

    @get(
        "/{body_kind:str}/{body_id:uuid}/members",
        name="bodies:members",
        operation_id="ListBodyMembers",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(100)},
    )
    async def members(
        self,
        paging: NamedDependency[Paging],
        bodies: NamedDependency[BodiesService],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
        include_past: FromQuery[bool] = False,
    ) -> Page[MembershipRead]:
        items, total = await bodies.members(body_kind, body_id, include_past=include_past, paging=paging)
        return Page.of(items, total, paging)

    @post(
        "/{body_kind:str}/{body_id:uuid}/members",
        name="bodies:member-add",
        operation_id="AddBodyMember",
        opt=access(Scope.TENANT, KEEP),
    )
    async def add_member(
        self,
        bodies: NamedDependency[BodiesService],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
        data: JSONBody[MemberInput],
    ) -> MembershipRead:
        """Adds a member; methodological council members are elected for a term (`ends_on`, cl. 14)."""
        return await bodies.add_member(body_kind, body_id, data)

    @post(
        "/{body_kind:str}/{body_id:uuid}/members/{membership_id:uuid}/end",
        name="bodies:member-end",
        operation_id="EndBodyMembership",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def end_member(
        self,
        bodies: NamedDependency[BodiesService],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
        membership_id: FromPath[UUID],
        data: JSONBody[MembershipEnd],
    ) -> MembershipRead:
        return await bodies.end_member(body_kind, body_id, membership_id, data)
