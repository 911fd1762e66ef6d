"""Who may grant which role where: the rules behind role assignments and API tokens.

- A role is granted at a node whose level the role allows (api.roles.ROLE_LEVELS): a territory
  (republic, region or city, district or town), an organisation, or a unit of an organisation.
- An administrator grants within their reach only: a national admin anywhere, a regional admin in
  their region, an organisation admin in their organisation (api.identity.reach).
- Leaders of inter-school associations are appointed by the district (city) education
  department (cl. 30). An inter-school association is run by the district's (town's)
  methodological cabinet, so `association_leader` at such a cabinet (or a unit of it) is granted
  only by a district methodist of that very district — not by admins, nor by a district
  methodist of another district. Conversely, that is the only role a district methodist grants.
- Nobody changes their own roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Grant, Principal
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.domain.territories.models import Territory
from api.errors import DomainError, Forbidden, NotFound
from api.identity.reach import TERRITORY_LEVELS, Reach, reach_of, satisfies
from api.roles import ROLE_LEVELS, NodeLevel, Role

ADMIN_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.REGIONAL_ADMIN, Role.ORGANISATION_ADMIN})
INTER_SCHOOL_HOSTS = frozenset({OrgKind.CABINET_DISTRICT, OrgKind.CABINET_CITY})


@dataclass(frozen=True)
class Node:
    """A place in the hierarchy, checked: the territory, or the organisation (and unit)."""

    level: NodeLevel
    territory: Territory | None = None
    organisation: Organisation | None = None
    unit_id: UUID | None = None

    def grant(self, role: str) -> Grant:
        return Grant(
            role,
            territory_id=self.territory.id if self.territory else None,
            organisation_id=self.organisation.id if self.organisation else None,
            unit_id=self.unit_id,
        )


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise DomainError(
            f"Unknown role {value!r}; the roles are {', '.join(r.value for r in Role)}.", field="role"
        ) from None


async def resolve_node(
    session: AsyncSession,
    *,
    territory_id: UUID | None,
    organisation_id: UUID | None,
    unit_id: UUID | None,
) -> Node:
    if (territory_id is None) == (organisation_id is None):
        raise DomainError("Name exactly one node: a territory_id or an organisation_id.", field="territory_id")
    if territory_id is not None:
        if unit_id is not None:
            raise DomainError("A unit belongs to an organisation: name the organisation_id.", field="unit_id")
        territory = await session.get(Territory, territory_id)
        if territory is None:
            raise NotFound("Territory not found.", field="territory_id")
        return Node(TERRITORY_LEVELS[territory.kind], territory=territory)
    org = await session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("Organisation not found.", field="organisation_id")
    return Node(NodeLevel.UNIT if unit_id else NodeLevel.ORGANISATION, organisation=org, unit_id=unit_id)


def check_level(role: Role, node: Node) -> None:
    allowed = ROLE_LEVELS[role]
    if node.level not in allowed:
        places = " or ".join(sorted(level.value for level in allowed))
        raise DomainError(f"The role {role.value} is held at a {places}, not at a {node.level.value}.", field="role")


def _is_inter_school(role: Role, node: Node) -> bool:
    return (
        role == Role.ASSOCIATION_LEADER
        and node.organisation is not None
        and node.organisation.kind in INTER_SCHOOL_HOSTS
    )


def _covering(reach: Reach, node: Node) -> list[Grant]:
    if node.organisation is not None:
        return reach.grants_for_organisation(node.organisation.id, node.organisation.territory_id)
    assert node.territory is not None
    return reach.grants_for_territory(node.territory.id)


async def check_may_grant(
    session: AsyncSession, principal: Principal, role: Role, node: Node, *, verb: str = "grant"
) -> None:
    """Raises unless the principal may grant (or revoke) `role` at `node`."""
    check_level(role, node)
    known = [
        node.territory.id if node.territory else None,
        node.organisation.territory_id if node.organisation else None,
    ]
    reach = await reach_of(session, principal, must_know=known)
    covering = _covering(reach, node)
    if not covering:
        if node.organisation is not None:
            raise NotFound("Organisation not found.", field="organisation_id")
        raise Forbidden(f"This territory is outside your reach: you cannot {verb} roles there.", field="territory_id")
    if _is_inter_school(role, node):
        assert node.organisation is not None
        district = node.organisation.territory_id
        if not any(g.role == Role.DISTRICT_METHODIST and g.territory_id == district for g in principal.grants):
            raise Forbidden(
                "Leaders of inter-school associations are appointed at district level: only a district "
                "methodist of this district may do this (cl. 30).",
                field="role",
                clause="30",
            )
        return
    if not any(satisfies(g.role, ADMIN_ROLES) for g in covering):
        if any(g.role == Role.DISTRICT_METHODIST for g in principal.grants):
            raise Forbidden(
                "A district methodist appoints only leaders of inter-school associations, at the "
                "district's methodological cabinet (cl. 30).",
                field="role",
                clause="30",
            )
        raise Forbidden(f"Only an administrator whose reach covers this place may {verb} roles here.")


def check_not_self(principal: Principal, user_id: UUID) -> None:
    if principal.user_id is not None and principal.user_id == user_id:
        raise Forbidden("You cannot change your own roles; ask another administrator.", field="user_id")
