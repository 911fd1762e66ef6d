from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access, principal
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind, OrgStatus
from api.domain.organisations.schemas import (
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    ProvisioningStatus,
)
from api.domain.organisations.services import OrganisationService, OrgFilter, OrgSort, to_read
from api.errors import Conflict
from api.identity.reach import reach_of, require_territory
from api.jobs import Jobs
from api.paging import Page, Paging, paging_by
from api.roles import Role

ADMIN = (Role.NATIONAL_ADMIN, Role.REGIONAL_ADMIN)


class OrganisationController(Controller):
    path = "/api/organisations"
    tags = ["organisations"]

    @get(
        "/",
        name="organisations:list",
        operation_id="ListOrganisations",
        opt=access(Scope.SHARED, "any"),
        dependencies={"paging": paging_by(20)},
    )
    async def list_organisations(
        self,
        request: Request[Any, Any, Any],
        organisations: NamedDependency[OrganisationService],
        paging: NamedDependency[Paging],
        territory_id: FromQuery[UUID | None] = None,
        kind: FromQuery[OrgKind | None] = None,
        status: FromQuery[OrgStatus | None] = None,
        q: Annotated[str | None, Parameter(max_length=200, description="Search in kk/ru/en names and BIN")] = None,
        sort: FromQuery[OrgSort] = OrgSort.NAME_RU,
    ) -> Page[OrganisationRead]:
        # Only the organisations within the caller's reach in the hierarchy are listed.
        within = (await reach_of(organisations.session, principal(request))).organisation_clause()
        return await organisations.list(OrgFilter(territory_id, kind, status, q, sort), paging, within=within)

    @post(
        "/",
        name="organisations:create",
        operation_id="CreateOrganisation",
        status_code=202,
        opt=access(Scope.SHARED, ADMIN),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        organisations: NamedDependency[OrganisationService],
        session: NamedDependency[AsyncSession],
        jobs: NamedDependency[Jobs],
        data: JSONBody[OrganisationCreate],
    ) -> OrganisationRead:
        """Registers the organisation and provisions its schema in the background (status `provisioning`)."""
        await require_territory(session, principal(request), data.territory_id, ADMIN)
        await jobs.check_reachable()  # 503 before anything is written while the queue is away
        org = await organisations.create(data)
        await session.commit()
        await jobs.enqueue_provisioning_soon(org.id)
        return to_read(org)

    @get(
        "/{organisation_id:uuid}",
        name="organisations:detail",
        operation_id="GetOrganisation",
        opt=access(Scope.SHARED, "any"),
    )
    async def detail(
        self, organisations: NamedDependency[OrganisationService], organisation_id: FromPath[UUID]
    ) -> OrganisationRead:
        return to_read(await organisations.get(organisation_id))

    @patch(
        "/{organisation_id:uuid}",
        name="organisations:update",
        operation_id="UpdateOrganisation",
        opt=access(Scope.SHARED, ADMIN),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        organisations: NamedDependency[OrganisationService],
        jobs: NamedDependency[Jobs],
        organisation_id: FromPath[UUID],
        data: JSONBody[OrganisationUpdate],
    ) -> OrganisationRead:
        if isinstance(data.territory_id, UUID):  # moved: the new place must be in reach too
            await require_territory(organisations.session, principal(request), data.territory_id, ADMIN)
        org = await organisations.update(organisation_id, data)
        await _recheck(organisations, jobs, org)
        return to_read(org)

    @get(
        "/{organisation_id:uuid}/provisioning",
        name="organisations:provisioning",
        operation_id="GetProvisioningStatus",
        opt=access(Scope.SHARED, "any"),
    )
    async def provisioning(
        self, organisations: NamedDependency[OrganisationService], organisation_id: FromPath[UUID]
    ) -> ProvisioningStatus:
        org = await organisations.get(organisation_id)
        return ProvisioningStatus(
            org.id, OrgStatus(org.status), org.status_reason, org.schema_version, org.provisioned_at
        )

    @post(
        "/{organisation_id:uuid}/provision",
        name="organisations:provision",
        operation_id="RetryProvisioning",
        status_code=202,
        opt=access(Scope.SHARED, ADMIN),
    )
    async def retry_provisioning(
        self,
        organisations: NamedDependency[OrganisationService],
        session: NamedDependency[AsyncSession],
        jobs: NamedDependency[Jobs],
        organisation_id: FromPath[UUID],
    ) -> OrganisationRead:
        """Runs provisioning again; it finishes whatever a failed or interrupted run left."""
        await jobs.check_reachable()
        org = await organisations.retry_provisioning(organisation_id)
        await session.commit()
        await jobs.enqueue_provisioning_soon(org.id)
        return to_read(org)

    @post(
        "/{organisation_id:uuid}/suspend",
        name="organisations:suspend",
        operation_id="SuspendOrganisation",
        status_code=200,
        opt=access(Scope.SHARED, ADMIN),
    )
    async def suspend(
        self,
        organisations: NamedDependency[OrganisationService],
        jobs: NamedDependency[Jobs],
        organisation_id: FromPath[UUID],
    ) -> OrganisationRead:
        org = await organisations.suspend(organisation_id)
        await _recheck(organisations, jobs, org)
        return to_read(org)

    @post(
        "/{organisation_id:uuid}/resume",
        name="organisations:resume",
        operation_id="ResumeOrganisation",
        status_code=200,
        opt=access(Scope.SHARED, ADMIN),
    )
    async def resume(
        self,
        organisations: NamedDependency[OrganisationService],
        jobs: NamedDependency[Jobs],
        organisation_id: FromPath[UUID],
    ) -> OrganisationRead:
        org = await organisations.resume(organisation_id)
        await _recheck(organisations, jobs, org)
        return to_read(org)

    @post(
        "/{organisation_id:uuid}/archive",
        name="organisations:archive",
        operation_id="ArchiveOrganisation",
        status_code=202,
        opt=access(Scope.SHARED, ADMIN),
    )
    async def archive(
        self,
        organisations: NamedDependency[OrganisationService],
        jobs: NamedDependency[Jobs],
        organisation_id: FromPath[UUID],
    ) -> Response[OrganisationRead]:
        """Exports the schema (pg_dump) and then drops it, in the background; the record stays as `archived`."""
        org = await organisations.check_archivable(organisation_id)
        if not await jobs.enqueue_archive(org.id):
            raise Conflict("The organisation is already being archived.", field="status")
        return Response(to_read(org), status_code=202)


async def _recheck(organisations: OrganisationService, jobs: Jobs, org: Organisation) -> None:
    """A change of status or place moves the organisation in the compliance rollups: committed
    first, so that the recompute reads what was changed."""
    await organisations.session.commit()
    await jobs.enqueue_compliance(org.id)
