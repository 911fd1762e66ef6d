"""Providers of the compliance services (merged into api.dependencies): they read the findings
and rollups kept on the control plane."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.compliance.dashboard import DashboardService
from api.domain.compliance.services import ComplianceService
from api.providers import on_session


def provide_organisation_findings(context: NamedDependency[TenantContext]) -> ComplianceService:
    # An organisation's own route: its findings are read on the request's one connection.
    return ComplianceService(context.session)


compliance_dependencies = {
    "findings": on_session(ComplianceService),
    "organisation_findings": Provide(provide_organisation_findings, sync_to_thread=False),
    "dashboards": on_session(DashboardService),
}
