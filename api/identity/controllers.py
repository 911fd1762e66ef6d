"""HTTP of signing in and out and of one's own sessions (`/api/auth`). Thin: services decide.

People's sessions as administrators see them, sign-in services and invitations have modules of
their own (session_controllers.py, provider_controllers.py, invitation_controllers.py)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import structlog
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, Parameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access
from api.clock import utc_now
from api.domain.accounts.models import User
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory
from api.errors import NotFound
from api.identity.authz import current_principal, require_signed_in
from api.identity.crypto import new_token, token_hash
from api.identity.dev import DEV_PROVIDER, dev_sign_in_available, dev_user, dev_users, require_dev_sign_in
from api.identity.invitation_controllers import InvitationController
from api.identity.invitations import InvitationService, mask_email, status_of, waiting_invitations
from api.identity.login import LOGIN_STATE_TTL_S, LoginFlow, safe_return_to
from api.identity.models import UserSession
from api.identity.oidc import LoginError, OidcClient
from api.identity.pages import LOGIN_ERROR_PAGES, login_error_page
from api.identity.provider_controllers import IdentityProviderController
from api.identity.providers import PLATFORM_ID, ProviderService, login_url, post_logout_redirect_uri, redirect_uri
from api.identity.schemas import (
    DevSignIn,
    DevUser,
    GrantRead,
    InvitationPreview,
    LogoutResult,
    Me,
    ProviderLookup,
    ProviderOption,
    SessionRead,
    SignInAddresses,
)
from api.identity.session_controllers import UserSessionController, session_read
from api.identity.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SessionManager,
    current_session,
    expired_cookie,
    grants_of,
    session_cookie,
)
from api.responses import response_of
from api.roles import SELF

log = structlog.get_logger()

PUBLIC = access(Scope.PUBLIC)
# About the caller only: open to every signed-in person, one who holds no role yet included, and
# to the read-only roles for changes too (ending one's own session).
ONESELF = access(Scope.SHARED, SELF)


def _login_cookie(state: State, token: str) -> Cookie:
    return Cookie(
        key=LOGIN_COOKIE,
        value=token,
        path="/api/auth",
        httponly=True,
        samesite="lax",
        secure=not state.settings.is_development,
        max_age=LOGIN_STATE_TTL_S,
    )


def _client(request: Request[Any, Any, Any]) -> tuple[str | None, str | None]:
    return request.headers.get("user-agent"), request.client.host if request.client else None


def _grant_reads(grants: Any) -> list[GrantRead]:
    return [response_of(GrantRead, g) for g in grants]


async def _start_session(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    manager: SessionManager,
    user_id: UUID,
    provider: str,
    id_token: str | None,
) -> str:
    """Ends the browser's previous session (no fixation), writes the new one; the caller commits."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await manager.end_by_key(session, token_hash(previous), "replaced")
    user_agent, ip_address = _client(request)
    token, payload = await manager.start(
        session, user_id=user_id, provider=provider, id_token=id_token, user_agent=user_agent, ip_address=ip_address
    )
    await session.commit()
    await manager.activate(token, payload)
    return token


