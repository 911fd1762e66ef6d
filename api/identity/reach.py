"""How far a principal's grants reach in the hierarchy, for the guard and for services.

A grant at a territory reaches that territory, everything below it and every organisation placed
there; a grant at an organisation (or at a unit of it) reaches that organisation. Checking a
target therefore needs the target's territory ancestry: the whole territory tree is small (a few
hundred rows) and changes rarely, so it is held in memory per database and reloaded after a few
minutes, or at once when a territory it does not know is asked about.

Services call `reach_of(session, principal)` and then `covers_organisation(...)`,
`organisation_clause()` (to filter a query) or `require_organisation(...)` (404 out of reach,
403 for a role too weak).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, false, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.access import Grant, Placement, Principal
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory, TerritoryKind
from api.errors import Forbidden, NotFound
from api.roles import ANY_SIGNED_IN, SELF, NodeLevel, Role

TREE_TTL_S = 300.0

# Roles that only read: they may use GET routes open to any signed-in principal, and write only
# where a route names them.
READ_ONLY_ROLES: frozenset[str] = frozenset({Role.NATIONAL_METHODIST, Role.REGIONAL_METHODIST, Role.DISTRICT_METHODIST})

# An administrator of a territory administers the organisations in it: a route that needs an
# organisation admin also admits the regional and national admins whose grant covers the target.
# No other role implies another: a route names every role it admits.
IMPLIED_ROLES: dict[str, frozenset[str]] = {
    Role.NATIONAL_ADMIN: frozenset({Role.REGIONAL_ADMIN, Role.ORGANISATION_ADMIN}),
    Role.REGIONAL_ADMIN: frozenset({Role.ORGANISATION_ADMIN}),
}

TERRITORY_LEVELS: dict[str, NodeLevel] = {
    TerritoryKind.REPUBLIC: NodeLevel.REPUBLIC,
    TerritoryKind.REGION: NodeLevel.REGION,
    TerritoryKind.CITY: NodeLevel.REGION,
    TerritoryKind.DISTRICT: NodeLevel.DISTRICT,
    TerritoryKind.TOWN: NodeLevel.DISTRICT,
}


def role_names(role: Any) -> frozenset[str] | None:
    """A route's declared role as a set of role names; None means any signed-in principal."""
    if role is None or role in (ANY_SIGNED_IN, SELF):
        return None
    if isinstance(role, str):
        return frozenset({str(role)})
    return frozenset(str(r) for r in role)


def satisfies(held: str, needed: frozenset[str] | None) -> bool:
    if needed is None:
        return True
    return held in needed or bool(IMPLIED_ROLES.get(held, frozenset()) & needed)


class TerritoryTree:
    def __init__(self, rows: Iterable[tuple[UUID, UUID | None, str]]) -> None:
        self.parent: dict[UUID, UUID | None] = {}
        self.kind: dict[UUID, str] = {}
        self.children: dict[UUID, list[UUID]] = defaultdict(list)
        for territory_id, parent_id, kind in rows:
            self.parent[territory_id] = parent_id
            self.kind[territory_id] = kind
            if parent_id is not None:
                self.children[parent_id].append(territory_id)
        self.loaded_at = time.monotonic()

    def __contains__(self, territory_id: object) -> bool:
        return territory_id in self.parent

    def ancestors(self, territory_id: UUID) -> list[UUID]:
        """The territory itself and every territory above it, nearest first."""
        chain: list[UUID] = []
        current: UUID | None = territory_id
        while current is not None and current in self.parent and current not in chain:
            chain.append(current)
            current = self.parent[current]
        return chain

    def descendants(self, territory_id: UUID) -> set[UUID]:
        """The territory itself and everything below it."""
        found = {territory_id}
        frontier = [territory_id]
        while frontier:
            frontier = [c for t in frontier for c in self.children.get(t, ()) if c not in found]
            found.update(frontier)
        return found

    def level(self, territory_id: UUID) -> NodeLevel | None:
        kind = self.kind.get(territory_id)
        return TERRITORY_LEVELS.get(kind) if kind else None


_trees: dict[str, TerritoryTree] = {}
# One lock per event loop and database: a lock is bound to the loop that first waits on it, and a
# process may run more than one loop over its life (each test module's, a command's).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _database_key(session: AsyncSession | AsyncConnection) -> str:
    bind = getattr(session, "bind", session)  # a session's engine or connection, or a connection
    url = getattr(bind, "url", None) or getattr(getattr(bind, "engine", None), "url", None)
    return url.render_as_string(hide_password=True) if url is not None else str(id(bind))


async def territory_tree(
    session: AsyncSession | AsyncConnection, *, must_know: Iterable[UUID | None] = ()
) -> TerritoryTree:
    """The cached territory tree of this session's database, fresh enough to know `must_know`."""
    key = _database_key(session)
    wanted = [t for t in must_know if t is not None]
    tree = _trees.get(key)
    if tree is not None and time.monotonic() - tree.loaded_at < TREE_TTL_S and all(t in tree for t in wanted):
        return tree
    lock = _locks.setdefault(asyncio.get_running_loop(), {}).setdefault(key, asyncio.Lock())
    async with lock:
        tree = _trees.get(key)
        if tree is None or time.monotonic() - tree.loaded_at >= TREE_TTL_S or not all(t in tree for t in wanted):
            rows = (await session.execute(select(Territory.id, Territory.parent_id, Territory.kind))).all()
            tree = TerritoryTree((r[0], r[1], r[2]) for r in rows)
            _trees[key] = tree
    return tree


