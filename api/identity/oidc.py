"""The OpenID Connect relying party: discovery, authorization requests, code exchange, ID tokens.

authlib builds the authorization request (PKCE S256) and exchanges the code; the ID token is
verified with joserfc and its claims with authlib's `CodeIDToken`. What is checked, in order:
the header's `alg` is on the allow-list (never `none`, never a shared-secret HMAC), the `kid` is in
the provider's JWKS (refetched once when it is not, so key rotation works), the signature, then
the exact issuer, the audience (our client id; `azp` when there are several), expiry and issue
time with a small leeway, and the nonce bound to the browser's sign-in request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    DecodeError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

ALLOWED_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# An ID token is consumed right after the code exchange; an old one is a replay.
MAX_ID_TOKEN_AGE_S = 600
DISCOVERY_TTL_S = 3600
HTTP_TIMEOUT_S = 10.0


class LoginError(Exception):
    """A sign-in that must not complete. `code` is stable (tests, logs); `message` is for people."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ProviderConfig:
    """One identity provider as the sign-in flow needs it, whether from settings or the database."""

    id: str  # "national" for the platform provider, else the identity_provider row's id
    name: str
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str = "openid email profile"
    use_userinfo: bool = True
    organisation_id: UUID | None = None
    allowed_domains: tuple[str, ...] = ()
    # Of allowed_domains, those the organisation has proved (api.identity.domains): only addresses
    # of these are trusted, and only they make new people members.
    verified_domains: tuple[str, ...] = ()

    @property
    def is_platform(self) -> bool:
        return self.organisation_id is None


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    iss_parameter_supported: bool
    token_endpoint_auth_methods: tuple[str, ...]
    code_challenge_methods: tuple[str, ...]


@dataclass
class _Jwks:
    keys: KeySet
    fetched_at: float


