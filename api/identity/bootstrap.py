"""The first administrator of a deployment, from the command line (`metodist admin grant`).

Once an OpenID provider is configured the development sign-in is off, and every role is granted
by somebody who holds one; this is where the first one comes from. Whoever can run the command
can reach the database anyway, so it needs no signature; it is written to the identity audit log
with the operating-system user who ran it.

- A person already known by a *confirmed* address (their provider said `email_verified: true`) —
  exactly one account — gets the role at once.
- Anyone else is invited: the command prints the invitation link (and mails it when SMTP is
  configured); the role binds when they sign in through the link, or with a provider that vouches
  for the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory
from api.errors import DomainError, NotFound
from api.identity import audit
from api.identity.grants import Node, check_level, parse_role
from api.identity.invitations import InvitationService, invitation_link
from api.identity.reach import TERRITORY_LEVELS
from api.roles import NodeLevel
from api.settings import Settings

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Outcome:
    kind: Literal["granted", "held", "invited"]
    place: str
    user_id: UUID | None = None
    invitation_id: UUID | None = None
    link: str | None = None


async def find_node(session: AsyncSession, at: str) -> Node:
    """A territory by its slug (`kz` or `republic`, `karaganda`, …) or id, or an organisation by BIN or id."""
    key = at.strip()
    if key.isdigit() and len(key) == 12:
        org = await session.scalar(select(Organisation).where(Organisation.bin == key))
        if org is not None:
            return Node(NodeLevel.ORGANISATION, organisation=org)
    try:
        as_id = UUID(key)
    except ValueError:
        as_id = None
    if as_id is not None:
        org = await session.get(Organisation, as_id)
        if org is not None:
            return Node(NodeLevel.ORGANISATION, organisation=org)
        territory = await session.get(Territory, as_id)
    elif key.lower() == "republic":  # the word people use; its slug is `kz`
        territory = await session.scalar(select(Territory).where(Territory.kind == "republic"))
    else:
        territory = await session.scalar(select(Territory).where(Territory.slug == key.lower()))
    if territory is None:
        # Said on the command line only, in English (no catalogue entry).
        message = (
            f"Nothing is called {at!r}: give a territory's slug (republic, a region such as karaganda, "
            "a district) or an organisation's BIN."
        )
        raise NotFound(message, field="at")
    return Node(TERRITORY_LEVELS[territory.kind], territory=territory)


def _place(node: Node) -> str:
    if node.organisation is not None:
        return f"{node.organisation.name_ru} (BIN {node.organisation.bin})"
    assert node.territory is not None
    return f"{node.territory.name_en} ({node.territory.slug})"


async def grant_from_command(
    session: AsyncSession, settings: Settings, *, email: str, role: str, at: str, os_user: str
) -> tuple[Outcome, str | None]:
    """Grants or invites; returns the outcome and, for an invitation, the link's token. Nothing is
    written when the input is refused (the caller's transaction is rolled back)."""
    address = email.strip().lower()
    if not EMAIL.match(address) or len(address) > 320:
        raise DomainError(f"{email!r} is not an e-mail address.", field="email")
    parsed = parse_role(role.strip())
    node = await find_node(session, at)
    check_level(parsed, node)
    grant = node.grant(parsed.value)
    place = _place(node)
    actor = {"via": "command line", "os_user": os_user}

    people = list(
        (
            await session.scalars(
                select(User).where(
                    func.lower(User.email) == address, User.email_verified.is_(True), User.is_active.is_(True)
                )
            )
        ).all()
    )
    if len(people) == 1:
        user = people[0]
        held = await session.scalar(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id,
                RoleAssignment.role == parsed.value,
                RoleAssignment.territory_id.is_not_distinct_from(grant.territory_id),
                RoleAssignment.organisation_id.is_not_distinct_from(grant.organisation_id),
            )
        )
        if held is not None:
            return Outcome("held", place, user_id=user.id), None
        assignment = RoleAssignment(
            user_id=user.id,
            role=parsed.value,
            territory_id=grant.territory_id,
            organisation_id=grant.organisation_id,
        )
        session.add(assignment)
        await session.flush()
        await audit.record(
            session,
            None,
            actor_kind="command",
            action="role.grant",
            entity="role_assignment",
            entity_id=assignment.id,
            subject_user_id=user.id,
            after={
                "user_id": user.id,
                "email": address,
                "role": parsed.value,
                "territory_id": grant.territory_id,
                "organisation_id": grant.organisation_id,
                **actor,
            },
        )
        return Outcome("granted", place, user_id=user.id), None

    invitations = InvitationService(session, settings)
    row, token = await invitations.offer(
        address, parsed, organisation_id=grant.organisation_id, territory_id=grant.territory_id
    )
    await audit.record(
        session,
        None,
        actor_kind="command",
        action="invitation.create",
        entity="invitation",
        entity_id=row.id,
        after={
            "email": address,
            "role": parsed.value,
            "territory_id": grant.territory_id,
            "organisation_id": grant.organisation_id,
            "expires_at": row.expires_at,
            **actor,
        },
    )
    return Outcome("invited", place, invitation_id=row.id, link=invitation_link(settings, token)), token