class AuthController(Controller):
    path = "/api/auth"
    tags = ["identity"]

    @get("/providers", name="auth:providers", operation_id="LookUpSignInProviders", opt=PUBLIC)
    async def providers(
        self,
        state: State,
        identity_providers: NamedDependency[ProviderService],
        email: Annotated[str | None, Parameter(query="email", max_length=320)] = None,
        organisation: Annotated[
            str | None, Parameter(query="organisation", max_length=64, description="Organisation id or BIN")
        ] = None,
    ) -> ProviderLookup:
        """Which sign-in services fit an e-mail address (by its domain) or an organisation."""
        dev = await dev_sign_in_available(state.settings, identity_providers)
        return await identity_providers.lookup(email=email, organisation=organisation, dev_sign_in=dev)

    @get(
        "/login",
        name="auth:login",
        operation_id="StartSignIn",
        opt=PUBLIC,
        status_code=302,
        responses=LOGIN_ERROR_PAGES,
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        state: State,
        login_flow: NamedDependency[LoginFlow],
        provider: FromQuery[str],
        return_to: Annotated[str | None, Parameter(query="return_to", max_length=500)] = None,
        invitation: Annotated[str | None, Parameter(query="invitation", max_length=100)] = None,
        login_hint: Annotated[str | None, Parameter(query="login_hint", max_length=320)] = None,
    ) -> Response[Any]:
        """Sends the browser to the provider's sign-in (authorization code, PKCE S256, state, nonce)."""
        browser = request.cookies.get(LOGIN_COOKIE) or new_token()
        try:
            url = await login_flow.start(
                provider, browser_token=browser, return_to=return_to, invitation=invitation, login_hint=login_hint
            )
        except LoginError as error:
            log.info("sign-in not started", code=error.code, provider=provider)
            return login_error_page(request, error)
        return Redirect(
            url, status_code=302, cookies=[_login_cookie(state, browser)], headers={"Cache-Control": "no-store"}
        )

    @get(
        "/callback/{provider_id:str}",
        name="auth:callback",
        operation_id="FinishSignIn",
        opt=PUBLIC,
        status_code=303,
        responses=LOGIN_ERROR_PAGES,
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: NamedDependency[AsyncSession],
        login_flow: NamedDependency[LoginFlow],
        session_manager: NamedDependency[SessionManager],
        provider_id: FromPath[str],
    ) -> Response[Any]:
        """The provider's answer. Every refusal is a page that says why, and no session."""
        params = {key: request.query_params.get(key) for key in request.query_params}
        try:
            signed = await login_flow.finish(provider_id, params, request.cookies.get(LOGIN_COOKIE))
            token = await _start_session(
                request, session, session_manager, signed.user.id, signed.provider.id, signed.id_token
            )
        except LoginError as error:
            await session.rollback()
            log.info("sign-in refused", code=error.code, provider=provider_id, detail=error.message)
            return login_error_page(request, error)
        log.info("signed in", user_id=str(signed.user.id), provider=signed.provider.id)
        # Staff records an import made with this (vouched-for) address are linked to the account.
        from api.domain.onboarding.services import link_staff_on_sign_in

        await link_staff_on_sign_in(state.db, session, signed.user)
        return Redirect(
            signed.return_to,
            status_code=303,
            cookies=[session_cookie(state.settings, token)],
            headers={"Cache-Control": "no-store"},
        )

    @post("/logout", name="auth:logout", operation_id="SignOut", opt=PUBLIC, status_code=200)
    async def logout(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: NamedDependency[AsyncSession],
        session_manager: NamedDependency[SessionManager],
        identity_providers: NamedDependency[ProviderService],
        oidc: NamedDependency[OidcClient],
    ) -> Response[Any]:
        """Ends this browser's session; then the provider's session where it offers an end-session
        endpoint (the answer says where to go: a redirect for forms, `redirect_to` for scripts)."""
        redirect_to = "/sign-in"
        current = await current_session(request)
        if current is not None:
            await session_manager.end_by_key(session, current.key, "signed_out")
            await session.commit()
            if current.payload.provider != DEV_PROVIDER:
                try:
                    provider = await identity_providers.resolve(current.payload.provider)
                    meta = await oidc.metadata(provider.issuer)
                    redirect_to = (
                        oidc.end_session_url(
                            meta,
                            provider,
                            id_token=current.payload.id_token,
                            post_logout_redirect_uri=post_logout_redirect_uri(state.settings),
                        )
                        or redirect_to
                    )
                except LoginError as error:
                    log.info("provider sign-out skipped", code=error.code)
        cookies = [expired_cookie(state.settings, SESSION_COOKIE)]
        if request.headers.get("hx-request"):
            return Response(LogoutResult(redirect_to), cookies=cookies, headers={"HX-Redirect": redirect_to})
        if "text/html" in request.headers.get("accept", ""):
            return Redirect(redirect_to, status_code=303, cookies=cookies)
        return Response(LogoutResult(redirect_to), cookies=cookies)

    @get("/me", name="auth:me", operation_id="WhoAmI", opt=ONESELF)
    async def me(self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]) -> Me:
        principal = await current_principal(request)
        user_id = require_signed_in(principal)
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound("User not found.")
        current = await current_session(request)
        return Me(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            grants=_grant_reads(principal.grants),
            session_id=current.index_id if current else None,
            provider=current.payload.provider if current else None,
            email_verified=user.email_verified,
            waiting_invitations=await waiting_invitations(session, user),
        )

    @get("/sign-in-addresses", name="auth:sign-in-addresses", operation_id="SignInAddresses", opt=PUBLIC)
    async def sign_in_addresses(self, state: State) -> SignInAddresses:
        """The redirect URIs to register at the national SSO and at organisations' providers."""
        settings = state.settings
        return SignInAddresses(
            public_url=settings.public_url.rstrip("/"),
            national_configured=bool(settings.oidc_issuer and settings.oidc_client_id),
            national_name=settings.oidc_name if settings.oidc_issuer else None,
            national_issuer=settings.oidc_issuer,
            national_redirect_uri=redirect_uri(settings, PLATFORM_ID),
            post_logout_redirect_uri=post_logout_redirect_uri(settings),
            organisation_redirect_uri_pattern=redirect_uri(settings, "{provider_id}"),
        )

    @get("/sessions", name="auth:sessions", operation_id="ListMySessions", opt=ONESELF)
    async def my_sessions(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        session_manager: NamedDependency[SessionManager],
    ) -> list[SessionRead]:
        user_id = require_signed_in(await current_principal(request))
        current = await current_session(request)
        rows = await session_manager.live_sessions(session, user_id)
        return [session_read(row, current.index_id if current else None) for row in rows]

    @delete(
        "/sessions/{session_id:uuid}",
        name="auth:revoke-session",
        operation_id="RevokeMySession",
        opt=ONESELF,
        status_code=204,
    )
    async def revoke_my_session(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        session_manager: NamedDependency[SessionManager],
        session_id: FromPath[UUID],
    ) -> None:
        user_id = require_signed_in(await current_principal(request))
        row = await session.get(UserSession, session_id)
        if row is None or row.user_id != user_id:
            raise NotFound("No such session of yours.", field="session_id")
        await session_manager.end(session, row, "revoked")

    @get("/invitations/{token:str}", name="auth:invitation", operation_id="PreviewInvitation", opt=PUBLIC)
    async def invitation(
        self,
        session: NamedDependency[AsyncSession],
        invitations: NamedDependency[InvitationService],
        identity_providers: NamedDependency[ProviderService],
        token: FromPath[str],
    ) -> InvitationPreview:
        """What an invitation link offers, and where its invitee signs in."""
        row = await invitations.by_token(token)
        if row is None:
            raise NotFound("This invitation link is not valid.", field="token")
        org = await session.get(Organisation, row.organisation_id) if row.organisation_id else None
        place = org or (await session.get(Territory, row.territory_id) if row.territory_id else None)
        options: list[ProviderOption] = []
        status = status_of(row)
        if status == "pending":
            lookup = await identity_providers.lookup(
                email=None, organisation=str(org.id) if org else None, dev_sign_in=False
            )
            options = [
                ProviderOption(
                    o.id, o.name, o.kind, o.organisation_id, login_url(o.id, login_hint=row.email, invitation=token)
                )
                for o in lookup.providers
            ]
        return InvitationPreview(
            status=status,
            role=row.role,
            organisation_id=row.organisation_id,
            organisation_name_kk=org.name_kk if org else None,
            organisation_name_ru=org.name_ru if org else None,
            organisation_name_en=org.name_en if org else None,
            email_hint=mask_email(row.email),
            expires_at=row.expires_at,
            providers=options,
            territory_id=row.territory_id,
            place_name_kk=place.name_kk if place else None,
            place_name_ru=place.name_ru if place else None,
            place_name_en=place.name_en if place else None,
        )

    @get("/dev/users", name="auth:dev-users", operation_id="ListDemoUsers", opt=PUBLIC)
    async def list_dev_users(
        self, state: State, session: NamedDependency[AsyncSession], identity_providers: NamedDependency[ProviderService]
    ) -> list[DevUser]:
        """Development only (no provider configured): the demo users one may sign in as."""
        await require_dev_sign_in(state.settings, identity_providers)
        return [
            DevUser(u.id, u.full_name, u.email, _grant_reads(await grants_of(session, u.id)))
            for u in await dev_users(session)
        ]

    @post("/dev/sign-in", name="auth:dev-sign-in", operation_id="DemoSignIn", opt=PUBLIC, status_code=303)
    async def dev_sign_in(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: NamedDependency[AsyncSession],
        session_manager: NamedDependency[SessionManager],
        identity_providers: NamedDependency[ProviderService],
        data: Annotated[DevSignIn, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Development only: signs in as a demo user (a form post from the sign-in page)."""
        await require_dev_sign_in(state.settings, identity_providers)
        user = await dev_user(session, data.user_id)
        user.last_sign_in_at = utc_now()
        token = await _start_session(request, session, session_manager, user.id, DEV_PROVIDER, None)
        return Redirect(
            safe_return_to(data.return_to), status_code=303, cookies=[session_cookie(state.settings, token)]
        )


identity_controllers = [AuthController, UserSessionController, IdentityProviderController, InvitationController]
