"""HTTP for inter-school associations, kept under a district (city) cabinet (cl. 25, 30)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.access import Scope, access
from api.crud import Search
from api.domain.bodies.inter_school import InterSchoolService
from api.domain.bodies.routes.common import CABINET
from api.domain.bodies.rules import AssociationKind, BodyKind
from api.domain.bodies.schemas import (
    DistrictRead,
    InterSchoolCreate,
    InterSchoolLeaderCreate,
    InterSchoolMemberCreate,
    InterSchoolMemberRead,
    InterSchoolRead,
    InterSchoolUpdate,
    LeaderEnd,
    LeaderRead,
    MembershipEnd,
)
from api.domain.bodies.services import (
    BodiesService,
    BodyFilter,
    leader_read,
)
from api.domain.structure.controllers import BASE, READ
from api.paging import Page, Paging, paging_by
from api.responses import response_of
from api.roles import Role

# --- inter-school associations (a district cabinet) --------------------------------------------


async def to_inter_school(
    service: InterSchoolService, bodies: BodiesService, row: Any, count: int | None = None
) -> InterSchoolRead:
    if count is None:
        count = (await service.member_counts([row.id]))[row.id]
    leader = await bodies.leader_now(BodyKind.INTER_SCHOOL_ASSOCIATION, row.id)
    return response_of(InterSchoolRead, row, member_count=count, leader=leader_read(leader) if leader else None)


def to_inter_school_member(row: Any) -> InterSchoolMemberRead:
    return response_of(InterSchoolMemberRead, row)


class InterSchoolController(Controller):
    """Inter-school associations live in the district (city) cabinet's schema (cl. 25, 30)."""

    path = f"{BASE}/inter-school-associations"
    tags = ["bodies"]

    @get(
        "/",
        name="inter-school:list",
        operation_id="ListInterSchoolAssociations",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_all(
        self,
        paging: NamedDependency[Paging],
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        kind: FromQuery[AssociationKind | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[InterSchoolRead]:
        rows, total = await inter_school.list(BodyFilter(q, include_archived, kind), paging)
        counts = await inter_school.member_counts([r.id for r in rows])
        return Page.of([await to_inter_school(inter_school, bodies, r, counts[r.id]) for r in rows], total, paging)

    @get(
        "/district",
        name="inter-school:district",
        operation_id="GetInterSchoolDistrict",
        opt=access(Scope.TENANT, CABINET),
    )
    async def district(self, inter_school: NamedDependency[InterSchoolService]) -> DistrictRead:
        """The active schools of the cabinet's district with their staff, to add members from, and the
        subjects they teach, to name an association's subject (cl. 25)."""
        return await inter_school.district()

    @post(
        "/", name="inter-school:create", operation_id="CreateInterSchoolAssociation", opt=access(Scope.TENANT, CABINET)
    )
    async def create(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        data: JSONBody[InterSchoolCreate],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.create(data))

    @get(
        "/{association_id:uuid}",
        name="inter-school:detail",
        operation_id="GetInterSchoolAssociation",
        opt=access(Scope.TENANT, READ),
    )
    async def detail(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.get(association_id))

    @patch(
        "/{association_id:uuid}",
        name="inter-school:update",
        operation_id="UpdateInterSchoolAssociation",
        opt=access(Scope.TENANT, CABINET),
    )
    async def update(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
        data: JSONBody[InterSchoolUpdate],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.update(association_id, data))

    @post(
        "/{association_id:uuid}/archive",
        name="inter-school:archive",
        operation_id="ArchiveInterSchoolAssociation",
        status_code=200,
        opt=access(Scope.TENANT, CABINET),
    )
    async def archive(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.archive(association_id))

    @get(
        "/{association_id:uuid}/members",
        name="inter-school:members",
        operation_id="ListInterSchoolMembers",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(100)},
    )
    async def members(
        self,
        paging: NamedDependency[Paging],
        inter_school: NamedDependency[InterSchoolService],
        association_id: FromPath[UUID],
        include_past: FromQuery[bool] = False,
    ) -> Page[InterSchoolMemberRead]:
        rows, total = await inter_school.members(association_id, include_past=include_past, paging=paging)
        return Page.of([to_inter_school_member(r) for r in rows], total, paging)

    @post(
        "/{association_id:uuid}/members",
        name="inter-school:member-add",
        operation_id="AddInterSchoolMember",
        opt=access(Scope.TENANT, CABINET),
    )
    async def add_member(
        self,
        inter_school: NamedDependency[InterSchoolService],
        association_id: FromPath[UUID],
        data: JSONBody[InterSchoolMemberCreate],
    ) -> InterSchoolMemberRead:
        """A teacher of a school of this district, by (organisation_id, staff_id)."""
        return to_inter_school_member(await inter_school.add_member(association_id, data))

    @post(
        "/{association_id:uuid}/members/{member_id:uuid}/end",
        name="inter-school:member-end",
        operation_id="EndInterSchoolMember",
        status_code=200,
        opt=access(Scope.TENANT, CABINET),
    )
    async def end_member(
        self,
        inter_school: NamedDependency[InterSchoolService],
        association_id: FromPath[UUID],
        member_id: FromPath[UUID],
        data: JSONBody[MembershipEnd],
    ) -> InterSchoolMemberRead:
        return to_inter_school_member(await inter_school.end_member(association_id, member_id, data))

    @get(
        "/{association_id:uuid}/leaders",
        name="inter-school:leaders",
        operation_id="ListInterSchoolLeaders",
        opt=access(Scope.TENANT, READ),
    )
    async def leaders(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
    ) -> list[LeaderRead]:
        await inter_school.get(association_id)
        return [leader_read(t) for t in await bodies.leaders(BodyKind.INTER_SCHOOL_ASSOCIATION, association_id)]

    @post(
        "/{association_id:uuid}/leaders",
        name="inter-school:leader-add",
        operation_id="AppointInterSchoolLeader",
        opt=access(Scope.TENANT, Role.DISTRICT_METHODIST),
    )
    async def appoint_leader(
        self,
        inter_school: NamedDependency[InterSchoolService],
        association_id: FromPath[UUID],
        data: JSONBody[InterSchoolLeaderCreate],
    ) -> LeaderRead:
        """Appointed by the district (city) education department (cl. 30), for at most one year."""
        return leader_read(await inter_school.appoint_leader(association_id, data))

    @post(
        "/{association_id:uuid}/leaders/{term_id:uuid}/end",
        name="inter-school:leader-end",
        operation_id="EndInterSchoolLeader",
        status_code=200,
        opt=access(Scope.TENANT, Role.DISTRICT_METHODIST),
    )
    async def end_leader(
        self,
        inter_school: NamedDependency[InterSchoolService],
        association_id: FromPath[UUID],
        term_id: FromPath[UUID],
        data: JSONBody[LeaderEnd],
    ) -> LeaderRead:
        return leader_read(await inter_school.end_leader(association_id, term_id, data))
