"""Providers of the meetings package (merged into api.dependencies)."""

from __future__ import annotations

from api.domain.meetings.services import MeetingService
from api.providers import on_context

meetings_dependencies = {"meetings": on_context(MeetingService)}
