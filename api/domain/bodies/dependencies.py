"""Providers of the bodies' services, each built on the request's `TenantContext` (merged into
api.dependencies)."""

from __future__ import annotations

from api.domain.bodies.associations import AssociationService
from api.domain.bodies.councils import CouncilService
from api.domain.bodies.inter_school import InterSchoolService
from api.domain.bodies.services import BodiesService
from api.domain.bodies.unions import UnionService
from api.providers import on_context

bodies_dependencies = {
    "bodies": on_context(BodiesService),
    "associations": on_context(AssociationService),
    "councils": on_context(CouncilService),
    "inter_school": on_context(InterSchoolService),
    "unions": on_context(UnionService),
}
