"""One tenant request's context: the organisation, its session, who asks, and the audit recorder.

Every handler and service that works inside an organisation's schema takes a `TenantContext`,
built once per request by `provide_context`: the organisation as the access guard read it (one
read, on the request's connection), the tenant session bound to its schema, the caller with the
grants that reach this organisation resolved once (`Caller`), their staff record here, and the
`AuditRecorder` every change is written through. Jobs, the CLI, the demo and tests build one with
`TenantContext.of(...)`.

The roles a caller holds come from one table, `api.identity.reach.IMPLIED_ROLES` (a national
admin is also a regional and an organisation admin), and are read three ways, each named for
the question it answers:

- `roles`: every role held here, at the organisation, at one of its units or at a territory
  above it (the structure's readers and shapers);
- `org_roles`: roles held for the whole organisation (not only at a unit): deciding an approval,
  keeping every body's records;
- `unit_roles`: (role, unit) pairs, for what a unit's head or a body's keeper does at their unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.access import Grant, Here, principal
from api.errors import Forbidden
from api.identity.reach import IMPLIED_ROLES
from api.roles import Role
from api.tenancy import Tenant

# Roles that shape an organisation's structure: units, subjects, staff, bodies, the calendar.
SHAPERS = frozenset({Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD})
# Roles that see the whole structure of an organisation they reach, and every body's work.
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
# Roles that read every document of the organisation (readers from above read what it publishes).
DOCUMENT_READERS = frozenset({Role.HEAD, Role.DEPUTY_HEAD, Role.ORGANISATION_ADMIN})


def _with_implied(role: str) -> set[str]:
    return {str(role), *(str(r) for r in IMPLIED_ROLES.get(str(role), ()))}


@dataclass(frozen=True)
class Caller:
    """Who asks, inside one organisation. `grants` are the caller's grants that reach it."""

    user_id: UUID | None = None
    grants: tuple[Grant, ...] = ()
    staff_id: UUID | None = None
    name: str = ""
    roles: frozenset[str] = field(init=False)
    org_roles: frozenset[str] = field(init=False)
    unit_roles: frozenset[tuple[str, UUID]] = field(init=False)

    def __post_init__(self) -> None:
        roles: set[str] = set()
        org_roles: set[str] = set()
        unit_roles: set[tuple[str, UUID]] = set()
        for grant in self.grants:
            held = _with_implied(grant.role)
            roles |= held
            if grant.unit_id is None:
                org_roles |= held
            else:
                unit_roles.add((str(grant.role), grant.unit_id))
        object.__setattr__(self, "roles", frozenset(roles))
        object.__setattr__(self, "org_roles", frozenset(org_roles))
        object.__setattr__(self, "unit_roles", frozenset(unit_roles))
        if not self.name:
            name = f"user {self.user_id}" if self.user_id else "API client"
            object.__setattr__(self, "name", name)

    @property
    def shapes_structure(self) -> bool:
        return bool(self.roles & SHAPERS)

    @property
    def reads_everything(self) -> bool:
        return bool(self.roles & FULL_READERS)

    @property
    def reads_all_documents(self) -> bool:
        return bool(self.org_roles & DOCUMENT_READERS)

    @property
    def administers(self) -> bool:
        return Role.ORGANISATION_ADMIN.value in self.org_roles

    def has_org_role(self, roles: Iterable[str]) -> bool:
        """A role held for the whole organisation (at it, or implied from a territory above it)."""
        return bool(self.org_roles & {str(r) for r in roles})

    def granted_units(self, roles: Iterable[str]) -> set[UUID]:
        """The units (or bodies) at which the caller holds one of `roles`."""
        wanted = {str(r) for r in roles}
        return {unit for role, unit in self.unit_roles if role in wanted}

    def require_shaper(self, what: str = "change the structure") -> None:
        if not self.shapes_structure:
            raise Forbidden(f"Only the organisation admin or the deputy head for academic work may {what}.")


@dataclass(frozen=True)
class AuditRecorder:
    """Appends to the organisation's audit log, in the session's transaction, as the caller."""

    session: AsyncSession
    actor_id: UUID | None

    async def record(
        self,
        action: str,
        entity: str,
        entity_id: Any,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """`action` is a dotted verb (`association.create`), `entity` the kind of thing changed,
        `before` / `after` its state (`audit.snapshot(model)`); None where it did not exist."""
        await self.record_many([(action, entity, entity_id, before, after)])

    async def record_many(
        self, entries: list[tuple[str, str, Any, Mapping[str, Any] | None, Mapping[str, Any] | None]]
    ) -> None:
        await audit.record_many(self.session, actor_id=self.actor_id, entries=entries)


@dataclass(frozen=True)
class TenantContext:
    tenant: Tenant
    session: AsyncSession
    caller: Caller
    audit: AuditRecorder

    @classmethod
    def of(cls, tenant: Tenant, session: AsyncSession, caller: Caller) -> TenantContext:
        return cls(tenant, session, caller, AuditRecorder(session, caller.user_id))

    @property
    def organisation_id(self) -> UUID:
        return self.tenant.organisation_id


async def staff_of_user(session: AsyncSession, user_id: UUID | None) -> tuple[UUID, str] | None:
    """The live staff record (id, full name) of a shared account in this organisation, or None."""
    from api.domain.structure.models import Staff

    if user_id is None:
        return None
    row = (
        await session.execute(
            select(Staff.id, Staff.full_name).where(Staff.user_id == user_id, Staff.archived_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def caller_of(session: AsyncSession, user_id: UUID | None, grants: Iterable[Grant]) -> Caller:
    """The caller with their staff record in the organisation `session` is bound to."""
    staff = await staff_of_user(session, user_id)
    if staff is None:
        return Caller(user_id, tuple(grants))
    return Caller(user_id, tuple(grants), staff[0], staff[1])


async def provide_context(
    request: Request[Any, Any, Any],
    here: NamedDependency[Here],
    tenant: NamedDependency[Tenant],
    tenant_session: NamedDependency[AsyncSession],
) -> TenantContext:
    caller = await caller_of(tenant_session, principal(request).user_id, here.grants)
    return TenantContext.of(tenant, tenant_session, caller)
