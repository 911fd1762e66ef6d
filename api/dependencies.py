"""The application's dependencies, provided one way: Litestar `Provide` on the app."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api import idempotency
from api.db import request_connection
from api.domain.bodies.dependencies import bodies_dependencies
from api.domain.events.services import EventService
from api.domain.meetings.context import WorkContext
from api.domain.meetings.services import MeetingService
from api.domain.organisations.services import OrganisationService
from api.domain.plans.services import PlanService
from api.domain.reviews.dependencies import review_dependencies
from api.domain.structure.actors import Actor, provide_actor
from api.domain.structure.dependencies import structure_dependencies
from api.domain.territories.services import TerritoryService
from api.identity.dependencies import identity_dependencies
from api.jobs import Jobs
from api.tenancy import Tenant, tenant_dependencies


async def provide_session(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """One control-plane session per request, on the request's connection: committed when the
    handler succeeds. A creating request outside an organisation's schema claims its
    Idempotency-Key here (api.idempotency)."""
    session = await request_connection(request.scope).unit_of_work()
    try:
        if not idempotency.uses_tenant_session(request.route_handler):
            await idempotency.claim(request, session)
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


def provide_jobs(state: State) -> Jobs:
    return state.jobs


def provide_organisation_service(session: NamedDependency[AsyncSession]) -> OrganisationService:
    return OrganisationService(session)


def provide_territory_service(session: NamedDependency[AsyncSession]) -> TerritoryService:
    return TerritoryService(session)


def provide_work_context(
    tenant_session: NamedDependency[AsyncSession], actor: NamedDependency[Actor], tenant: NamedDependency[Tenant]
) -> WorkContext:
    return WorkContext(tenant_session, actor, str(tenant.kind))


def provide_meeting_service(work: NamedDependency[WorkContext]) -> MeetingService:
    return MeetingService(work)


def provide_plan_service(work: NamedDependency[WorkContext]) -> PlanService:
    return PlanService(work)


def provide_event_service(work: NamedDependency[WorkContext]) -> EventService:
    return EventService(work)


dependencies = {
    "session": Provide(provide_session),
    "jobs": Provide(provide_jobs, sync_to_thread=False),
    "organisations": Provide(provide_organisation_service, sync_to_thread=False),
    "territories": Provide(provide_territory_service, sync_to_thread=False),
    **tenant_dependencies,
    **identity_dependencies,
    "actor": Provide(provide_actor),
    "work": Provide(provide_work_context, sync_to_thread=False),
    "meetings": Provide(provide_meeting_service, sync_to_thread=False),
    "plans": Provide(provide_plan_service, sync_to_thread=False),
    "events": Provide(provide_event_service, sync_to_thread=False),
    **structure_dependencies,
    **bodies_dependencies,
    **review_dependencies,
}
