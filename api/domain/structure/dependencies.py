"""Providers of the structure package (merged into api.dependencies; the `actor` provider,
`api.domain.structure.actors.provide_actor`, is registered there directly). The bodies package,
above this one, has its own (api.domain.bodies.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.structure.services import CalendarService, StaffService, SubjectService, UnitService
from api.tenancy import Tenant


def provide_units(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> UnitService:
    return UnitService(tenant_session, tenant.kind)


def provide_subjects(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> SubjectService:
    return SubjectService(tenant_session, tenant.kind)


def provide_staff(tenant_session: NamedDependency[AsyncSession]) -> StaffService:
    return StaffService(tenant_session)


def provide_calendar(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> CalendarService:
    return CalendarService(tenant_session, tenant.kind)


structure_dependencies = {
    "units": Provide(provide_units, sync_to_thread=False),
    "subjects": Provide(provide_subjects, sync_to_thread=False),
    "staff_service": Provide(provide_staff, sync_to_thread=False),
    "calendar": Provide(provide_calendar, sync_to_thread=False),
}
