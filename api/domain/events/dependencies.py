"""Providers of the events package (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.events.services import EventService


def provide_events(context: NamedDependency[TenantContext]) -> EventService:
    return EventService(context)


events_dependencies = {"events": Provide(provide_events, sync_to_thread=False)}
