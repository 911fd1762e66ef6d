"""Providers of the work domains, meetings, plans and events (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.events.services import EventService
from api.domain.meetings.services import MeetingService
from api.domain.plans.services import PlanService


def provide_meetings(context: NamedDependency[TenantContext]) -> MeetingService:
    return MeetingService(context)


def provide_plans(context: NamedDependency[TenantContext]) -> PlanService:
    return PlanService(context)


def provide_events(context: NamedDependency[TenantContext]) -> EventService:
    return EventService(context)


work_dependencies = {
    "meetings": Provide(provide_meetings, sync_to_thread=False),
    "plans": Provide(provide_plans, sync_to_thread=False),
    "events": Provide(provide_events, sync_to_thread=False),
}
