"""HTTP for councils (cl. 14, 32), the pedagogical council, commissions and departments."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.access import Scope, access
from api.crud import Search
from api.domain.bodies.councils import CouncilService
from api.domain.bodies.routes.common import to_commission, to_council
from api.domain.bodies.rules import BodyKind, CommissionKind
from api.domain.bodies.schemas import (
    CommissionCreate,
    CommissionRead,
    CommissionUpdate,
    CouncilCreate,
    CouncilRead,
    CouncilUpdate,
    PedagogicalCouncilCreate,
    PedagogicalCouncilUpdate,
)
from api.domain.bodies.services import (
    BodiesService,
    BodyFilter,
)
from api.domain.structure.controllers import BASE, READ, SHAPE
from api.errors import NotFound
from api.paging import Page, Paging, paging_by

# --- councils and the pedagogical council ------------------------------------------------------


class CouncilController(Controller):
    path = f"{BASE}/councils"
    tags = ["bodies"]

    @get(
        "/",
        name="councils:list",
        operation_id="ListCouncils",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_councils(
        self,
        paging: NamedDependency[Paging],
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        unit_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[CouncilRead]:
        """Methodological councils: the organisation's first, then the units' (cl. 14, 32)."""
        rows, total = await councils.list_councils(
            BodyKind.COUNCIL, BodyFilter(q, include_archived, unit_id=unit_id), paging
        )
        return Page.of([await to_council(bodies, r) for r in rows], total, paging)

    @post("/", name="councils:create", operation_id="CreateCouncil", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        data: JSONBody[CouncilCreate],
    ) -> CouncilRead:
        """Forms the organisation's methodological council, or a unit's once the organisation's exists
        (cl. 14). It never doubles as the pedagogical council (cl. 32)."""
        return await to_council(bodies, await councils.create_council(data))

    @get("/{council_id:uuid}", name="councils:detail", operation_id="GetCouncil", opt=access(Scope.TENANT, READ))
    async def detail(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        council_id: FromPath[UUID],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.get_council(BodyKind.COUNCIL, council_id))

    @patch("/{council_id:uuid}", name="councils:update", operation_id="UpdateCouncil", opt=access(Scope.TENANT, SHAPE))
    async def update(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        council_id: FromPath[UUID],
        data: JSONBody[CouncilUpdate],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.update_council(BodyKind.COUNCIL, council_id, data))

    @post(
        "/{council_id:uuid}/archive",
        name="councils:archive",
        operation_id="ArchiveCouncil",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        council_id: FromPath[UUID],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.archive_council(BodyKind.COUNCIL, council_id))


class PedagogicalCouncilController(Controller):
    """The pedagogical council: a body of its own, never the methodological council (cl. 32)."""

    path = f"{BASE}/pedagogical-council"
    tags = ["bodies"]

    @get("/", name="pedagogical-council:current", operation_id="GetPedagogicalCouncil", opt=access(Scope.TENANT, READ))
    async def current(
        self, councils: NamedDependency[CouncilService], bodies: NamedDependency[BodiesService]
    ) -> CouncilRead:
        rows, _ = await councils.list_councils(BodyKind.PEDAGOGICAL_COUNCIL, BodyFilter(), Paging(1, 1))
        if not rows:
            raise NotFound("The organisation has no pedagogical council recorded yet.", field="organisation_id")
        return await to_council(bodies, rows[0])

    @post(
        "/", name="pedagogical-council:create", operation_id="CreatePedagogicalCouncil", opt=access(Scope.TENANT, SHAPE)
    )
    async def create(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        data: JSONBody[PedagogicalCouncilCreate],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.create_pedagogical_council(data))

    @get(
        "/{council_id:uuid}",
        name="pedagogical-council:detail",
        operation_id="GetPedagogicalCouncilById",
        opt=access(Scope.TENANT, READ),
    )
    async def detail(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        council_id: FromPath[UUID],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.get_council(BodyKind.PEDAGOGICAL_COUNCIL, council_id))

    @patch(
        "/{council_id:uuid}",
        name="pedagogical-council:update",
        operation_id="UpdatePedagogicalCouncil",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def update(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        council_id: FromPath[UUID],
        data: JSONBody[PedagogicalCouncilUpdate],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.update_council(BodyKind.PEDAGOGICAL_COUNCIL, council_id, data))

    @post(
        "/{council_id:uuid}/archive",
        name="pedagogical-council:archive",
        operation_id="ArchivePedagogicalCouncil",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        council_id: FromPath[UUID],
    ) -> CouncilRead:
        return await to_council(bodies, await councils.archive_council(BodyKind.PEDAGOGICAL_COUNCIL, council_id))


# --- commissions and departments ---------------------------------------------------------------


class CommissionController(Controller):
    path = f"{BASE}/commissions"
    tags = ["bodies"]

    @get(
        "/",
        name="commissions:list",
        operation_id="ListCommissions",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_commissions(
        self,
        paging: NamedDependency[Paging],
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        kind: FromQuery[CommissionKind | None] = None,
        unit_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[CommissionRead]:
        """Subject and cycle commissions and departments (`kind=department`)."""
        rows, total = await councils.list_commissions(BodyFilter(q, include_archived, kind, unit_id), paging)
        return Page.of([await to_commission(bodies, r) for r in rows], total, paging)

    @post("/", name="commissions:create", operation_id="CreateCommission", opt=access(Scope.TENANT, SHAPE))
    async def create(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        data: JSONBody[CommissionCreate],
    ) -> CommissionRead:
        return await to_commission(bodies, await councils.create_commission(data))

    @get(
        "/{commission_id:uuid}", name="commissions:detail", operation_id="GetCommission", opt=access(Scope.TENANT, READ)
    )
    async def detail(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        commission_id: FromPath[UUID],
    ) -> CommissionRead:
        return await to_commission(bodies, await councils.get_commission(commission_id))

    @patch(
        "/{commission_id:uuid}",
        name="commissions:update",
        operation_id="UpdateCommission",
        opt=access(Scope.TENANT, SHAPE),
    )
    async def update(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        commission_id: FromPath[UUID],
        data: JSONBody[CommissionUpdate],
    ) -> CommissionRead:
        return await to_commission(bodies, await councils.update_commission(commission_id, data))

    @post(
        "/{commission_id:uuid}/archive",
        name="commissions:archive",
        operation_id="ArchiveCommission",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(
        self,
        councils: NamedDependency[CouncilService],
        bodies: NamedDependency[BodiesService],
        commission_id: FromPath[UUID],
    ) -> CommissionRead:
        return await to_commission(bodies, await councils.archive_commission(commission_id))
