"""Providers of the bodies' services, each built on the request's `TenantContext` (merged into
api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.bodies.associations import AssociationService
from api.domain.bodies.councils import CouncilService
from api.domain.bodies.inter_school import InterSchoolService
from api.domain.bodies.services import BodiesService
from api.domain.bodies.unions import UnionService


def provide_bodies(context: NamedDependency[TenantContext]) -> BodiesService:
    return BodiesService(context)


def provide_associations(context: NamedDependency[TenantContext]) -> AssociationService:
    return AssociationService(context)


def provide_councils(context: NamedDependency[TenantContext]) -> CouncilService:
    return CouncilService(context)


def provide_inter_school(context: NamedDependency[TenantContext]) -> InterSchoolService:
    return InterSchoolService(context)


def provide_unions(context: NamedDependency[TenantContext]) -> UnionService:
    return UnionService(context)


bodies_dependencies = {
    "bodies": Provide(provide_bodies, sync_to_thread=False),
    "associations": Provide(provide_associations, sync_to_thread=False),
    "councils": Provide(provide_councils, sync_to_thread=False),
    "inter_school": Provide(provide_inter_school, sync_to_thread=False),
    "unions": Provide(provide_unions, sync_to_thread=False),
}
