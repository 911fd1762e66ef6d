from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.access import Scope, access
from api.i18n import N_
from api.idempotency import SHOWN_ONCE
from api.identity.ratelimit import rate_limit
from api.identity.token_schemas import TokenCreate, TokenIssued, TokenRead
from api.identity.token_service import TokenService, to_read
from api.roles import Role

TOKEN_ADMINS = (Role.NATIONAL_ADMIN, Role.REGIONAL_ADMIN, Role.ORGANISATION_ADMIN)
# A token never mints, lists or revokes tokens: a leaked one could otherwise outlive its own expiry.
TOKEN_ADMIN = access(
    Scope.SHARED,
    TOKEN_ADMINS,
    person_only=N_("API tokens cannot issue, list or revoke API tokens; an administrator signs in to do it."),
)


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["api tokens"]

    @post(
        "/",
        name="tokens:create",
        operation_id="CreateApiToken",
        status_code=201,
        # The secret is in the first answer only: a repeat is refused, never replayed (api.idempotency).
        opt={**TOKEN_ADMIN, **rate_limit("token"), SHOWN_ONCE: True},
    )
    async def create(self, tokens: NamedDependency[TokenService], data: JSONBody[TokenCreate]) -> TokenIssued:
        """Issues a token for a machine client. The secret is in this answer only: store it now."""
        token, secret = await tokens.issue(data)
        return TokenIssued(to_read(token), secret)

    @get("/", name="tokens:list", operation_id="ListApiTokens", opt=TOKEN_ADMIN)
    async def list_tokens(
        self,
        tokens: NamedDependency[TokenService],
    ) -> list[TokenRead]:
        """The tokens at nodes within the caller's reach; never their secrets."""
        return [to_read(t) for t in await tokens.list()]

    @get("/{token_id:uuid}", name="tokens:detail", operation_id="GetApiToken", opt=TOKEN_ADMIN)
    async def detail(self, tokens: NamedDependency[TokenService], token_id: FromPath[UUID]) -> TokenRead:
        return to_read(await tokens.get(token_id))

    @post(
        "/{token_id:uuid}/revoke",
        name="tokens:revoke",
        operation_id="RevokeApiToken",
        status_code=200,
        opt={**TOKEN_ADMIN, **rate_limit("token")},
    )
    async def revoke(
        self, tokens: NamedDependency[TokenService], request: Request[Any, Any, Any], token_id: FromPath[UUID]
    ) -> TokenRead:
        """Revokes the token at once: its next request is refused."""
        return to_read(await tokens.revoke(token_id))
