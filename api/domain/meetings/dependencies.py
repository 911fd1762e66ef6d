"""Providers of the meetings package (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.meetings.services import MeetingService


def provide_meetings(context: NamedDependency[TenantContext]) -> MeetingService:
    return MeetingService(context)


meetings_dependencies = {"meetings": Provide(provide_meetings, sync_to_thread=False)}
