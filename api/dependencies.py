"""The application's dependencies, provided one way: Litestar `Provide` on the app."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.organisations.services import OrganisationService
from api.domain.territories.services import TerritoryService
from api.jobs import Jobs
from api.tenancy import tenant_dependencies


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One control-plane session per request: committed when the handler succeeds."""
    async with state.db.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def provide_jobs(state: State) -> Jobs:
    return state.jobs


def provide_organisation_service(session: NamedDependency[AsyncSession]) -> OrganisationService:
    return OrganisationService(session)


def provide_territory_service(session: NamedDependency[AsyncSession]) -> TerritoryService:
    return TerritoryService(session)


dependencies = {
    "session": Provide(provide_session),
    "jobs": Provide(provide_jobs, sync_to_thread=False),
    "organisations": Provide(provide_organisation_service, sync_to_thread=False),
    "territories": Provide(provide_territory_service, sync_to_thread=False),
    **tenant_dependencies,
}
