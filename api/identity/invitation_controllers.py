"""HTTP of the invitations an organisation's administrator sends."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access
from api.idempotency import SHOWN_ONCE
from api.identity import audit
from api.identity.authz import current_principal, require_organisation_admin
from api.identity.invitations import InvitationService, invitation_link, status_of, to_read
from api.identity.schemas import InvitationCreate, InvitationCreated, InvitationRead
from api.roles import Role

# API tokens may manage invitations (docs/operations.md, "API tokens"): a regional system inviting
# its schools' staff is the case they exist for, and an invitation binds only when the invitee signs in.
ORG_ADMIN = access(Scope.TENANT, Role.ORGANISATION_ADMIN)


class InvitationController(Controller):
    path = "/api/organisations/{organisation_id:uuid}/invitations"
    tags = ["identity"]

    @get("/", name="invitations:list", operation_id="ListInvitations", opt=ORG_ADMIN)
    async def list_invitations(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        invitations: NamedDependency[InvitationService],
        organisation_id: FromPath[UUID],
    ) -> list[InvitationRead]:
        await require_organisation_admin(session, await current_principal(request), organisation_id)
        return [to_read(row) for row in await invitations.list_for(organisation_id)]

    # The link is in the first answer only: a repeat is refused, never replayed (api.idempotency).
    @post(
        "/",
        name="invitations:create",
        operation_id="CreateInvitation",
        opt={**ORG_ADMIN, SHOWN_ONCE: True},
        status_code=201,
    )
    async def create_invitation(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: NamedDependency[AsyncSession],
        invitations: NamedDependency[InvitationService],
        organisation_id: FromPath[UUID],
        data: JSONBody[InvitationCreate],
    ) -> InvitationCreated:
        """Creates the invitation and e-mails its link; the answer shows the link once as well."""
        principal = await current_principal(request)
        org = await require_organisation_admin(session, principal, organisation_id)
        row, token = await invitations.create(org, data, principal.user_id)
        await audit.record(
            session,
            principal,
            action="invitation.create",
            entity="invitation",
            entity_id=row.id,
            after={
                "email": row.email,
                "role": row.role,
                "organisation_id": row.organisation_id,
                "unit_id": row.unit_id,
            },
        )
        await session.commit()
        link = invitation_link(state.settings, token)
        await invitations.deliver(row, org, link)
        return InvitationCreated(invitation=to_read(row), link=link)

    @delete(
        "/{invitation_id:uuid}",
        name="invitations:revoke",
        operation_id="RevokeInvitation",
        opt=ORG_ADMIN,
        status_code=200,
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        invitations: NamedDependency[InvitationService],
        organisation_id: FromPath[UUID],
        invitation_id: FromPath[UUID],
    ) -> InvitationRead:
        principal = await current_principal(request)
        await require_organisation_admin(session, principal, organisation_id)
        row = await invitations.get_for(organisation_id, invitation_id)
        was = status_of(row)
        revoked = await invitations.revoke(row)
        if was == "pending":
            await audit.record(
                session,
                principal,
                action="invitation.revoke",
                entity="invitation",
                entity_id=row.id,
                before={"status": was},
                after={"status": status_of(revoked)},
            )
        return to_read(revoked)
