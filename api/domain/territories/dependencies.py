"""Providers of the territories package (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.territories.services import TerritoryService


def provide_territory_service(session: NamedDependency[AsyncSession]) -> TerritoryService:
    return TerritoryService(session)


territories_dependencies = {"territories": Provide(provide_territory_service, sync_to_thread=False)}