@dataclass
class OidcClient:
    """Process-wide: caches discovery documents and key sets per provider."""

    leeway_s: int = 60
    _metadata: dict[str, tuple[ProviderMetadata, float]] = field(default_factory=dict)
    _jwks: dict[str, _Jwks] = field(default_factory=dict)

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, follow_redirects=False)

    # discovery ---------------------------------------------------------------------------

    async def metadata(self, issuer: str, *, refresh: bool = False) -> ProviderMetadata:
        cached = self._metadata.get(issuer)
        if cached and not refresh and time.monotonic() - cached[1] < DISCOVERY_TTL_S:
            return cached[0]
        meta = await self.discover(issuer)
        self._metadata[issuer] = (meta, time.monotonic())
        return meta

    async def discover(self, issuer: str) -> ProviderMetadata:
        """Reads and checks `{issuer}/.well-known/openid-configuration` (OpenID Discovery 1.0 §4)."""
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            async with self._http() as http:
                response = await http.get(url)
            response.raise_for_status()
            doc = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LoginError(
                "discovery_failed", f"The identity provider's configuration could not be read ({url}).", 502
            ) from exc
        if not isinstance(doc, dict):
            raise LoginError("discovery_failed", "The identity provider's configuration is not a JSON object.", 502)
        if doc.get("issuer") != issuer:
            # A provider whose document names another issuer could mint tokens for it (mix-up).
            raise LoginError(
                "discovery_issuer_mismatch",
                f"The provider's configuration names the issuer {doc.get('issuer')!r}, not {issuer!r}.",
                502,
            )
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
        if missing:
            raise LoginError("discovery_failed", f"The provider's configuration lacks {', '.join(missing)}.", 502)
        methods = tuple(doc.get("code_challenge_methods_supported") or ())
        if methods and "S256" not in methods:
            raise LoginError("discovery_failed", "The provider does not support PKCE with S256.", 502)
        return ProviderMetadata(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            userinfo_endpoint=doc.get("userinfo_endpoint"),
            end_session_endpoint=doc.get("end_session_endpoint"),
            iss_parameter_supported=bool(doc.get("authorization_response_iss_parameter_supported")),
            token_endpoint_auth_methods=tuple(
                doc.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)
            ),
            code_challenge_methods=methods,
        )

    # the authorization request and the code exchange --------------------------------------

    def authorization_url(
        self,
        meta: ProviderMetadata,
        provider: ProviderConfig,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_verifier: str,
        login_hint: str | None = None,
    ) -> str:
        client = AsyncOAuth2Client(
            client_id=provider.client_id, scope=provider.scopes, redirect_uri=redirect_uri, code_challenge_method="S256"
        )
        extra = {"nonce": nonce}
        if login_hint:
            extra["login_hint"] = login_hint
        url, _ = client.create_authorization_url(
            meta.authorization_endpoint, state=state, code_verifier=code_verifier, **extra
        )
        return url

    async def exchange_code(
        self, meta: ProviderMetadata, provider: ProviderConfig, *, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        auth_method = "client_secret_basic"
        if provider.client_secret is None:
            auth_method = "none"
        elif (
            "client_secret_basic" not in meta.token_endpoint_auth_methods
            and "client_secret_post" in meta.token_endpoint_auth_methods
        ):
            auth_method = "client_secret_post"
        async with AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            token_endpoint_auth_method=auth_method,
            redirect_uri=redirect_uri,
            timeout=HTTP_TIMEOUT_S,
        ) as client:
            try:
                token = await client.fetch_token(
                    meta.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    code_verifier=code_verifier,
                )
            except OAuthError as exc:
                raise LoginError(
                    "code_rejected",
                    "The identity provider did not accept the authorization code "
                    f"({exc.error}: {exc.description or 'no description'}). It may have been used already.",
                ) from exc
            except (httpx.HTTPError, ValueError) as exc:
                raise LoginError(
                    "token_endpoint_failed", "The identity provider's token endpoint could not be reached.", 502
                ) from exc
        return dict(token)

    # ID token -------------------------------------------------------------------------------

    async def _key_set(self, jwks_uri: str, *, refresh: bool = False) -> KeySet:
        cached = self._jwks.get(jwks_uri)
        if cached and not refresh:
            return cached.keys
        try:
            async with self._http() as http:
                response = await http.get(jwks_uri)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            raise LoginError("jwks_failed", "The identity provider's signing keys could not be read.", 502) from exc
        self._jwks[jwks_uri] = _Jwks(keys, time.monotonic())
        return keys

    @staticmethod
    def _has_kid(keys: KeySet, kid: str) -> bool:
        return any(key.kid == kid for key in keys.keys)

    async def validate_id_token(
        self,
        meta: ProviderMetadata,
        provider: ProviderConfig,
        id_token: str,
        *,
        nonce: str,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        try:
            header = jws.extract_compact(id_token.encode()).protected
        except (JoseError, ValueError, TypeError) as exc:
            raise LoginError(
                "malformed_id_token", "The identity provider returned an ID token that cannot be read."
            ) from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise LoginError("alg_not_allowed", f"The ID token is signed with {alg!r}, which is not accepted.")
        kid = header.get("kid")
        keys = await self._key_set(meta.jwks_uri)
        if kid is not None and not self._has_kid(keys, kid):
            # The provider may have rotated its keys since we last looked: look once more.
            keys = await self._key_set(meta.jwks_uri, refresh=True)
            if not self._has_kid(keys, kid):
                raise LoginError(
                    "unknown_key", "The ID token is signed with a key the identity provider does not publish."
                )
        try:
            token = jwt.decode(id_token, keys, algorithms=[alg])
        except BadSignatureError as exc:
            raise LoginError(
                "bad_signature", "The ID token's signature does not verify against the identity provider's keys."
            ) from exc
        except (DecodeError, ValueError) as exc:
            raise LoginError(
                "malformed_id_token", "The identity provider returned an ID token that cannot be read."
            ) from exc
        except JoseError as exc:
            raise LoginError("bad_signature", f"The ID token could not be verified ({exc.error}).") from exc

        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "iat": {"essential": True},
                "nonce": {"essential": True},
            },
            params={"nonce": nonce, "client_id": provider.client_id, "access_token": access_token},
        )
        try:
            claims.validate(leeway=self.leeway_s)
        except ExpiredTokenError as exc:
            raise LoginError("token_expired", "The ID token has expired.") from exc
        except ClaimError as exc:
            raise _claim_error(exc, provider) from exc
        if claims["iat"] < time.time() - MAX_ID_TOKEN_AGE_S - self.leeway_s:
            raise LoginError("token_stale", "The ID token was issued too long ago.")
        return dict(claims)

    async def userinfo(self, meta: ProviderMetadata, access_token: str, expected_sub: str) -> dict[str, Any]:
        if not meta.userinfo_endpoint:
            return {}
        try:
            async with self._http() as http:
                response = await http.get(meta.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
            response.raise_for_status()
            info = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LoginError(
                "userinfo_failed", "The identity provider's user information could not be read.", 502
            ) from exc
        if not isinstance(info, dict) or info.get("sub") != expected_sub:
            # OpenID Connect Core §5.3.2: a userinfo answer about someone else must not be used.
            raise LoginError("userinfo_mismatch", "The identity provider's user information is about another person.")
        return info

    def end_session_url(
        self, meta: ProviderMetadata, provider: ProviderConfig, *, id_token: str | None, post_logout_redirect_uri: str
    ) -> str | None:
        if not meta.end_session_endpoint:
            return None
        params = {"client_id": provider.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            params["id_token_hint"] = id_token
        separator = "&" if "?" in meta.end_session_endpoint else "?"
        return meta.end_session_endpoint + separator + urlencode(params)


def _claim_error(exc: ClaimError, provider: ProviderConfig) -> LoginError:
    claim = exc.claim
    if isinstance(exc, MissingClaimError):
        return LoginError("missing_claim", f"The ID token lacks the claim {claim!r}.")
    if claim == "iss":
        return LoginError("wrong_issuer", f"The ID token was issued by someone other than {provider.issuer}.")
    if claim in ("aud", "azp"):
        return LoginError("wrong_audience", "The ID token was issued for another application.")
    if claim == "nonce":
        return LoginError("nonce_mismatch", "The ID token does not belong to this sign-in request (nonce mismatch).")
    if claim in ("iat", "nbf"):
        return LoginError("token_not_yet_valid", "The ID token claims to be issued in the future.")
    return LoginError("invalid_claim", f"The ID token's claim {claim!r} is invalid.")


def new_pkce_verifier() -> str:
    return generate_token(64)
