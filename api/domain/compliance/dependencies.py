"""Providers of the compliance services (merged into api.dependencies): they read the findings
and rollups kept on the control plane."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import TenantContext
from api.domain.compliance.dashboard import DashboardService
from api.domain.compliance.services import ComplianceService


def provide_findings(session: NamedDependency[AsyncSession]) -> ComplianceService:
    return ComplianceService(session)


def provide_organisation_findings(context: NamedDependency[TenantContext]) -> ComplianceService:
    # An organisation's own route: its findings are read on the request's one connection.
    return ComplianceService(context.session)


def provide_dashboards(session: NamedDependency[AsyncSession]) -> DashboardService:
    return DashboardService(session)


compliance_dependencies = {
    "findings": Provide(provide_findings, sync_to_thread=False),
    "organisation_findings": Provide(provide_organisation_findings, sync_to_thread=False),
    "dashboards": Provide(provide_dashboards, sync_to_thread=False),
}
