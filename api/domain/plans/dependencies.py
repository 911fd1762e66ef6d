"""Providers of the plans package (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.plans.services import PlanService


def provide_plans(context: NamedDependency[TenantContext]) -> PlanService:
    return PlanService(context)


plans_dependencies = {"plans": Provide(provide_plans, sync_to_thread=False)}
