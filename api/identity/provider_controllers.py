"""HTTP of an organisation's sign-in services (identity providers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access
from api.i18n import N_
from api.identity.authz import current_principal, require_organisation_admin
from api.identity.providers import ProviderService
from api.identity.schemas import IdentityProviderCreate, IdentityProviderRead, IdentityProviderUpdate
from api.roles import Role

# API tokens cannot manage sign-in services: they decide who can sign in at all, which stays with
# a person who signs in (docs/operations.md, "API tokens").
PROVIDER_ADMIN = access(
    Scope.TENANT,
    Role.ORGANISATION_ADMIN,
    person_only=N_("API tokens cannot manage sign-in services; an administrator signs in to do it."),
)


class IdentityProviderController(Controller):
    """An organisation's own sign-in services (its SSO)."""

    path = "/api/organisations/{organisation_id:uuid}/identity-providers"
    tags = ["identity"]

    @get("/", name="identity-providers:list", operation_id="ListIdentityProviders", opt=PROVIDER_ADMIN)
    async def list_providers(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        identity_providers: NamedDependency[ProviderService],
        organisation_id: FromPath[UUID],
    ) -> list[IdentityProviderRead]:
        await require_organisation_admin(session, await current_principal(request), organisation_id)
        return [identity_providers.to_read(row) for row in await identity_providers.list_for(organisation_id)]

    @post(
        "/",
        name="identity-providers:create",
        operation_id="CreateIdentityProvider",
        opt=PROVIDER_ADMIN,
        status_code=201,
    )
    async def create_provider(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        identity_providers: NamedDependency[ProviderService],
        organisation_id: FromPath[UUID],
        data: JSONBody[IdentityProviderCreate],
    ) -> IdentityProviderRead:
        """Reads the issuer's discovery document first; the client secret is stored encrypted and
        never returned. Register the answer's `redirect_uri` at the provider."""
        principal = await current_principal(request)
        org = await require_organisation_admin(session, principal, organisation_id)
        row = await identity_providers.create(org.id, data, principal.user_id)
        return identity_providers.to_read(row)

    @get(
        "/{provider_id:uuid}", name="identity-providers:detail", operation_id="GetIdentityProvider", opt=PROVIDER_ADMIN
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        identity_providers: NamedDependency[ProviderService],
        organisation_id: FromPath[UUID],
        provider_id: FromPath[UUID],
    ) -> IdentityProviderRead:
        await require_organisation_admin(session, await current_principal(request), organisation_id)
        return identity_providers.to_read(await identity_providers.get_for(organisation_id, provider_id))

    @patch(
        "/{provider_id:uuid}",
        name="identity-providers:update",
        operation_id="UpdateIdentityProvider",
        opt=PROVIDER_ADMIN,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        identity_providers: NamedDependency[ProviderService],
        organisation_id: FromPath[UUID],
        provider_id: FromPath[UUID],
        data: JSONBody[IdentityProviderUpdate],
    ) -> IdentityProviderRead:
        await require_organisation_admin(session, await current_principal(request), organisation_id)
        row = await identity_providers.get_for(organisation_id, provider_id)
        return identity_providers.to_read(await identity_providers.update(row, data))

    @delete(
        "/{provider_id:uuid}",
        name="identity-providers:deactivate",
        operation_id="DeactivateIdentityProvider",
        opt=PROVIDER_ADMIN,
        status_code=200,
    )
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        identity_providers: NamedDependency[ProviderService],
        organisation_id: FromPath[UUID],
        provider_id: FromPath[UUID],
    ) -> IdentityProviderRead:
        """Switches the provider off (kept for the record; its users' accounts stay)."""
        await require_organisation_admin(session, await current_principal(request), organisation_id)
        row = await identity_providers.get_for(organisation_id, provider_id)
        return identity_providers.to_read(await identity_providers.update(row, IdentityProviderUpdate(is_active=False)))
