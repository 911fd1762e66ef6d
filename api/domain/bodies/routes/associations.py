"""HTTP for associations (cl. 25, 26) and their leaders (cl. 30)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.access import Scope, access
from api.crud import Search
from api.domain.bodies.associations import AssociationService, association_kinds
from api.domain.bodies.routes.common import to_association
from api.domain.bodies.rules import AssociationKind, BodyKind
from api.domain.bodies.schemas import (
    AssociationCreate,
    AssociationRead,
    AssociationUpdate,
    LeaderCreate,
    LeaderEnd,
    LeaderRead,
)
from api.domain.bodies.services import (
    BodiesService,
    BodyFilter,
    leader_read,
)
from api.domain.structure.controllers import BASE, READ, SHAPE
from api.paging import Page, Paging, paging_by

# --- associations ------------------------------------------------------------------------------


class AssociationController(Controller):
    path = f"{BASE}/associations"
    tags = ["bodies"]

    @get(
        "/",
        name="associations:list",
        operation_id="ListAssociations",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_associations(
        self,
        paging: NamedDependency[Paging],
        associations: NamedDependency[AssociationService],
        bodies: NamedDependency[BodiesService],
        kind: FromQuery[AssociationKind | None] = None,
        subject_id: FromQuery[UUID | None] = None,
        unit_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[AssociationRead]:
        """The organisation's associations; a teacher sees the ones they belong to."""
        rows, total = await associations.list(BodyFilter(q, include_archived, kind, unit_id, subject_id), paging)
        counts = await bodies.member_counts(BodyKind.ASSOCIATION, [r.id for r in rows])
        return Page.of([await to_association(bodies, r, counts[r.id]) for r in rows], total, paging)

    @post("/", name="associations:create", operation_id="CreateAssociation", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self,
        associations: NamedDependency[AssociationService],
        bodies: NamedDependency[BodiesService],
        data: JSONBody[AssociationCreate],
    ) -> AssociationRead:
        """Forms an association (cl. 25). A subject association in a school needs at least three
        teachers of the subject (cl. 26); with fewer it is refused and the inter-school association offered."""
        return await to_association(bodies, await associations.create(data))

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
        self,
        associations: NamedDependency[AssociationService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
    ) -> AssociationRead:
        return await to_association(bodies, await associations.get(association_id))

    @patch(
        "/{association_id:uuid}",
        name="associations:update",
        operation_id="UpdateAssociation",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def update(
        self,
        associations: NamedDependency[AssociationService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
        data: JSONBody[AssociationUpdate],
    ) -> AssociationRead:
        return await to_association(bodies, await associations.update(association_id, data))

    @post(
        "/{association_id:uuid}/archive",
        name="associations:archive",
        operation_id="ArchiveAssociation",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self,
        associations: NamedDependency[AssociationService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
    ) -> AssociationRead:
        return await to_association(bodies, await associations.archive(association_id))

    @get(
        "/{association_id:uuid}/leaders",
        name="associations:leaders",
        operation_id="ListAssociationLeaders",
        opt=access(Scope.TENANT, READ),
    )
    async def leaders(
        self,
        associations: NamedDependency[AssociationService],
        bodies: NamedDependency[BodiesService],
        association_id: FromPath[UUID],
    ) -> list[LeaderRead]:
        """Every leader the association has had, the latest first (cl. 30)."""
        await associations.get(association_id)
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
        association_id: FromPath[UUID],
        data: JSONBody[LeaderCreate],
    ) -> LeaderRead:
        """Records a leader elected (appointed) for at most one year (cl. 30)."""
        return leader_read(await bodies.add_leader(association_id, data))

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
        association_id: FromPath[UUID],
        term_id: FromPath[UUID],
        data: JSONBody[LeaderEnd],
    ) -> LeaderRead:
        return leader_read(await bodies.end_association_leader(association_id, term_id, data))
