"""Compliance findings over the API: one organisation's (tenant scope), and a list across the caller's reach."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access, principal
from api.domain.compliance.rules import CLAUSE_PATTERN
from api.domain.compliance.schemas import FindingPage, OrganisationFindings
from api.domain.compliance.services import ComplianceService
from api.domain.organisations.rules import OrgKind
from api.identity.reach import reach_of
from api.paging import PageNo
from api.roles import Role
from api.tenancy import Tenant

# Who reads findings: the organisation's administrator, head and deputy head for academic work,
# and the methodists whose reach covers it (national and regional admins satisfy the admin role).
READ_FINDINGS = (
    Role.ORGANISATION_ADMIN,
    Role.HEAD,
    Role.DEPUTY_HEAD,
    Role.DISTRICT_METHODIST,
    Role.REGIONAL_METHODIST,
    Role.NATIONAL_METHODIST,
)
ClauseParam = Annotated[str | None, Parameter(pattern=CLAUSE_PATTERN, max_length=7, description="One clause, e.g. 25")]
PageSize = Annotated[int, Parameter(ge=1, le=200)]


class ComplianceController(Controller):
    tags = ["compliance"]

    @get(
        "/api/organisations/{organisation_id:uuid}/compliance/findings", name="compliance:organisation",
        operation_id="GetOrganisationFindings", opt=access(Scope.TENANT, READ_FINDINGS),
    )
    async def organisation_findings(
        self,
        session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        organisation_id: FromPath[UUID],
        clause: ClauseParam = None,
        page: PageNo = 1,
        page_size: PageSize = 100,
    ) -> OrganisationFindings:
        """The organisation's current findings against the rule set in force, recomputed in the
        background after each change and every night; `checked` says when and against what."""
        return await ComplianceService(session).of_organisation(tenant.organisation_id, clause, page, page_size)

    @get("/api/compliance/findings", name="compliance:list", operation_id="ListFindings", opt=access(Scope.SHARED, READ_FINDINGS))
    async def list_findings(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        clause: ClauseParam = None,
        territory_id: FromQuery[UUID | None] = None,
        kind: FromQuery[OrgKind | None] = None,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> FindingPage:
        """Findings of the organisations in the caller's reach, by organisation and clause; filters
        by clause, territory (and everything under it) and kind of organisation."""
        reach = await reach_of(session, principal(request), must_know=[territory_id])
        within = reach.organisation_clause(READ_FINDINGS)
        territories = reach.tree.descendants(territory_id) if territory_id is not None else None
        return await ComplianceService(session).across(
            within, clause=clause, territory_ids=territories, kind=kind.value if kind else None, page=page, page_size=page_size
        )
