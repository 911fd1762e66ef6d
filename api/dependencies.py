"""The application's dependencies, provided one way: Litestar `Provide` on the app."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api import idempotency
from api.context import provide_context
from api.db import request_connection
from api.domain.audit.dependencies import audit_dependencies
from api.domain.bodies.dependencies import bodies_dependencies
from api.domain.compliance.dependencies import compliance_dependencies
from api.domain.events.dependencies import events_dependencies
from api.domain.meetings.dependencies import meetings_dependencies
from api.domain.organisations.dependencies import organisations_dependencies
from api.domain.plans.dependencies import plans_dependencies
from api.domain.reviews.dependencies import review_dependencies
from api.domain.structure.dependencies import structure_dependencies
from api.domain.territories.dependencies import territories_dependencies
from api.identity.dependencies import identity_dependencies
from api.jobs import Jobs
from api.tenancy import tenant_dependencies


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


dependencies = {
    "session": Provide(provide_session),
    "jobs": Provide(provide_jobs, sync_to_thread=False),
    **organisations_dependencies,
    **territories_dependencies,
    **tenant_dependencies,
    "context": Provide(provide_context),
    **identity_dependencies,
    **structure_dependencies,
    **bodies_dependencies,
    **audit_dependencies,
    **review_dependencies,
    **meetings_dependencies,
    **plans_dependencies,
    **events_dependencies,
    **compliance_dependencies,
}
