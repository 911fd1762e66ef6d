"""Who takes part in review work inside one organisation, as the services see them.

Services receive a `Participant` explicitly (no HTTP in services). The controller builds it from
the request's principal with `participant_of(...)`: the caller's account, their staff record in
this organisation, the roles they hold at the organisation and at its units. Grants held at a
territory above (district, region, republic) make a reader from above: they may read what the
organisation publishes (the catalogue, cl. 13.4), never decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.domain.reviews.aggregate import Decider
from api.domain.structure.models import Staff
from api.roles import Role

# Roles that read every document of the organisation.
ORGANISATION_READERS = frozenset({Role.HEAD, Role.DEPUTY_HEAD, Role.ORGANISATION_ADMIN})
_IMPLIED = {Role.NATIONAL_ADMIN: Role.ORGANISATION_ADMIN, Role.REGIONAL_ADMIN: Role.ORGANISATION_ADMIN}


@dataclass(frozen=True)
class Participant:
    user_id: UUID | None
    staff_id: UUID | None = None
    name: str = ""
    org_roles: frozenset[str] = frozenset()
    unit_roles: frozenset[tuple[str, UUID]] = frozenset()
    from_above: bool = False  # reaches the organisation through a territory grant

    @property
    def reads_everything(self) -> bool:
        return bool(self.org_roles & ORGANISATION_READERS)

    @property
    def administers(self) -> bool:
        return Role.ORGANISATION_ADMIN.value in self.org_roles

    def decider(self) -> Decider:
        return Decider(self.user_id, self.staff_id, self.name, self.org_roles, self.unit_roles)


async def participant_of(session: AsyncSession, principal: Principal, organisation_id: UUID) -> Participant:
    """`session` is the tenant session; grants outside the organisation give no role in it, except
    admins above it, who administer it (as the guard admits them)."""
    org_roles: set[str] = set()
    unit_roles: set[tuple[str, UUID]] = set()
    from_above = False
    for grant in principal.grants:
        if grant.organisation_id == organisation_id:
            if grant.unit_id is None:
                org_roles.add(str(grant.role))
            else:
                unit_roles.add((str(grant.role), grant.unit_id))
        elif grant.territory_id is not None:
            # The guard has already checked that this grant reaches the organisation.
            from_above = True
            implied = _IMPLIED.get(grant.role)  # type: ignore[call-overload]
            if implied is not None:
                org_roles.add(implied.value)
    staff = None
    if principal.user_id is not None:
        staff = await session.scalar(
            select(Staff).where(Staff.user_id == principal.user_id, Staff.archived_at.is_(None))
        )
    name = (
        staff.full_name if staff is not None else (f"user {principal.user_id}" if principal.user_id else "API client")
    )
    return Participant(
        principal.user_id, staff.id if staff else None, name, frozenset(org_roles), frozenset(unit_roles), from_above
    )