def forget_territory_trees() -> None:
    """Drops the cached trees (after territories were changed in bulk)."""
    _trees.clear()


class Placed(Protocol):
    id: UUID
    territory_id: UUID


@dataclass(frozen=True)
class Reach:
    principal: Principal
    tree: TerritoryTree

    @property
    def grants(self) -> tuple[Grant, ...]:
        return self.principal.grants

    def _at_territory_above(self, grant: Grant, territory_id: UUID) -> bool:
        return grant.territory_id is not None and grant.territory_id in self.tree.ancestors(territory_id)

    def grants_for_organisation(self, organisation_id: UUID, territory_id: UUID | None) -> list[Grant]:
        """Grants held at the organisation, at a unit of it, or at a territory above it."""
        return [
            g
            for g in self.grants
            if g.organisation_id == organisation_id
            or (territory_id is not None and self._at_territory_above(g, territory_id))
        ]

    def grants_for_territory(self, territory_id: UUID) -> list[Grant]:
        return [g for g in self.grants if self._at_territory_above(g, territory_id)]

    def covers_organisation(self, org: Placed, roles: Any = ANY_SIGNED_IN) -> bool:
        needed = role_names(roles)
        return any(satisfies(g.role, needed) for g in self.grants_for_organisation(org.id, org.territory_id))

    def covers_territory(self, territory_id: UUID, roles: Any = ANY_SIGNED_IN) -> bool:
        needed = role_names(roles)
        return any(satisfies(g.role, needed) for g in self.grants_for_territory(territory_id))

    def covers_node(
        self,
        *,
        territory_id: UUID | None = None,
        organisation: Placed | None = None,
        roles: Any = ANY_SIGNED_IN,
    ) -> bool:
        if organisation is not None:
            return self.covers_organisation(organisation, roles)
        return territory_id is not None and self.covers_territory(territory_id, roles)

    def is_national(self, roles: Any = ANY_SIGNED_IN) -> bool:
        needed = role_names(roles)
        return any(
            g.territory_id is not None and self.tree.parent.get(g.territory_id, 0) is None and satisfies(g.role, needed)
            for g in self.grants
        )

    def organisation_clause(self, roles: Any = ANY_SIGNED_IN) -> ColumnElement[bool] | None:
        """A WHERE clause keeping the organisations in reach; None when everything is in reach."""
        needed = role_names(roles)
        if self.is_national(roles):
            return None
        territories: set[UUID] = set()
        organisations: set[UUID] = set()
        for g in self.grants:
            if not satisfies(g.role, needed):
                continue
            if g.territory_id is not None:
                territories |= self.tree.descendants(g.territory_id)
            elif g.organisation_id is not None:
                organisations.add(g.organisation_id)
        clauses = []
        if territories:
            clauses.append(Organisation.territory_id.in_(territories))
        if organisations:
            clauses.append(Organisation.id.in_(organisations))
        return or_(*clauses) if clauses else false()


async def reach_of(
    session: AsyncSession | AsyncConnection, principal: Principal, *, must_know: Iterable[UUID | None] = ()
) -> Reach:
    wanted = [*must_know, *(g.territory_id for g in principal.grants)]
    return Reach(principal, await territory_tree(session, must_know=wanted))


async def covers_organisation(
    session: AsyncSession, principal: Principal, org: Placed, roles: Any = ANY_SIGNED_IN
) -> bool:
    reach = await reach_of(session, principal, must_know=[org.territory_id])
    return reach.covers_organisation(org, roles)


async def require_organisation(
    session: AsyncSession, principal: Principal, org: Placed, roles: Any = ANY_SIGNED_IN
) -> None:
    """404 when the organisation is out of the principal's reach (its existence must not leak),
    403 when it is in reach but none of the grants there carries a role that may do this."""
    reach = await reach_of(session, principal, must_know=[org.territory_id])
    grants = reach.grants_for_organisation(org.id, org.territory_id)
    if not grants:
        raise NotFound("Organisation not found.", field="organisation_id")
    if not any(satisfies(g.role, role_names(roles)) for g in grants):
        raise Forbidden(f"This needs the role {describe_roles(roles)} at this organisation.")


_ORG = Organisation.__table__.c
# Built once: the guard reads an organisation on every request that names one.
_PLACEMENT = select(_ORG.id, _ORG.territory_id, _ORG.status, _ORG.schema_name, _ORG.kind).where(
    _ORG.id == bindparam("organisation_id")
)


async def organisation_placement(session: AsyncSession | AsyncConnection, organisation_id: UUID) -> Placement | None:
    row = (await session.execute(_PLACEMENT, {"organisation_id": organisation_id})).first()
    return Placement(*row) if row else None


def describe_roles(roles: Any) -> str:
    names = role_names(roles)
    if names is None:
        return "of a signed-in user"
    # Codes joined by commas, which the error's translation turns into the roles' names.
    return ", ".join(sorted(names))


async def require_territory(session: AsyncSession, principal: Principal, territory_id: UUID, roles: Any) -> None:
    """403 unless a grant with one of `roles` reaches the territory (a place to put something)."""
    reach = await reach_of(session, principal, must_know=[territory_id])
    if territory_id in reach.tree and not reach.covers_territory(territory_id, roles):
        raise Forbidden("This territory is outside your reach.", field="territory_id")
