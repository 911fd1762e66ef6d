"""Resolving the tenant of a tenant-scoped request.

Tenant-scoped routes live under `/api/organisations/{organisation_id}/…`. The organisation is
looked up in the control plane; only an active one is served (a suspended one reads as 403 with
the reason, a missing or archived one as 404). The tenant session is bound to the organisation's
schema for the whole request and committed when the handler succeeds.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, idempotency
from api.access import HERE_KEY, Here, principal
from api.db import request_connection, sqlstate
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind, OrgStatus
from api.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class Tenant:
    organisation_id: UUID
    schema: str
    kind: OrgKind
    territory_id: UUID


async def provide_here(request: Request[Any, Any, Any], organisation_id: FromPath[UUID]) -> Here:
    """The organisation the path names and the caller's grants there, as the access guard found
    them. The guard checks before the request's parameters are read, so that a stranger learns
    nothing from a 400 (the isolation matrix holds every tenant route to that); a guard returns
    nothing, so it leaves what it read in the request's scope, and this is the one place that takes it."""
    here = request.scope.get(HERE_KEY)
    if not isinstance(here, Here) or here.organisation_id != organisation_id:
        raise RuntimeError("a tenant route was reached without the access guard's check")
    return here


async def provide_tenant(here: NamedDependency[Here]) -> Tenant:
    org = here.organisation  # read once, by the guard, on the request's connection
    if org is None or org.status == OrgStatus.ARCHIVED:
        raise NotFound("Organisation not found.", field="organisation_id")
    if org.status == OrgStatus.SUSPENDED:
        raise Forbidden("The organisation is suspended.", field="organisation_id")
    if org.status != OrgStatus.ACTIVE:
        raise Conflict(f"The organisation is not ready yet ({org.status}).", field="organisation_id")
    return Tenant(org.id, org.schema_name, OrgKind(org.kind), org.territory_id)


async def provide_tenant_session(
    state: State, tenant: NamedDependency[Tenant], request: Request[Any, Any, Any]
) -> AsyncGenerator[AsyncSession, None]:
    session = await request_connection(request.scope).unit_of_work(tenant.schema)
    try:
        caller = principal(request)
        if caller.via == "token":
            # Every audit entry of this request names the token and the person who issued it.
            audit.bind_actor(session, audit.RequestActor(token_id=caller.credential_id, issued_by=caller.issued_by))
        try:
            # A creating request's Idempotency-Key is claimed in this transaction (api.idempotency).
            await idempotency.claim(request, session)
            yield session
            await session.commit()
        except BaseException as exc:
            await session.rollback()
            if _schema_gone(exc) and await _archived(state, tenant.organisation_id):
                # Archived while this request was on its way: its schema was dropped under it. The
                # same exception goes on (Litestar groups a new one raised here into a 500), marked
                # for api.errors to answer 404 as for any archived organisation.
                exc.organisation_archived = True  # type: ignore[attr-defined]
            raise
    finally:
        await session.close()
    if session.info.pop(audit.CHANGED_KEY, False):
        # The facts behind the organisation's findings changed: recompute them in the background.
        await state.jobs.enqueue_compliance(tenant.organisation_id)


def _schema_gone(exc: BaseException) -> bool:
    return isinstance(exc, ProgrammingError) and sqlstate(exc) in {"42P01", "3F000"}  # undefined table / schema


async def _archived(state: State, organisation_id: UUID) -> bool:
    async with state.db.session() as session:
        org = await session.get(Organisation, organisation_id)
    return org is None or org.status == OrgStatus.ARCHIVED


tenant_dependencies = {
    "here": Provide(provide_here),
    "tenant": Provide(provide_tenant),
    "tenant_session": Provide(provide_tenant_session),
}
