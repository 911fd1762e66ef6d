"""Providers of the bodies package (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.bodies.services import BodiesService, InterSchoolService, UnionService
from api.tenancy import Tenant


def provide_bodies(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> BodiesService:
    return BodiesService(tenant_session, tenant)


def provide_inter_school(
    tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
) -> InterSchoolService:
    return InterSchoolService(tenant_session, tenant)


def provide_unions(tenant_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]) -> UnionService:
    return UnionService(tenant_session, tenant)


bodies_dependencies = {
    "bodies": Provide(provide_bodies, sync_to_thread=False),
    "inter_school": Provide(provide_inter_school, sync_to_thread=False),
    "unions": Provide(provide_unions, sync_to_thread=False),
}
