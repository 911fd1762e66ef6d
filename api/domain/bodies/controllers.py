"""HTTP for the bodies: associations and their leaders, councils, the pedagogical council,
commissions and departments, members of any local body, inter-school associations (under a
district cabinet), sector unions (under the republic cabinet), and the audit log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import IN_TRANSACTION, Scope, access
from api.audit import ChainReport, entries, verify
from api.domain.bodies.registry import BodyInfo, BodyMember, list_bodies
from api.domain.bodies.rules import AssociationKind, BodyKind, CommissionKind
from api.domain.bodies.schemas import (
    AssociationCreate,
    AssociationRead,
    AssociationUpdate,
    BodyMemberRead,
    BodyRead,
    BodyRefRead,
    CommissionCreate,
    CommissionRead,
    CommissionUpdate,
    CouncilCreate,
    CouncilRead,
    CouncilUpdate,
    DistrictRead,
    InterSchoolCreate,
    InterSchoolLeaderCreate,
    InterSchoolMemberCreate,
    InterSchoolMemberRead,
    InterSchoolRead,
    InterSchoolUpdate,
    LeaderCreate,
    LeaderEnd,
    LeaderRead,
    MemberInput,
    MembershipEnd,
    MembershipRead,
    PedagogicalCouncilCreate,
    PedagogicalCouncilUpdate,
    UnionCreate,
    UnionMemberCreate,
    UnionMemberRead,
    UnionRead,
    UnionUpdate,
)
from api.domain.bodies.services import (
    BodiesService,
    BodyFilter,
    InterSchoolService,
    UnionService,
    association_kinds,
    leader_read,
)
from api.domain.structure.actors import Actor
from api.domain.structure.controllers import BASE, READ, SHAPE, Search
from api.domain.structure.schemas import Page
from api.errors import NotFound
from api.paging import PageNo, PageSize, Paging
from api.roles import Role

# Association leaders and council chairs and secretaries keep their own bodies' membership; the
# service checks that the caller keeps *this* body.
KEEP = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD, Role.ASSOCIATION_LEADER, Role.COUNCIL_CHAIR, Role.COUNCIL_SECRETARY)
# A district cabinet's own staff, or the district department's methodists, keep inter-school associations.
CABINET = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD, Role.DISTRICT_METHODIST)
AUDIT = (Role.ORGANISATION_ADMIN, Role.HEAD, Role.DEPUTY_HEAD)


async def to_association(bodies: BodiesService, row: Any, count: int | None = None) -> AssociationRead:
    if count is None:
        count = (await bodies.member_counts(BodyKind.ASSOCIATION, [row.id]))[row.id]
    leader = await bodies.leader_now(BodyKind.ASSOCIATION, row.id)
    return AssociationRead(
        id=row.id,
        name=row.name,
        kind=AssociationKind(row.kind),
        subject_id=row.subject_id,
        unit_id=row.unit_id,
        quorum_rule=row.quorum_rule,
        note=row.note,
        archived_at=row.archived_at,
        member_count=count,
        leader=leader_read(leader) if leader else None,
    )


async def to_council(bodies: BodiesService, row: Any) -> CouncilRead:
    kind = BodyKind.PEDAGOGICAL_COUNCIL if row.kind == "pedagogical" else BodyKind.COUNCIL
    count = (await bodies.member_counts(kind, [row.id]))[row.id]
    return CouncilRead(
        id=row.id,
        body_kind=kind,
        name=row.name,
        unit_id=row.unit_id,
        chair_staff_id=row.chair_staff_id,
        secretary_staff_id=row.secretary_staff_id,
        quorum_rule=row.quorum_rule,
        archived_at=row.archived_at,
        member_count=count,
    )


async def to_commission(bodies: BodiesService, row: Any) -> CommissionRead:
    kind = BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
    count = (await bodies.member_counts(kind, [row.id]))[row.id]
    return CommissionRead(
        id=row.id,
        body_kind=kind,
        name=row.name,
        kind=CommissionKind(row.kind),
        unit_id=row.unit_id,
        chair_staff_id=row.chair_staff_id,
        secretary_staff_id=row.secretary_staff_id,
        quorum_rule=row.quorum_rule,
        archived_at=row.archived_at,
        member_count=count,
    )


def _member(m: BodyMember | None) -> BodyMemberRead | None:
    return BodyMemberRead(m.full_name, m.staff_id, m.organisation_id, m.member_id, m.term_ends_on) if m else None


def to_body(info: BodyInfo) -> BodyRead:
    return BodyRead(
        kind=info.kind,
        id=info.id,
        name=info.name,
        subkind=info.subkind,
        unit_id=info.unit_id,
        archived=info.archived,
        quorum_rule=info.quorum_rule,
        chair=_member(info.chair),
        secretary=_member(info.secretary),
        leader_term_ends_on=info.leader_term_ends_on,
        members=[_member(m) for m in info.members],  # type: ignore[misc]
    )


# --- associations ------------------------------------------------------------------------------


class AssociationController(Controller):
    path = f"{BASE}/associations"
    tags = ["bodies"]

    @get("/", name="associations:list", operation_id="ListAssociations", opt=access(Scope.TENANT, READ))
    async def list_associations(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        kind: FromQuery[AssociationKind | None] = None,
        subject_id: FromQuery[UUID | None] = None,
        unit_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> Page[AssociationRead]:
        """The organisation's associations; a teacher sees the ones they belong to."""
        rows, total = await bodies.list_associations(
            BodyFilter(q, include_archived, kind, unit_id, subject_id), Paging(page, page_size), actor
        )
        counts = await bodies.member_counts(BodyKind.ASSOCIATION, [r.id for r in rows])
        return Page([await to_association(bodies, r, counts[r.id]) for r in rows], total, page, page_size)

    @post("/", name="associations:create", operation_id="CreateAssociation", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], data: JSONBody[AssociationCreate]
    ) -> AssociationRead:
        """Forms an association (cl. 25). A subject association in a school needs at least three
        teachers of the subject (cl. 26); with fewer it is refused and the inter-school association offered."""
        return await to_association(bodies, await bodies.create_association(data, actor))

    @get("/kinds", name="associations:kinds", operation_id="ListAssociationKinds", opt=access(Scope.TENANT, READ))
    async def kinds(self, bodies: NamedDependency[BodiesService]) -> list[AssociationKind]:
        """The kinds of association this organisation forms: all of cl. 25 in a school, subject and
        curators' associations in a college, none elsewhere (a university works in departments)."""
        return list(association_kinds(bodies.tenant.kind))

    @get(
        "/{association_id:uuid}",
        name="associations:detail",
        operation_id="GetAssociation",
        opt=access(Scope.TENANT, READ),
    )
    async def detail(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], association_id: FromPath[UUID]
    ) -> AssociationRead:
        return await to_association(bodies, await bodies.get_association(association_id, actor))

    @patch(
        "/{association_id:uuid}",
        name="associations:update",
        operation_id="UpdateAssociation",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def update(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        data: JSONBody[AssociationUpdate],
    ) -> AssociationRead:
        return await to_association(bodies, await bodies.update_association(association_id, data, actor))

    @post(
        "/{association_id:uuid}/archive",
        name="associations:archive",
        operation_id="ArchiveAssociation",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], association_id: FromPath[UUID]
    ) -> AssociationRead:
        return await to_association(bodies, await bodies.archive_association(association_id, actor))

    @get(
        "/{association_id:uuid}/leaders",
        name="associations:leaders",
        operation_id="ListAssociationLeaders",
        opt=access(Scope.TENANT, READ),
    )
    async def leaders(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], association_id: FromPath[UUID]
    ) -> list[LeaderRead]:
        """Every leader the association has had, the latest first (cl. 30)."""
        await bodies.get_association(association_id, actor)
        return [leader_read(t) for t in await bodies.leaders(BodyKind.ASSOCIATION, association_id)]

    @post(
        "/{association_id:uuid}/leaders",
        name="associations:leader-add",
        operation_id="AddAssociationLeader",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def add_leader(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        data: JSONBody[LeaderCreate],
    ) -> LeaderRead:
        """Records a leader elected (appointed) for at most one year (cl. 30)."""
        return leader_read(await bodies.add_leader(association_id, data, actor))

    @post(
        "/{association_id:uuid}/leaders/{term_id:uuid}/end",
        name="associations:leader-end",
        operation_id="EndAssociationLeader",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def end_leader(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        term_id: FromPath[UUID],
        data: JSONBody[LeaderEnd],
    ) -> LeaderRead:
        actor.require_shaper("end a leader's term")
        return leader_read(await bodies.end_leader(BodyKind.ASSOCIATION, association_id, term_id, data, actor))


# --- councils and the pedagogical council ------------------------------------------------------


class CouncilController(Controller):
    path = f"{BASE}/councils"
    tags = ["bodies"]

    @get("/", name="councils:list", operation_id="ListCouncils", opt=access(Scope.TENANT, READ))
    async def list_councils(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        unit_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> Page[CouncilRead]:
        """Methodological councils: the organisation's first, then the units' (cl. 14, 32)."""
        rows, total = await bodies.list_councils(
            BodyKind.COUNCIL, BodyFilter(q, include_archived, unit_id=unit_id), Paging(page, page_size), actor
        )
        return Page([await to_council(bodies, r) for r in rows], total, page, page_size)

    @post("/", name="councils:create", operation_id="CreateCouncil", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], data: JSONBody[CouncilCreate]
    ) -> CouncilRead:
        """Forms the organisation's methodological council, or a unit's once the organisation's exists
        (cl. 14). It never doubles as the pedagogical council (cl. 32)."""
        return await to_council(bodies, await bodies.create_council(data, actor))

    @get("/{council_id:uuid}", name="councils:detail", operation_id="GetCouncil", opt=access(Scope.TENANT, READ))
    async def detail(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], council_id: FromPath[UUID]
    ) -> CouncilRead:
        return await to_council(bodies, await bodies.get_council(BodyKind.COUNCIL, council_id, actor))

    @patch("/{council_id:uuid}", name="councils:update", operation_id="UpdateCouncil", opt=access(Scope.TENANT, SHAPE))
    async def update(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        council_id: FromPath[UUID],
        data: JSONBody[CouncilUpdate],
    ) -> CouncilRead:
        return await to_council(bodies, await bodies.update_council(BodyKind.COUNCIL, council_id, data, actor))

    @post(
        "/{council_id:uuid}/archive",
        name="councils:archive",
        operation_id="ArchiveCouncil",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], council_id: FromPath[UUID]
    ) -> CouncilRead:
        return await to_council(bodies, await bodies.archive_council(BodyKind.COUNCIL, council_id, actor))


