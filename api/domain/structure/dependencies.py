"""Providers of the structure services, each built on the request's `TenantContext`
(merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.structure.calendar import CalendarService
from api.domain.structure.services import UnitService
from api.domain.structure.staff import StaffService


def provide_units(context: NamedDependency[TenantContext]) -> UnitService:
    return UnitService(context)


def provide_staff(context: NamedDependency[TenantContext]) -> StaffService:
    return StaffService(context)


def provide_calendar(context: NamedDependency[TenantContext]) -> CalendarService:
    return CalendarService(context)


structure_dependencies = {
    "units": Provide(provide_units, sync_to_thread=False),
    "staff_service": Provide(provide_staff, sync_to_thread=False),
    "calendar": Provide(provide_calendar, sync_to_thread=False),
}
