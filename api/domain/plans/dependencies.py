"""Providers of the plans package (merged into api.dependencies)."""

from __future__ import annotations

from api.domain.plans.services import PlanService
from api.providers import on_context

plans_dependencies = {"plans": on_context(PlanService)}
