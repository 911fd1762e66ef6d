"""Providers of the structure and bodies packages (merged into api.dependencies; the `actor`
provider, `api.domain.structure.actors.provide_actor`, is registered there directly)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.bodies.services import BodiesService, InterSchoolService, UnionService
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


def provide_bodies(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> BodiesService:
    return BodiesService(tenant_session, tenant)


def provide_inter_school(
    tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
) -> InterSchoolService:
    return InterSchoolService(tenant_session, tenant)


def provide_unions(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> UnionService:
    return UnionService(tenant_session, tenant)


structure_dependencies = {
    "units": Provide(provide_units, sync_to_thread=False),
    "subjects": Provide(provide_subjects, sync_to_thread=False),
    "staff_service": Provide(provide_staff, sync_to_thread=False),
    "calendar": Provide(provide_calendar, sync_to_thread=False),
    "bodies": Provide(provide_bodies, sync_to_thread=False),
    "inter_school": Provide(provide_inter_school, sync_to_thread=False),
    "unions": Provide(provide_unions, sync_to_thread=False),
}
