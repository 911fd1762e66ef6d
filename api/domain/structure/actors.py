"""Who is acting inside one organisation: the caller's user id, roles there and staff record.

The route guard (api.identity.guards) has already admitted the caller by the route's declared
role; services narrow further with an `Actor`, which they receive as an explicit argument (no
HTTP in services): the organisation admin and the deputy head shape the structure, a body's
keepers (its leader, chair, secretary) keep its membership, and a teacher reads only the bodies
they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import HERE_KEY, Grant, Here, principal
from api.errors import Forbidden
from api.roles import Role
from api.tenancy import Tenant

SHAPERS = frozenset({Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD})
# Roles that see the whole structure of an organisation they reach.
FULL_READERS = frozenset(
    {
        Role.NATIONAL_ADMIN,
        Role.NATIONAL_METHODIST,
        Role.REGIONAL_ADMIN,
        Role.REGIONAL_METHODIST,
        Role.DISTRICT_METHODIST,
        Role.ORGANISATION_ADMIN,
        Role.HEAD,
        Role.DEPUTY_HEAD,
        Role.UNIT_HEAD,
    }
)
_IMPLIED = {
    Role.NATIONAL_ADMIN: {Role.REGIONAL_ADMIN, Role.ORGANISATION_ADMIN},
    Role.REGIONAL_ADMIN: {Role.ORGANISATION_ADMIN},
}


@dataclass(frozen=True)
class Actor:
    user_id: UUID | None
    roles: frozenset[str] = frozenset()
    staff_id: UUID | None = None
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, user_id: UUID | None, grants: Iterable[Grant], staff_id: UUID | None = None) -> Actor:
        grants = tuple(grants)
        roles: set[str] = set()
        for g in grants:
            roles.add(str(g.role))
            roles.update(str(r) for r in _IMPLIED.get(str(g.role), ()))
        return cls(user_id, frozenset(roles), staff_id, grants)

    @property
    def shapes_structure(self) -> bool:
        return bool(self.roles & SHAPERS)

    @property
    def reads_everything(self) -> bool:
        return bool(self.roles & FULL_READERS)

    def require_shaper(self, what: str = "change the structure") -> None:
        if not self.shapes_structure:
            raise Forbidden(f"Only the organisation admin or the deputy head for academic work may {what}.")


async def staff_for_user(session: AsyncSession, user_id: UUID | None) -> Any:
    """The live staff record of a shared user in this tenant, or None."""
    from api.domain.structure.models import Staff

    if user_id is None:
        return None
    return await session.scalar(select(Staff).where(Staff.user_id == user_id, Staff.archived_at.is_(None)))


async def provide_actor(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    tenant_session: NamedDependency[AsyncSession],
) -> Actor:
    from api.identity.reach import reach_of

    p = principal(request)
    grants: list[Grant] = []
    here = request.scope.get(HERE_KEY)
    if isinstance(here, Here) and here.organisation_id == tenant.organisation_id:
        grants = list(here.grants)  # the guard has worked them out for this organisation already
    elif p.grants:
        # A short control session of its own: the request keeps only its tenant connection, so a
        # burst of requests cannot take the whole pool waiting for a second one.
        async with request.app.state.db.session() as control:
            reach = await reach_of(control, p, must_know=[tenant.territory_id])
        grants = reach.grants_for_organisation(tenant.organisation_id, tenant.territory_id)
    staff = await staff_for_user(tenant_session, p.user_id)
    return Actor.of(p.user_id, grants, staff.id if staff else None)
