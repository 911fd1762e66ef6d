"""Providers of the structure services, each built on the request's `TenantContext`
(merged into api.dependencies)."""

from __future__ import annotations

from api.domain.structure.calendar import CalendarService
from api.domain.structure.services import UnitService
from api.domain.structure.staff import StaffService
from api.providers import on_context

structure_dependencies = {
    "units": on_context(UnitService),
    "staff_service": on_context(StaffService),
    "calendar": on_context(CalendarService),
}
