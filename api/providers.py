"""One way a package provides a service that needs nothing but where it works: built on the
request's `TenantContext` (`on_context`) or on its control-plane session (`on_session`).

A package's `dependencies.py` names its services, `{"plans": on_context(PlanService)}`; a service
that needs more (settings, the caller, another service) keeps a provider function of its own.
"""

from typing import Any

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import TenantContext

# No `from __future__ import annotations`: Litestar reads each provider's parameter annotation to
# know what to inject, and a closure's annotations must be the types themselves, not names.


def on_context(service: Any) -> Provide:
    def provide(context: NamedDependency[TenantContext]) -> Any:
        return service(context)

    return Provide(provide, sync_to_thread=False)


def on_session(service: Any) -> Provide:
    def provide(session: NamedDependency[AsyncSession]) -> Any:
        return service(session)

    return Provide(provide, sync_to_thread=False)
