"""Dependencies of sign-in, providers, invitations and sessions (merged into api.dependencies)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.identity.accounts import AccountService
from api.identity.domain_controllers import provide_domains
from api.identity.invitations import InvitationService
from api.identity.login import LoginFlow
from api.identity.oidc import OidcClient
from api.identity.providers import ProviderService
from api.identity.sessions import SessionManager


def provide_oidc(state: State) -> OidcClient:
    # One per application: it caches discovery documents and key sets.
    client = state.get("oidc")
    if client is None:
        client = OidcClient(leeway_s=state.settings.oidc_leeway_s)
        state.oidc = client
    return client


def provide_identity_providers(
    state: State, session: NamedDependency[AsyncSession], oidc: NamedDependency[OidcClient]
) -> ProviderService:
    return ProviderService(session, state.settings, oidc)


def provide_invitations(state: State, session: NamedDependency[AsyncSession]) -> InvitationService:
    return InvitationService(session, state.settings)


def provide_session_manager(request: Request[Any, Any, Any]) -> SessionManager:
    # The store registry lives on the application, not in its state.
    return SessionManager.of(request.app)


def provide_login_flow(
    state: State,
    session: NamedDependency[AsyncSession],
    oidc: NamedDependency[OidcClient],
    identity_providers: NamedDependency[ProviderService],
    invitations: NamedDependency[InvitationService],
    session_manager: NamedDependency[SessionManager],
) -> LoginFlow:
    accounts = AccountService(session, invitations, identity_providers)
    return LoginFlow(session_manager.store, state.settings, oidc, identity_providers, accounts)


identity_dependencies = {
    "oidc": Provide(provide_oidc, sync_to_thread=False),
    "identity_providers": Provide(provide_identity_providers, sync_to_thread=False),
    "invitations": Provide(provide_invitations, sync_to_thread=False),
    "domains": Provide(provide_domains, sync_to_thread=False),
    "session_manager": Provide(provide_session_manager, sync_to_thread=False),
    "login_flow": Provide(provide_login_flow, sync_to_thread=False),
}
