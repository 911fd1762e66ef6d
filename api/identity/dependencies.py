"""Dependencies of sign-in, providers, invitations and sessions (merged into api.dependencies)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import principal
from api.identity.access_requests import AccessRequestService
from api.identity.accounts import AccountService
from api.identity.assignments import RoleAssignmentService
from api.identity.domain_controllers import provide_domains
from api.identity.invitations import InvitationService
from api.identity.login import LoginFlow
from api.identity.oidc import OidcClient
from api.identity.providers import ProviderService
from api.identity.sessions import SessionManager
from api.identity.token_service import TokenService


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


# The caller's own services on the control plane: they act within the caller's reach.
def provide_tokens(request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]) -> TokenService:
    return TokenService(session, principal(request))


def provide_role_assignments(
    request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
) -> RoleAssignmentService:
    return RoleAssignmentService(session, principal(request))


def provide_access_requests(
    request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
) -> AccessRequestService:
    return AccessRequestService(session, principal(request))


identity_dependencies = {
    "oidc": Provide(provide_oidc, sync_to_thread=False),
    "identity_providers": Provide(provide_identity_providers, sync_to_thread=False),
    "invitations": Provide(provide_invitations, sync_to_thread=False),
    "domains": Provide(provide_domains, sync_to_thread=False),
    "session_manager": Provide(provide_session_manager, sync_to_thread=False),
    "login_flow": Provide(provide_login_flow, sync_to_thread=False),
    "tokens": Provide(provide_tokens, sync_to_thread=False),
    "role_assignments": Provide(provide_role_assignments, sync_to_thread=False),
    "access_requests": Provide(provide_access_requests, sync_to_thread=False),
}
