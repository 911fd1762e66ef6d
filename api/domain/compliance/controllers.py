"""Compliance over the API: one organisation's findings (tenant scope), the findings across the
caller's reach, and the dashboards of a territory (figures, organisations, export)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter

from api.access import Scope, access, principal
from api.context import TenantContext
from api.domain.compliance.dashboard import READ_DASHBOARD, DashboardService, StandingSort
from api.domain.compliance.export import ExportFormat, ExportView, export
from api.domain.compliance.rules import CLAUSE_PATTERN
from api.domain.compliance.schemas import Dashboard, FindingListItem, OrganisationFindings, OrganisationStanding
from api.domain.compliance.services import READ_FINDINGS, ComplianceService
from api.domain.documents.controllers import attachment
from api.domain.organisations.rules import OrgKind
from api.i18n import negotiate
from api.paging import Page, Paging, paging_by
from api.spreadsheets import CSV, XLSX

ClauseParam = Annotated[str | None, Parameter(pattern=CLAUSE_PATTERN, max_length=7, description="One clause, e.g. 25")]
TerritoryParam = Annotated[
    UUID | None, Parameter(description="The territory (and everything under it); by default the caller's own highest")
]


class ComplianceController(Controller):
    tags = ["compliance"]

    @get(
        "/api/organisations/{organisation_id:uuid}/compliance/findings",
        name="compliance:organisation",
        operation_id="GetOrganisationFindings",
        opt=access(Scope.TENANT, READ_FINDINGS),
        dependencies={"paging": paging_by(100)},
    )
    async def organisation_findings(
        self,
        organisation_findings: NamedDependency[ComplianceService],
        context: NamedDependency[TenantContext],
        organisation_id: FromPath[UUID],
        paging: NamedDependency[Paging],
        clause: ClauseParam = None,
    ) -> OrganisationFindings:
        """The organisation's current findings against the rule set in force, recomputed in the
        background after each change and every night; `checked` says when and against what."""
        return await organisation_findings.of_organisation(context.organisation_id, clause, paging)

    @get(
        "/api/compliance/findings",
        name="compliance:list",
        operation_id="ListFindings",
        opt=access(Scope.SHARED, READ_FINDINGS),
        dependencies={"paging": paging_by(50)},
    )
    async def list_findings(
        self,
        request: Request[Any, Any, Any],
        findings: NamedDependency[ComplianceService],
        paging: NamedDependency[Paging],
        clause: ClauseParam = None,
        territory_id: FromQuery[UUID | None] = None,
        kind: FromQuery[OrgKind | None] = None,
    ) -> Page[FindingListItem]:
        """Findings of the organisations in the caller's reach, by organisation and clause; filters
        by clause, territory (and everything under it) and kind of organisation."""
        return await findings.in_reach(
            principal(request),
            clause=clause,
            territory_id=territory_id,
            kind=kind.value if kind else None,
            paging=paging,
        )

    @get(
        "/api/compliance/dashboard",
        name="compliance:dashboard",
        operation_id="GetComplianceDashboard",
        opt=access(Scope.SHARED, READ_DASHBOARD),
    )
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        dashboards: NamedDependency[DashboardService],
        territory_id: TerritoryParam = None,
        clause: ClauseParam = None,
        kind: FromQuery[OrgKind | None] = None,
    ) -> Dashboard:
        """A territory's compliance from the rollups: totals, the territories one level down (each a
        drill-down), the organisations placed at it directly, by clause, by kind of organisation,
        and the daily trend. For the methodists and administrators of the territory or above it."""
        return await dashboards.dashboard(
            principal(request), territory_id, clause=clause, kind=kind.value if kind else None
        )

    @get(
        "/api/compliance/organisations",
        name="compliance:organisations",
        operation_id="ListOrganisationStandings",
        opt=access(Scope.SHARED, READ_DASHBOARD),
        dependencies={"paging": paging_by(50)},
    )
    async def organisations(
        self,
        request: Request[Any, Any, Any],
        dashboards: NamedDependency[DashboardService],
        paging: NamedDependency[Paging],
        territory_id: TerritoryParam = None,
        clause: ClauseParam = None,
        kind: FromQuery[OrgKind | None] = None,
        sort: FromQuery[StandingSort] = StandingSort.FINDINGS,
    ) -> Page[OrganisationStanding]:
        """The active organisations under the territory with their findings (under the clause, when
        one is chosen), most findings first or by name; one not checked yet says so."""
        return await dashboards.standings(
            principal(request),
            territory_id,
            clause=clause,
            kind=kind.value if kind else None,
            sort=sort,
            paging=paging,
        )

    @get(
        "/api/compliance/export/xlsx",
        name="compliance:export-xlsx",
        operation_id="ExportComplianceXlsx",
        opt=access(Scope.SHARED, READ_DASHBOARD),
        media_type=XLSX,
    )
    async def export_xlsx(
        self,
        request: Request[Any, Any, Any],
        dashboards: NamedDependency[DashboardService],
        view: FromQuery[ExportView] = ExportView.TERRITORIES,
        territory_id: TerritoryParam = None,
        clause: ClauseParam = None,
        kind: FromQuery[OrgKind | None] = None,
    ) -> Response[bytes]:
        """The dashboard's current view as an XLSX workbook in the caller's language
        (Accept-Language): its territories, its organisations or their findings."""
        return await _export(request, dashboards, ExportFormat.XLSX, view, territory_id, clause, kind)

    @get(
        "/api/compliance/export/csv",
        name="compliance:export-csv",
        operation_id="ExportComplianceCsv",
        opt=access(Scope.SHARED, READ_DASHBOARD),
        media_type=CSV,
    )
    async def export_csv(
        self,
        request: Request[Any, Any, Any],
        dashboards: NamedDependency[DashboardService],
        view: FromQuery[ExportView] = ExportView.TERRITORIES,
        territory_id: TerritoryParam = None,
        clause: ClauseParam = None,
        kind: FromQuery[OrgKind | None] = None,
    ) -> Response[bytes]:
        """The same as CSV: UTF-8 with a BOM, `;`-separated, as a Russian-locale spreadsheet reads it."""
        return await _export(request, dashboards, ExportFormat.CSV, view, territory_id, clause, kind)


async def _export(
    request: Request[Any, Any, Any],
    dashboards: DashboardService,
    file_format: ExportFormat,
    view: ExportView,
    territory_id: UUID | None,
    clause: str | None,
    kind: OrgKind | None,
) -> Response[bytes]:
    name, content = await export(
        dashboards,
        principal(request),
        territory_id,
        view=view,
        file_format=file_format,
        clause=clause,
        kind=kind.value if kind else None,
        lang=negotiate(request.headers.get("accept-language")) or "en",
    )
    return attachment(name, content, CSV if file_format == ExportFormat.CSV else XLSX)
