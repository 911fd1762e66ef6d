"""Role assignments: granting and revoking a role at a node, and reading who holds what.

The rules of who may grant what are in api.identity.grants; reading is filtered by reach — a
principal sees the assignments at nodes they reach (all of their own), and a user none of whose
roles is in reach reads as not found.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.db import escape_like
from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.errors import Conflict, NotFound
from api.identity import audit
from api.identity.assignment_schemas import OrganisationPerson, RoleAssignmentRead, RoleGrant
from api.identity.authz import require_organisation_admin
from api.identity.grants import check_may_grant, check_not_self, parse_role, resolve_node
from api.identity.reach import Reach, reach_of
from api.paging import Page, Paging, paged
from api.responses import response_of


def to_read(a: RoleAssignment) -> RoleAssignmentRead:
    return response_of(RoleAssignmentRead, a)


class RoleAssignmentService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def grant(self, data: RoleGrant) -> RoleAssignment:
        role = parse_role(data.role)
        if await self.session.get(User, data.user_id) is None:
            raise NotFound("User not found.", field="user_id")
        check_not_self(self.principal, data.user_id)
        node = await resolve_node(
            self.session, territory_id=data.territory_id, organisation_id=data.organisation_id, unit_id=data.unit_id
        )
        await check_may_grant(self.session, self.principal, role, node)
        existing = await self.session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == data.user_id,
                RoleAssignment.role == role.value,
                RoleAssignment.territory_id.is_(None)
                if data.territory_id is None
                else RoleAssignment.territory_id == data.territory_id,
                RoleAssignment.organisation_id.is_(None)
                if data.organisation_id is None
                else RoleAssignment.organisation_id == data.organisation_id,
                RoleAssignment.unit_id.is_(None) if data.unit_id is None else RoleAssignment.unit_id == data.unit_id,
            )
        )
        if existing is not None:
            raise Conflict("The user already holds this role here.", field="role")
        assignment = RoleAssignment(
            user_id=data.user_id,
            role=role.value,
            territory_id=data.territory_id,
            organisation_id=data.organisation_id,
            unit_id=data.unit_id,
            granted_by=self.principal.user_id,
        )
        self.session.add(assignment)
        await self.session.flush()
        await audit.record(
            self.session,
            self.principal,
            action="role.grant",
            entity="role_assignment",
            entity_id=assignment.id,
            subject_user_id=assignment.user_id,
            after=audit.snapshot(assignment),
        )
        return assignment

    async def revoke(self, assignment_id: UUID) -> None:
        assignment = await self.session.get(RoleAssignment, assignment_id)
        if assignment is None or not await self._visible(assignment):
            raise NotFound("Role assignment not found.", field="assignment_id")
        check_not_self(self.principal, assignment.user_id)
        node = await resolve_node(
            self.session,
            territory_id=assignment.territory_id,
            organisation_id=assignment.organisation_id,
            unit_id=assignment.unit_id,
        )
        await check_may_grant(self.session, self.principal, parse_role(assignment.role), node, verb="revoke")
        before = audit.snapshot(assignment)
        await self.session.delete(assignment)
        await self.session.flush()
        await audit.record(
            self.session,
            self.principal,
            action="role.revoke",
            entity="role_assignment",
            entity_id=assignment_id,
            subject_user_id=assignment.user_id,
            before=before,
        )

    async def _reach(self, assignments: list[RoleAssignment]) -> Reach:
        return await reach_of(self.session, self.principal, must_know=[a.territory_id for a in assignments])

    async def _visible(self, assignment: RoleAssignment) -> bool:
        return bool(await self._filter([assignment]))

    async def _filter(self, assignments: list[RoleAssignment]) -> list[RoleAssignment]:
        if not assignments:
            return []
        reach = await self._reach(assignments)
        org_ids = {a.organisation_id for a in assignments if a.organisation_id is not None}
        placed = {}
        if org_ids:
            rows = await self.session.execute(
                select(Organisation.id, Organisation.territory_id).where(Organisation.id.in_(org_ids))
            )
            placed = {r[0]: r[1] for r in rows}
        visible = []
        for a in assignments:
            if a.user_id == self.principal.user_id:
                visible.append(a)
            elif a.organisation_id is not None:
                if reach.grants_for_organisation(a.organisation_id, placed.get(a.organisation_id)):
                    visible.append(a)
            elif a.territory_id is not None and reach.grants_for_territory(a.territory_id):
                visible.append(a)
        return visible

    async def of_user(self, user_id: UUID) -> list[RoleAssignment]:
        if await self.session.get(User, user_id) is None:
            raise NotFound("User not found.", field="user_id")
        rows = list(
            (
                await self.session.scalars(
                    select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.created_at)
                )
            ).all()
        )
        visible = await self._filter(rows)
        if not visible and user_id != self.principal.user_id:
            reach = await self._reach([])
            if not reach.is_national():
                raise NotFound("User not found.", field="user_id")
        return visible

    async def at_organisation(self, organisation_id: UUID) -> list[RoleAssignment]:
        """Everyone holding a role at the organisation or a unit of it (the guard checked reach)."""
        rows = await self.session.scalars(
            select(RoleAssignment)
            .where(or_(RoleAssignment.organisation_id == organisation_id))
            .order_by(RoleAssignment.role, RoleAssignment.created_at)
        )
        return list(rows.all())

    async def people_at_organisation(
        self,
        organisation_id: UUID,
        paging: Paging,
        *,
        q: str | None = None,
        email: str | None = None,
    ) -> Page[OrganisationPerson]:
        """The people holding a role at the organisation or its units, a page at a time, each with
        those roles; `q` looks in names and e-mails, `email` finds one address exactly. For the
        organisation's administrators only: e-mail addresses are not for every colleague's eyes."""
        await require_organisation_admin(self.session, self.principal, organisation_id)
        holders = select(RoleAssignment.user_id).where(RoleAssignment.organisation_id == organisation_id)
        people = select(User).where(User.id.in_(holders))
        if email:
            people = people.where(func.lower(User.email) == email.strip().lower())
        if q:
            pattern = f"%{escape_like(q.strip())}%"
            people = people.where(
                or_(User.full_name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
            )
        users, total = await paged(
            self.session,
            people.order_by(func.lower(func.coalesce(User.full_name, User.email, "")), User.id),
            paging,
        )
        roles: dict[UUID, list[RoleAssignmentRead]] = {u.id: [] for u in users}
        if users:
            rows = await self.session.scalars(
                select(RoleAssignment)
                .where(RoleAssignment.organisation_id == organisation_id, RoleAssignment.user_id.in_(roles))
                .order_by(RoleAssignment.role, RoleAssignment.created_at)
            )
            for a in rows:
                roles[a.user_id].append(to_read(a))
        items = [
            OrganisationPerson(u.id, u.email, u.full_name, u.is_active, u.last_sign_in_at, roles[u.id]) for u in users
        ]
        return Page.of(items, total, paging)