class PedagogicalCouncilController(Controller):
    """The pedagogical council: a body of its own, never the methodological council (cl. 32)."""

    path = f"{BASE}/pedagogical-council"
    tags = ["bodies"]

    @get("/", name="pedagogical-council:current", operation_id="GetPedagogicalCouncil", opt=access(Scope.TENANT, READ))
    async def current(self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor]) -> CouncilRead:
        rows, _ = await bodies.list_councils(BodyKind.PEDAGOGICAL_COUNCIL, BodyFilter(), Paging(1, 1), actor)
        if not rows:
            raise NotFound("The organisation has no pedagogical council recorded yet.", field="organisation_id")
        return await to_council(bodies, rows[0])

    @post(
        "/", name="pedagogical-council:create", operation_id="CreatePedagogicalCouncil", opt=access(Scope.TENANT, SHAPE)
    )
    async def create(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        data: JSONBody[PedagogicalCouncilCreate],
    ) -> CouncilRead:
        return await to_council(bodies, await bodies.create_pedagogical_council(data, actor))

    @get(
        "/{council_id:uuid}",
        name="pedagogical-council:detail",
        operation_id="GetPedagogicalCouncilById",
        opt=access(Scope.TENANT, READ),
    )
    async def detail(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], council_id: FromPath[UUID]
    ) -> CouncilRead:
        return await to_council(bodies, await bodies.get_council(BodyKind.PEDAGOGICAL_COUNCIL, council_id, actor))

    @patch(
        "/{council_id:uuid}",
        name="pedagogical-council:update",
        operation_id="UpdatePedagogicalCouncil",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def update(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        council_id: FromPath[UUID],
        data: JSONBody[PedagogicalCouncilUpdate],
    ) -> CouncilRead:
        return await to_council(
            bodies, await bodies.update_council(BodyKind.PEDAGOGICAL_COUNCIL, council_id, data, actor)
        )

    @post(
        "/{council_id:uuid}/archive",
        name="pedagogical-council:archive",
        operation_id="ArchivePedagogicalCouncil",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], council_id: FromPath[UUID]
    ) -> CouncilRead:
        return await to_council(bodies, await bodies.archive_council(BodyKind.PEDAGOGICAL_COUNCIL, council_id, actor))


