"""Providers of the events package (merged into api.dependencies)."""

from __future__ import annotations

from api.domain.events.services import EventService
from api.providers import on_context

events_dependencies = {"events": on_context(EventService)}
