"""Access requests: a signed-in person asks for a role at an organisation or a territory, and the
administrators whose reach covers that place see and answer it.

- Anyone signed in may ask (a person holding no role yet is the usual case); at most
  `MAX_PENDING` requests wait at once per person, one per place.
- The answer is a person's: an administrator whose reach covers the place (the organisation's
  admin, the regional admin above it, a national admin) approves with a role — granted under the
  same rules as any role (api.identity.grants) — or declines with a note. Nobody answers their own.
- Approving also marks as accepted the pending invitations for the person's address at that place
  and role: that is how an administrator confirms an invitation whose address the person's sign-in
  service did not vouch for (no `email_verified: true`), which therefore did not bind by itself.
- Every step is written to the identity audit log (api.identity.audit).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.clock import utc_now
from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory
from api.errors import Conflict, DomainError, NotFound
from api.identity import audit
from api.identity.access_request_schemas import (
    AccessRequestAnswer,
    AccessRequestCreate,
    AccessRequestRead,
    InvitationMatch,
)
from api.identity.grants import ADMIN_ROLES, Node, check_level, check_may_grant, check_not_self, parse_role
from api.identity.invitations import status_of
from api.identity.models import AccessRequest, Invitation
from api.identity.reach import TERRITORY_LEVELS, Reach, reach_of, satisfies
from api.responses import response_of
from api.roles import NodeLevel

MAX_PENDING = 5


def _snapshot(row: AccessRequest) -> dict[str, object]:
    return {
        "user_id": row.user_id,
        "organisation_id": row.organisation_id,
        "territory_id": row.territory_id,
        "role": row.role,
        "status": row.status,
        "granted_role": row.granted_role,
        "answer_note": row.answer_note,
    }


class AccessRequestService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    # --- the person asking --------------------------------------------------------------------

    async def create(self, data: AccessRequestCreate) -> AccessRequest:
        user_id = self.principal.user_id
        assert user_id is not None  # the route is for people only
        node = await self._place(data)
        role = None
        if data.role:
            parsed = parse_role(data.role)
            check_level(parsed, node)
            role = parsed.value
        message = " ".join((data.message or "").split()) or None
        pending = list(
            (
                await self.session.scalars(
                    select(AccessRequest).where(AccessRequest.user_id == user_id, AccessRequest.status == "pending")
                )
            ).all()
        )
        if any(r.organisation_id == _org_id(node) and r.territory_id == _territory_id(node) for r in pending):
            raise Conflict(
                "You have asked for access here already; wait for the answer or withdraw that request.",
                field="organisation",
            )
        if len(pending) >= MAX_PENDING:
            raise Conflict(
                "Too many of your requests are waiting; wait for an answer or withdraw one.", field="organisation"
            )
        row = AccessRequest(
            user_id=user_id,
            organisation_id=_org_id(node),
            territory_id=_territory_id(node),
            role=role,
            message=message,
            status="pending",
        )
        self.session.add(row)
        await self.session.flush()
        await audit.record(
            self.session,
            self.principal,
            action="access_request.create",
            entity="access_request",
            entity_id=row.id,
            after=_snapshot(row),
            subject_user_id=user_id,
        )
        return row

    async def mine(self) -> list[AccessRequest]:
        rows = await self.session.scalars(
            select(AccessRequest)
            .where(AccessRequest.user_id == self.principal.user_id)
            .order_by(AccessRequest.created_at.desc())
        )
        return list(rows.all())

    async def withdraw(self, request_id: UUID) -> AccessRequest:
        row = await self.session.get(AccessRequest, request_id)
        if row is None or row.user_id != self.principal.user_id:
            raise NotFound("No such access request of yours.", field="request_id")
        if row.status != "pending":
            raise Conflict("This request has been answered or withdrawn already.", field="request_id")
        before = _snapshot(row)
        row.status = "withdrawn"
        await self.session.flush()
        await audit.record(
            self.session,
            self.principal,
            action="access_request.withdraw",
            entity="access_request",
            entity_id=row.id,
            before=before,
            after=_snapshot(row),
            subject_user_id=row.user_id,
        )
        return row

    # --- the administrators answering ---------------------------------------------------------

    async def for_admins(self, status: str = "pending") -> list[AccessRequest]:
        """The requests at places the caller administers (their organisation, their region, …)."""
        rows = list(
            (
                await self.session.scalars(
                    select(AccessRequest).where(AccessRequest.status == status).order_by(AccessRequest.created_at)
                )
            ).all()
        )
        if not rows:
            return []
        placed = await self._organisation_territories(rows)
        reach = await reach_of(
            self.session, self.principal, must_know=[*placed.values(), *(r.territory_id for r in rows)]
        )
        return [r for r in rows if _admin_grants(reach, r, placed.get(r.organisation_id))]

    async def answer(self, request_id: UUID, data: AccessRequestAnswer) -> AccessRequest:
        row = await self.session.get(AccessRequest, request_id, with_for_update=True)
        if row is None:
            raise NotFound("No such access request.", field="request_id")
        node = await self._node_of(row)
        reach = await reach_of(self.session, self.principal, must_know=[_territory_of(node)])
        covering = _admin_grants(reach, row, node.organisation.territory_id if node.organisation else None)
        if not covering:
            # Outside the caller's administration: it does not exist for them.
            raise NotFound("No such access request.", field="request_id")
        check_not_self(self.principal, row.user_id)
        if row.status != "pending":
            raise Conflict("This request has been answered or withdrawn already.", field="request_id")
        before = _snapshot(row)
        note = " ".join((data.note or "").split()) or None
        if data.decision == "approve":
            if not data.role:
                raise DomainError("Choose the role to grant.", field="role")
            role = parse_role(data.role)
            if data.unit_id is not None:
                if node.organisation is None:
                    raise DomainError(
                        "A unit belongs to an organisation; this request is for a territory.", field="unit_id"
                    )
                node = Node(NodeLevel.UNIT, organisation=node.organisation, unit_id=data.unit_id)
            await check_may_grant(self.session, self.principal, role, node)
            assignment = await self._grant(row.user_id, node, role.value)
            confirmed = await self._confirm_invitations(row.user_id, node, role.value)
            row.status, row.granted_role = "approved", role.value
            await audit.record(
                self.session,
                self.principal,
                action="role.grant",
                entity="role_assignment",
                entity_id=assignment.id,
                subject_user_id=row.user_id,
                after={
                    "user_id": row.user_id,
                    "role": role.value,
                    "territory_id": assignment.territory_id,
                    "organisation_id": assignment.organisation_id,
                    "unit_id": assignment.unit_id,
                    "access_request_id": row.id,
                    "confirmed_invitations": confirmed,
                },
            )
        else:
            row.status = "declined"
        row.answered_by, row.answered_at, row.answer_note = self.principal.user_id, utc_now(), note
        await self.session.flush()
        await audit.record(
            self.session,
            self.principal,
            action=f"access_request.{data.decision}",
            entity="access_request",
            entity_id=row.id,
            before=before,
            after=_snapshot(row),
            subject_user_id=row.user_id,
        )
        return row

    # --- reading --------------------------------------------------------------------------------

    async def to_read(self, rows: list[AccessRequest]) -> list[AccessRequestRead]:
        users = {u.id: u for u in await self._load(User, {r.user_id for r in rows})}
        orgs = {o.id: o for o in await self._load(Organisation, {r.organisation_id for r in rows if r.organisation_id})}
        places = {t.id: t for t in await self._load(Territory, {r.territory_id for r in rows if r.territory_id})}
        out = []
        for r in rows:
            user = users[r.user_id]
            place: Organisation | Territory = orgs[r.organisation_id] if r.organisation_id else places[r.territory_id]  # type: ignore[index]
            matches = await self._matching_invitations(user, r) if r.status == "pending" else []
            out.append(
                response_of(
                    AccessRequestRead,
                    r,
                    full_name=user.full_name,
                    email=user.email,
                    email_verified=user.email_verified,
                    place_level=NodeLevel.ORGANISATION.value
                    if r.organisation_id
                    else TERRITORY_LEVELS[place.kind].value,  # type: ignore[union-attr]
                    place_name_kk=place.name_kk,
                    place_name_ru=place.name_ru,
                    place_name_en=place.name_en,
                    matching_invitations=matches,
                )
            )
        return out

    async def _matching_invitations(self, user: User, row: AccessRequest) -> list[InvitationMatch]:
        if not user.email:
            return []
        found = await self.session.scalars(
            select(Invitation)
            .where(
                func.lower(Invitation.email) == user.email.lower(),
                Invitation.organisation_id.is_not_distinct_from(row.organisation_id),
                Invitation.territory_id.is_not_distinct_from(row.territory_id),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utc_now(),
            )
            .order_by(Invitation.created_at)
        )
        return [InvitationMatch(i.id, i.role, i.unit_id) for i in found.all()]

    # --- helpers ----------------------------------------------------------------------------------

    async def _load(self, model: type, ids: set[UUID]) -> list:  # type: ignore[type-arg]
        if not ids:
            return []
        return list((await self.session.scalars(select(model).where(model.id.in_(ids)))).all())  # type: ignore[attr-defined]

    async def _place(self, data: AccessRequestCreate) -> Node:
        if (data.organisation is None) == (data.territory_id is None):
            raise DomainError(
                "Name exactly one place: your organisation (its BIN) or a territory.", field="organisation"
            )
        if data.territory_id is not None:
            territory = await self.session.get(Territory, data.territory_id)
            if territory is None:
                raise NotFound("Territory not found.", field="territory_id")
            return Node(TERRITORY_LEVELS[territory.kind], territory=territory)
        key = "".join(data.organisation.split()) if data.organisation else ""
        org = None
        try:
            org = await self.session.get(Organisation, UUID(key))
        except ValueError:
            if key.isdigit() and len(key) == 12:
                org = await self.session.scalar(select(Organisation).where(Organisation.bin == key))
        if org is None or org.status == "archived":
            raise NotFound("No organisation with this identifier or BIN.", field="organisation")
        return Node(NodeLevel.ORGANISATION, organisation=org)

    async def _node_of(self, row: AccessRequest) -> Node:
        if row.organisation_id is not None:
            org = await self.session.get(Organisation, row.organisation_id)
            assert org is not None
            return Node(NodeLevel.ORGANISATION, organisation=org)
        territory = await self.session.get(Territory, row.territory_id)
        assert territory is not None
        return Node(TERRITORY_LEVELS[territory.kind], territory=territory)

    async def _organisation_territories(self, rows: list[AccessRequest]) -> dict[UUID | None, UUID]:
        ids = {r.organisation_id for r in rows if r.organisation_id}
        if not ids:
            return {}
        found = await self.session.execute(
            select(Organisation.id, Organisation.territory_id).where(Organisation.id.in_(ids))
        )
        return {r[0]: r[1] for r in found}

    async def _grant(self, user_id: UUID, node: Node, role: str) -> RoleAssignment:
        grant = node.grant(role)
        existing = await self.session.scalar(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user_id,
                RoleAssignment.role == role,
                RoleAssignment.territory_id.is_not_distinct_from(grant.territory_id),
                RoleAssignment.organisation_id.is_not_distinct_from(grant.organisation_id),
                RoleAssignment.unit_id.is_not_distinct_from(grant.unit_id),
            )
        )
        if existing is not None:
            return existing
        assignment = RoleAssignment(
            user_id=user_id,
            role=role,
            territory_id=grant.territory_id,
            organisation_id=grant.organisation_id,
            unit_id=grant.unit_id,
            granted_by=self.principal.user_id,
        )
        self.session.add(assignment)
        await self.session.flush()
        return assignment

    async def _confirm_invitations(self, user_id: UUID, node: Node, role: str) -> list[str]:
        """The administrator vouches for the person: their pending invitations for this role here
        are accepted, as the invitation link would have done."""
        user = await self.session.get(User, user_id)
        if user is None or not user.email:
            return []
        grant = node.grant(role)
        rows = await self.session.scalars(
            select(Invitation).where(
                func.lower(Invitation.email) == user.email.lower(),
                Invitation.role == role,
                Invitation.organisation_id.is_not_distinct_from(grant.organisation_id),
                Invitation.territory_id.is_not_distinct_from(grant.territory_id),
                Invitation.unit_id.is_not_distinct_from(grant.unit_id),
            )
        )
        confirmed = []
        for invitation in rows.all():
            if status_of(invitation) == "pending":
                invitation.accepted_at, invitation.accepted_by = utc_now(), user_id
                confirmed.append(str(invitation.id))
        await self.session.flush()
        return confirmed


def _org_id(node: Node) -> UUID | None:
    return node.organisation.id if node.organisation else None


def _territory_id(node: Node) -> UUID | None:
    return node.territory.id if node.territory else None


def _territory_of(node: Node) -> UUID | None:
    return node.organisation.territory_id if node.organisation else _territory_id(node)


def _admin_grants(reach: Reach, row: AccessRequest, org_territory: UUID | None) -> list[object]:
    if row.organisation_id is not None:
        covering = reach.grants_for_organisation(row.organisation_id, org_territory)
    else:
        assert row.territory_id is not None
        covering = reach.grants_for_territory(row.territory_id)
    return [g for g in covering if satisfies(g.role, ADMIN_ROLES)]