# --- commissions and departments ---------------------------------------------------------------


class CommissionController(Controller):
    path = f"{BASE}/commissions"
    tags = ["bodies"]

    @get("/", name="commissions:list", operation_id="ListCommissions", opt=access(Scope.TENANT, READ))
    async def list_commissions(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        kind: FromQuery[CommissionKind | None] = None,
        unit_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> Page[CommissionRead]:
        """Subject and cycle commissions and departments (`kind=department`)."""
        rows, total = await bodies.list_commissions(
            BodyFilter(q, include_archived, kind, unit_id), Paging(page, page_size), actor
        )
        return Page([await to_commission(bodies, r) for r in rows], total, page, page_size)

    @post("/", name="commissions:create", operation_id="CreateCommission", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], data: JSONBody[CommissionCreate]
    ) -> CommissionRead:
        return await to_commission(bodies, await bodies.create_commission(data, actor))

    @get(
        "/{commission_id:uuid}", name="commissions:detail", operation_id="GetCommission", opt=access(Scope.TENANT, READ)
    )
    async def detail(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], commission_id: FromPath[UUID]
    ) -> CommissionRead:
        return await to_commission(bodies, await bodies.get_commission(commission_id, actor))

    @patch(
        "/{commission_id:uuid}",
        name="commissions:update",
        operation_id="UpdateCommission",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def update(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        commission_id: FromPath[UUID],
        data: JSONBody[CommissionUpdate],
    ) -> CommissionRead:
        return await to_commission(bodies, await bodies.update_commission(commission_id, data, actor))

    @post(
        "/{commission_id:uuid}/archive",
        name="commissions:archive",
        operation_id="ArchiveCommission",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self, bodies: NamedDependency[BodiesService], actor: NamedDependency[Actor], commission_id: FromPath[UUID]
    ) -> CommissionRead:
        return await to_commission(bodies, await bodies.archive_commission(commission_id, actor))


# --- any local body: the registry view and membership ------------------------------------------


class BodyController(Controller):
    path = f"{BASE}/bodies"
    tags = ["bodies"]

    @get("/", name="bodies:list", operation_id="ListBodies", opt=access(Scope.TENANT, READ))
    async def list_all(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        kind: FromQuery[BodyKind | None] = None,
    ) -> list[BodyRefRead]:
        """Every live body of the organisation; a teacher gets the bodies they belong to or keep."""
        kinds = (kind,) if kind else None
        refs = await list_bodies(bodies.session, kinds=kinds)
        if not actor.reads_everything:
            mine = set(await bodies.my_bodies(actor))
            refs = [r for r in refs if (r.kind, r.id) in mine]
        return [BodyRefRead(r.kind, r.id, r.name) for r in refs]

    @get(
        "/{body_kind:str}/{body_id:uuid}", name="bodies:detail", operation_id="GetBody", opt=access(Scope.TENANT, READ)
    )
    async def detail(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
    ) -> BodyRead:
        """Any body by (body_kind, body_id): members today, chair (or leader), secretary, quorum rule."""
        return to_body(await bodies.body(body_kind, body_id, actor))

    @get(
        "/{body_kind:str}/{body_id:uuid}/members",
        name="bodies:members",
        operation_id="ListBodyMembers",
        opt=access(Scope.TENANT, READ),
    )
    async def members(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
        include_past: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 100,
    ) -> Page[MembershipRead]:
        items, total = await bodies.members(
            body_kind, body_id, actor, include_past=include_past, paging=Paging(page, page_size)
        )
        return Page(items, total, page, page_size)

    @post(
        "/{body_kind:str}/{body_id:uuid}/members",
        name="bodies:member-add",
        operation_id="AddBodyMember",
        opt=access(Scope.TENANT, KEEP),
    )
    async def add_member(
        self,
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
        data: JSONBody[MemberInput],
    ) -> MembershipRead:
        """Adds a member; methodological council members are elected for a term (`ends_on`, cl. 14)."""
        return await bodies.add_member(body_kind, body_id, data, actor)

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
        actor: NamedDependency[Actor],
        body_kind: FromPath[BodyKind],
        body_id: FromPath[UUID],
        membership_id: FromPath[UUID],
        data: JSONBody[MembershipEnd],
    ) -> MembershipRead:
        return await bodies.end_member(body_kind, body_id, membership_id, data, actor)


