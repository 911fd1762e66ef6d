"""The sign-in flow: the authorization request out, the callback in, a user at the end.

The authorization request's `state`, `nonce` and PKCE verifier are kept in the session store under
the state, bound to the browser by the hash of a short-lived cookie and to the provider whose
redirect URI the response must come back to. The callback consumes the state at once, so a
response (or its code) cannot be played twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec
from litestar.stores.base import Store

from api.domain.accounts.models import User
from api.identity.accounts import AccountService, Identity
from api.identity.crypto import new_token, token_hash
from api.identity.oidc import LoginError, OidcClient, ProviderConfig, new_pkce_verifier
from api.identity.providers import ProviderService, redirect_uri
from api.settings import Settings

LOGIN_STATE_TTL_S = 600
_TOKEN_ONLY_CLAIMS = frozenset({"iss", "sub", "aud", "azp", "exp", "iat", "nonce", "auth_time"})


class LoginState(msgspec.Struct):
    provider_id: str
    browser: str  # SHA-256 of the login cookie's token
    nonce: str
    code_verifier: str
    redirect_uri: str
    return_to: str
    invitation: str | None
    created_at: float


@dataclass(frozen=True)
class SignedIn:
    user: User
    provider: ProviderConfig
    id_token: str
    return_to: str


def safe_return_to(value: str | None) -> str:
    """Only a path on this site: never another host (`//evil`, `/\\evil`, `https://…`)."""
    if not value or not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return "/"
    if any(ch in value for ch in "\r\n\t"):
        return "/"
    return value[:500]


def _state_key(state: str) -> str:
    return f"oidc-state:{token_hash(state)}"


class LoginFlow:
    def __init__(
        self, store: Store, settings: Settings, oidc: OidcClient, providers: ProviderService, accounts: AccountService
    ) -> None:
        self.store = store
        self.settings = settings
        self.oidc = oidc
        self.providers = providers
        self.accounts = accounts

    async def start(
        self,
        provider_id: str,
        *,
        browser_token: str,
        return_to: str | None,
        invitation: str | None,
        login_hint: str | None,
    ) -> str:
        """Returns the provider's authorization URL for this browser."""
        provider = await self.providers.resolve(provider_id)
        meta = await self.oidc.metadata(provider.issuer)
        state, nonce, verifier = new_token(), new_token(), new_pkce_verifier()
        callback = redirect_uri(self.settings, provider.id)
        login = LoginState(
            provider_id=provider.id,
            browser=token_hash(browser_token),
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=callback,
            return_to=safe_return_to(return_to),
            invitation=invitation or None,
            created_at=time.time(),
        )
        await self.store.set(_state_key(state), msgspec.json.encode(login), expires_in=LOGIN_STATE_TTL_S)
        hint = login_hint.strip()[:320] if login_hint and "@" in login_hint else None
        return self.oidc.authorization_url(
            meta, provider, redirect_uri=callback, state=state, nonce=nonce, code_verifier=verifier, login_hint=hint
        )

    async def _consume_state(self, state: str | None) -> LoginState | None:
        if not state:
            return None
        key = _state_key(state)
        raw = await self.store.get(key)
        if raw is None:
            return None
        await self.store.delete(key)
        return msgspec.json.decode(raw, type=LoginState)

    async def finish(self, provider_id: str, params: dict[str, str], browser_token: str | None) -> SignedIn:
        login = await self._consume_state(params.get("state"))
        if params.get("error"):
            detail = params.get("error_description") or params["error"]
            raise LoginError("provider_error", f"The identity provider ended the sign-in: {detail}.")
        if login is None:
            raise LoginError(
                "state_mismatch",
                "This sign-in response does not match a sign-in started here, or it has expired. Please start again.",
            )
        if not browser_token or token_hash(browser_token) != login.browser:
            raise LoginError(
                "state_mismatch", "This sign-in response was started in another browser. Please start again."
            )
        if login.provider_id != provider_id:
            raise LoginError(
                "provider_mismatch",
                "The sign-in response came back from a different sign-in service than the one it was sent to.",
            )
        if time.time() - login.created_at > LOGIN_STATE_TTL_S:
            raise LoginError("state_mismatch", "The sign-in took too long. Please start again.")

        provider = await self.providers.resolve(provider_id)
        meta = await self.oidc.metadata(provider.issuer)
        iss = params.get("iss")
        if iss is not None and iss != provider.issuer:
            raise LoginError("issuer_mismatch", "The sign-in response names a different identity provider (iss).")
        if iss is None and meta.iss_parameter_supported:
            raise LoginError(
                "issuer_mismatch",
                "The identity provider always names itself in its responses, but this one does not (iss).",
            )
        code = params.get("code")
        if not code:
            raise LoginError("code_missing", "The sign-in response carries no authorization code.")

        tokens = await self.oidc.exchange_code(
            meta, provider, code=code, redirect_uri=login.redirect_uri, code_verifier=login.code_verifier
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise LoginError("no_id_token", "The identity provider returned no ID token.")
        access_token = tokens.get("access_token") if isinstance(tokens.get("access_token"), str) else None
        claims = await self.oidc.validate_id_token(
            meta, provider, id_token, nonce=login.nonce, access_token=access_token
        )
        if provider.use_userinfo and access_token and meta.userinfo_endpoint:
            info = await self.oidc.userinfo(meta, access_token, claims["sub"])
            # The ID token is authoritative for who; userinfo fills in e-mail and name.
            claims = {**claims, **{k: v for k, v in info.items() if k not in _TOKEN_ONLY_CLAIMS}}
        identity = Identity.from_claims(provider.issuer, claims)
        user = await self.accounts.sign_in(provider, identity, login.invitation)
        return SignedIn(user=user, provider=provider, id_token=id_token, return_to=login.return_to)
