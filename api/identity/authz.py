"""Who may administer identity for an organisation or for a user (on top of the route guard).

The guard admits a request by its declared role; these checks decide on the object, through the
hierarchy's reach (api.identity.reach): an organisation admin administers their organisation,
a regional admin the organisations of their region, a national admin everything.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import PRINCIPAL_KEY, Principal
from api.domain.accounts.models import RoleAssignment
from api.domain.organisations.models import Organisation
from api.errors import DomainError, Forbidden, NotFound
from api.i18n import N_
from api.identity.reach import reach_of, require_organisation
from api.roles import Role

# The organisation admin role; national and regional admins hold it by implication (reach).
IDENTITY_ADMINS = (Role.ORGANISATION_ADMIN, Role.REGIONAL_ADMIN, Role.NATIONAL_ADMIN)


class NotSignedIn(DomainError):
    status = 401


async def current_principal(request: Any) -> Principal:
    """The principal the authentication middleware put in the scope.

    Where no middleware ran (the key is absent, not anonymous), the session cookie is read here, so
    these routes never act for an unidentified caller.
    """
    found = request.scope.get(PRINCIPAL_KEY)
    if found is not None:
        return found
    from api.identity.sessions import principal_from_session

    return await principal_from_session(request) or Principal()


def require_signed_in(principal: Principal) -> UUID:
    if principal.is_anonymous or principal.user_id is None:
        raise NotSignedIn(principal.reason or N_("Sign in first."))
    return principal.user_id


async def require_organisation_admin(
    session: AsyncSession, principal: Principal, organisation_id: UUID
) -> Organisation:
    """A person or an API token administering the organisation (routes closed to tokens say so
    in their `opt`, `access(…, person_only=…)`)."""
    if principal.is_anonymous:
        raise NotSignedIn(principal.reason or N_("Sign in first."))
    org = await session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("Organisation not found.", field="organisation_id")
    await require_organisation(session, principal, org, Role.ORGANISATION_ADMIN)
    return org


async def require_user_admin(session: AsyncSession, principal: Principal, user_id: UUID) -> None:
    """An admin may act on a user who holds a role somewhere within the admin's reach."""
    require_signed_in(principal)
    reach = await reach_of(session, principal)
    if reach.is_national(Role.NATIONAL_ADMIN):
        return
    assignments = (await session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id))).all()
    for assignment in assignments:
        if assignment.organisation_id is not None:
            org = await session.get(Organisation, assignment.organisation_id)
            if org is not None:
                reach = await reach_of(session, principal, must_know=[org.territory_id])
                if reach.covers_organisation(org, Role.ORGANISATION_ADMIN):
                    return
        elif assignment.territory_id is not None:
            reach = await reach_of(session, principal, must_know=[assignment.territory_id])
            if reach.covers_territory(assignment.territory_id, Role.REGIONAL_ADMIN):
                return
    raise Forbidden("Only an administrator of this user's organisation may do this.", field="user_id")