# --- inter-school associations (a district cabinet) --------------------------------------------


async def to_inter_school(
    service: InterSchoolService, bodies: BodiesService, row: Any, count: int | None = None
) -> InterSchoolRead:
    if count is None:
        count = (await service.member_counts([row.id]))[row.id]
    leader = await bodies.leader_now(BodyKind.INTER_SCHOOL_ASSOCIATION, row.id)
    return InterSchoolRead(
        id=row.id,
        name=row.name,
        kind=AssociationKind(row.kind),
        subject_code=row.subject_code,
        subject_name=row.subject_name,
        territory_id=row.territory_id,
        quorum_rule=row.quorum_rule,
        archived_at=row.archived_at,
        member_count=count,
        leader=leader_read(leader) if leader else None,
    )


def to_inter_school_member(row: Any) -> InterSchoolMemberRead:
    return msgspec.convert(row, InterSchoolMemberRead, from_attributes=True)


class InterSchoolController(Controller):
    """Inter-school associations live in the district (city) cabinet's schema (cl. 25, 30)."""

    path = f"{BASE}/inter-school-associations"
    tags = ["bodies"]

    @get("/", name="inter-school:list", operation_id="ListInterSchoolAssociations", opt=access(Scope.TENANT, READ))
    async def list_all(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        kind: FromQuery[AssociationKind | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> Page[InterSchoolRead]:
        rows, total = await inter_school.list(BodyFilter(q, include_archived, kind), Paging(page, page_size))
        counts = await inter_school.member_counts([r.id for r in rows])
        return Page(
            [await to_inter_school(inter_school, bodies, r, counts[r.id]) for r in rows], total, page, page_size
        )

    @get(
        "/district",
        name="inter-school:district",
        operation_id="GetInterSchoolDistrict",
        opt=access(Scope.TENANT, CABINET),
    )
    async def district(
        self, inter_school: NamedDependency[InterSchoolService], actor: NamedDependency[Actor]
    ) -> DistrictRead:
        """The active schools of the cabinet's district with their staff, to add members from, and the
        subjects they teach, to name an association's subject (cl. 25)."""
        return await inter_school.district(actor)

    @post(
        "/", name="inter-school:create", operation_id="CreateInterSchoolAssociation", opt=access(Scope.TENANT, CABINET)
    )
    async def create(
        self,
        inter_school: NamedDependency[InterSchoolService],
        bodies: NamedDependency[BodiesService],
        actor: NamedDependency[Actor],
        data: JSONBody[InterSchoolCreate],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.create(data, actor))

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
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        data: JSONBody[InterSchoolUpdate],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.update(association_id, data, actor))

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
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
    ) -> InterSchoolRead:
        return await to_inter_school(inter_school, bodies, await inter_school.archive(association_id, actor))

    @get(
        "/{association_id:uuid}/members",
        name="inter-school:members",
        operation_id="ListInterSchoolMembers",
        opt=access(Scope.TENANT, READ),
    )
    async def members(
        self,
        inter_school: NamedDependency[InterSchoolService],
        association_id: FromPath[UUID],
        include_past: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 100,
    ) -> Page[InterSchoolMemberRead]:
        rows, total = await inter_school.members(
            association_id, include_past=include_past, paging=Paging(page, page_size)
        )
        return Page([to_inter_school_member(r) for r in rows], total, page, page_size)

    @post(
        "/{association_id:uuid}/members",
        name="inter-school:member-add",
        operation_id="AddInterSchoolMember",
        opt=access(Scope.TENANT, CABINET),
    )
    async def add_member(
        self,
        inter_school: NamedDependency[InterSchoolService],
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        data: JSONBody[InterSchoolMemberCreate],
    ) -> InterSchoolMemberRead:
        """A teacher of a school of this district, by (organisation_id, staff_id)."""
        return to_inter_school_member(await inter_school.add_member(association_id, data, actor))

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
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        member_id: FromPath[UUID],
        data: JSONBody[MembershipEnd],
    ) -> InterSchoolMemberRead:
        return to_inter_school_member(await inter_school.end_member(association_id, member_id, data, actor))

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
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        data: JSONBody[InterSchoolLeaderCreate],
    ) -> LeaderRead:
        """Appointed by the district (city) education department (cl. 30), for at most one year."""
        return leader_read(await inter_school.appoint_leader(association_id, data, actor))

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
        actor: NamedDependency[Actor],
        association_id: FromPath[UUID],
        term_id: FromPath[UUID],
        data: JSONBody[LeaderEnd],
    ) -> LeaderRead:
        return leader_read(await inter_school.end_leader(association_id, term_id, data, actor))


