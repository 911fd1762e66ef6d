"""Managing API tokens: issue (the secret shown once), list and read within reach, revoke.

A token is issued for a role at a node under the same rules as a role assignment
(api.identity.grants): an admin cannot hand a machine more than they could hand a person.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.clock import utc_now
from api.domain.organisations.models import Organisation
from api.errors import Conflict, DomainError, NotFound
from api.identity import audit
from api.identity.grants import ADMIN_ROLES, check_may_grant, parse_role, resolve_node
from api.identity.reach import reach_of
from api.identity.token_schemas import TokenCreate, TokenRead
from api.identity.tokens import MAX_LIFETIME, ApiToken, issue_token
from api.responses import response_of


def status_of(token: ApiToken, moment: datetime.datetime | None = None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= (moment or utc_now()) else "active"


def to_read(token: ApiToken) -> TokenRead:
    return response_of(TokenRead, token, status=status_of(token))


def _audited(token: ApiToken) -> dict[str, object]:
    """The token as the audit log keeps it: everything but the hash of its secret."""
    return {k: v for k, v in audit.snapshot(token).items() if k != "secret_hash"}


class TokenService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def issue(self, data: TokenCreate) -> tuple[ApiToken, str]:
        name = " ".join(data.name.split())
        if not name:
            raise DomainError("Name the token after the system that will use it.", field="name")
        role = parse_role(data.role)
        expires_at = data.expires_at
        if expires_at.tzinfo is None:
            raise DomainError("Give expires_at with a time zone, e.g. 2027-01-31T00:00:00Z.", field="expires_at")
        moment = utc_now()
        if expires_at <= moment:
            raise DomainError("The expiry must be in the future.", field="expires_at")
        if expires_at - moment > MAX_LIFETIME:
            raise DomainError("An API token lives at most a year; choose an earlier expiry.", field="expires_at")
        node = await resolve_node(
            self.session, territory_id=data.territory_id, organisation_id=data.organisation_id, unit_id=data.unit_id
        )
        await check_may_grant(self.session, self.principal, role, node, verb="issue tokens for")
        token, secret = await issue_token(
            self.session,
            name=name,
            grant=node.grant(role.value),
            expires_at=expires_at,
            created_by=self.principal.user_id,
        )
        # A token holds a role: issuing one is a grant, audited with the others (never its secret).
        await audit.record(
            self.session,
            self.principal,
            action="api_token.issue",
            entity="api_token",
            entity_id=token.id,
            after=_audited(token),
        )
        return token, secret

    async def list(self) -> list[ApiToken]:
        reach = await reach_of(self.session, self.principal)
        query = select(ApiToken).order_by(ApiToken.created_at.desc())
        clause = reach.organisation_clause(ADMIN_ROLES)
        if clause is not None:
            territories = {
                t
                for g in self.principal.grants
                if g.territory_id is not None and g.role in ADMIN_ROLES
                for t in reach.tree.descendants(g.territory_id)
            }
            query = query.where(
                or_(
                    ApiToken.territory_id.in_(territories),
                    ApiToken.organisation_id.in_(select(Organisation.id).where(clause)),
                )
            )
        return list((await self.session.scalars(query)).all())

    async def get(self, token_id: UUID) -> ApiToken:
        token = await self.session.get(ApiToken, token_id)
        if token is None or not await self._in_reach(token):
            raise NotFound("API token not found.", field="token_id")
        return token

    async def _in_reach(self, token: ApiToken) -> bool:
        if token.organisation_id is not None:
            org = await self.session.get(Organisation, token.organisation_id)
            if org is None:
                return False
            reach = await reach_of(self.session, self.principal, must_know=[org.territory_id])
            return reach.covers_organisation(org, ADMIN_ROLES)
        assert token.territory_id is not None
        reach = await reach_of(self.session, self.principal, must_know=[token.territory_id])
        return reach.covers_territory(token.territory_id, ADMIN_ROLES)

    async def revoke(self, token_id: UUID) -> ApiToken:
        token = await self.get(token_id)
        node = await resolve_node(
            self.session, territory_id=token.territory_id, organisation_id=token.organisation_id, unit_id=token.unit_id
        )
        await check_may_grant(self.session, self.principal, parse_role(token.role), node, verb="revoke tokens for")
        if token.revoked_at is not None:
            raise Conflict("The API token is already revoked.", field="token_id")
        before = _audited(token)
        token.revoked_at = utc_now()
        token.revoked_by = self.principal.user_id
        await self.session.flush()
        await audit.record(
            self.session,
            self.principal,
            action="api_token.revoke",
            entity="api_token",
            entity_id=token.id,
            before=before,
            after=_audited(token),
        )
        return token