# --- sector methodological unions (the republic cabinet) ---------------------------------------


async def to_union(service: UnionService, row: Any) -> UnionRead:
    count = (await service.member_counts([row.id]))[row.id]
    return UnionRead(
        id=row.id,
        name=row.name,
        sector=row.sector,
        description=row.description,
        quorum_rule=row.quorum_rule,
        chair_member_id=row.chair_member_id,
        secretary_member_id=row.secretary_member_id,
        archived_at=row.archived_at,
        member_count=count,
    )


def to_union_member(row: Any) -> UnionMemberRead:
    return msgspec.convert(row, UnionMemberRead, from_attributes=True)


class UnionController(Controller):
    """Sector methodological unions (cl. 24), kept in the republic methodological cabinet's schema."""

    path = f"{BASE}/unions"
    tags = ["bodies"]

    @get("/", name="unions:list", operation_id="ListUnions", opt=access(Scope.TENANT, READ))
    async def list_all(
        self,
        unions: NamedDependency[UnionService],
        q: Search = None,
        include_archived: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> Page[UnionRead]:
        rows, total = await unions.list(BodyFilter(q, include_archived), Paging(page, page_size))
        return Page([await to_union(unions, r) for r in rows], total, page, page_size)

    @post("/", name="unions:create", operation_id="CreateUnion", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self, unions: NamedDependency[UnionService], actor: NamedDependency[Actor], data: JSONBody[UnionCreate]
    ) -> UnionRead:
        return await to_union(unions, await unions.create(data, actor))

    @get("/{union_id:uuid}", name="unions:detail", operation_id="GetUnion", opt=access(Scope.TENANT, READ))
    async def detail(self, unions: NamedDependency[UnionService], union_id: FromPath[UUID]) -> UnionRead:
        return await to_union(unions, await unions.get(union_id))

    @patch("/{union_id:uuid}", name="unions:update", operation_id="UpdateUnion", opt=access(Scope.TENANT, SHAPE))
    async def update(
        self,
        unions: NamedDependency[UnionService],
        actor: NamedDependency[Actor],
        union_id: FromPath[UUID],
        data: JSONBody[UnionUpdate],
    ) -> UnionRead:
        return await to_union(unions, await unions.update(union_id, data, actor))

    @post(
        "/{union_id:uuid}/archive",
        name="unions:archive",
        operation_id="ArchiveUnion",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self, unions: NamedDependency[UnionService], actor: NamedDependency[Actor], union_id: FromPath[UUID]
    ) -> UnionRead:
        return await to_union(unions, await unions.archive(union_id, actor))

    @get(
        "/{union_id:uuid}/members",
        name="unions:members",
        operation_id="ListUnionMembers",
        opt=access(Scope.TENANT, READ),
    )
    async def members(
        self,
        unions: NamedDependency[UnionService],
        union_id: FromPath[UUID],
        include_past: FromQuery[bool] = False,
        page: PageNo = 1,
        page_size: PageSize = 100,
    ) -> Page[UnionMemberRead]:
        rows, total = await unions.members(union_id, include_past=include_past, paging=Paging(page, page_size))
        return Page([to_union_member(r) for r in rows], total, page, page_size)

    @post(
        "/{union_id:uuid}/members",
        name="unions:member-add",
        operation_id="AddUnionMember",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def add_member(
        self,
        unions: NamedDependency[UnionService],
        actor: NamedDependency[Actor],
        union_id: FromPath[UUID],
        data: JSONBody[UnionMemberCreate],
    ) -> UnionMemberRead:
        """Members from education organisations, employers and social partners; no account needed (cl. 24)."""
        return to_union_member(await unions.add_member(union_id, data, actor))

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
        actor: NamedDependency[Actor],
        union_id: FromPath[UUID],
        member_id: FromPath[UUID],
        data: JSONBody[MembershipEnd],
    ) -> UnionMemberRead:
        return to_union_member(await unions.end_member(union_id, member_id, data, actor))


# --- the audit log -----------------------------------------------------------------------------


class AuditEntryRead(msgspec.Struct):
    seq: int
    id: UUID
    actor_id: UUID | None  # the person; for a change made with an API token, the person who issued it
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: Any
    prev_hash: str
    hash: str
    token_id: UUID | None = None  # the API token the change was made with


class ChainRead(msgspec.Struct):
    ok: bool
    entries: int
    broken_seq: int | None
    reason: str | None


class AuditController(Controller):
    path = f"{BASE}/audit-log"
    tags = ["audit"]

    @get("/", name="audit:list", operation_id="ListAuditEntries", opt=access(Scope.TENANT, AUDIT))
    async def list_entries(
        self,
        tenant_session: NamedDependency[AsyncSession],
        entity: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        actor_id: FromQuery[UUID | None] = None,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> Page[AuditEntryRead]:
        """The organisation's audit log, newest first."""

        rows, total = await entries(
            tenant_session, Paging(page, page_size), entity=entity, entity_id=entity_id, actor_id=actor_id
        )
        return Page([msgspec.convert(r, AuditEntryRead, from_attributes=True) for r in rows], total, page, page_size)

    # The walk streams the chain through a server-side cursor, which lives in a transaction.
    @get(
        "/verify",
        name="audit:verify",
        operation_id="VerifyAuditLog",
        opt={**access(Scope.TENANT, AUDIT), IN_TRANSACTION: True},
    )
    async def verify_chain(self, tenant_session: NamedDependency[AsyncSession]) -> ChainRead:
        """Walks the hash chain: `ok` false names the first broken entry."""
        report: ChainReport = await verify(tenant_session)
        return ChainRead(report.ok, report.entries, report.broken_seq, report.reason)


bodies_controllers = [
    AssociationController,
    CouncilController,
    PedagogicalCouncilController,
    CommissionController,
    BodyController,
    InterSchoolController,
    UnionController,
    AuditController,
]
