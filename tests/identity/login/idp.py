"""A second, small OpenID provider of our own, for the token-level refusals.

It is a real HTTP server on 127.0.0.1 (discovery, authorization, token, JWKS and userinfo
endpoints) that signs its ID tokens with joserfc. Unlike a production provider it can be told to
issue a deliberately broken token on the next sign-in (`idp.next_token = Fault.WRONG_NONCE` …),
to rotate its keys, and to vouch for any e-mail address — which is what the relying party must
survive. It checks what a provider checks: exact redirect URIs per client, PKCE S256, one-time
codes, client authentication.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.response import Redirect


class Fault(enum.Enum):
    NONE = "none"
    WRONG_NONCE = "wrong_nonce"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    UNKNOWN_SIGNING_KEY = "unknown_signing_key"  # a published kid, but signed by another key
    ALG_NONE = "alg_none"
    KID_NOT_IN_JWKS = "kid_not_in_jwks"
    ISS_PARAMETER = "iss_parameter"  # the authorization response names another issuer


@dataclass
class Client:
    secret: str
    redirect_uris: list[str]


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    subject: str
    claims: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class LocalIdP:
    port: int
    clients: dict[str, Client] = field(default_factory=dict)
    next_token: Fault = Fault.NONE
    # Who signs in next: the subject and the claims the provider vouches for.
    next_user: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "idp-user",
            "email": "user@idp.test",
            "email_verified": True,
            "name": "IdP User",
        }
    )
    # When set, userinfo answers about this subject instead of the token's (a provider bug to survive).
    userinfo_sub_override: str | None = None
    jwks_fetches: int = 0
    token_requests: int = 0
    _codes: dict[str, Grant] = field(default_factory=dict)
    _published: list[RSAKey] = field(default_factory=list)
    _signing: RSAKey | None = None
    _access: dict[str, Grant] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rotate_keys(keep_old=False)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rotate_keys(self, *, keep_old: bool = True) -> str:
        """A new signing key, published from now on (the old one too while `keep_old`)."""
        key = RSAKey.generate_key(2048, parameters={"kid": f"k-{secrets.token_hex(4)}", "use": "sig", "alg": "RS256"})
        self._published = [key, *self._published] if keep_old else [key]
        self._signing = key
        return key.kid

    def register(self, client_id: str, secret: str, redirect_uris: list[str]) -> None:
        self.clients[client_id] = Client(secret, redirect_uris)

    # --- tokens -----------------------------------------------------------------------------------

    def _id_token(self, grant: Grant) -> str:
        fault, self.next_token = self.next_token, Fault.NONE
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            **{k: v for k, v in grant.claims.items() if k != "sub"},
        }
        assert self._signing is not None
        key, kid = self._signing, self._signing.kid
        if fault is Fault.WRONG_NONCE:
            claims["nonce"] = "a-nonce-from-another-request"
        elif fault is Fault.WRONG_ISSUER:
            claims["iss"] = "http://127.0.0.1:1/not-the-issuer"
        elif fault is Fault.WRONG_AUDIENCE:
            claims["aud"] = "another-application"
        elif fault is Fault.EXPIRED:
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif fault is Fault.UNKNOWN_SIGNING_KEY:
            key = RSAKey.generate_key(2048)  # signs under the published kid: the signature fails
        elif fault is Fault.KID_NOT_IN_JWKS:
            key = RSAKey.generate_key(2048)
            kid = f"unpublished-{secrets.token_hex(4)}"
        elif fault is Fault.ALG_NONE:
            header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key)

    # --- the HTTP application ------------------------------------------------------------------------

    def app(self) -> Litestar:
        idp = self

        @get("/.well-known/openid-configuration", sync_to_thread=False)
        def discovery() -> dict[str, Any]:
            return {
                "issuer": idp.issuer,
                "authorization_endpoint": f"{idp.issuer}/authorize",
                "token_endpoint": f"{idp.issuer}/token",
                "jwks_uri": f"{idp.issuer}/jwks",
                "userinfo_endpoint": f"{idp.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }

        @get("/jwks", sync_to_thread=False)
        def jwks() -> dict[str, Any]:
            idp.jwks_fetches += 1
            return {"keys": [k.as_dict(private=False) for k in idp._published]}

        @get("/authorize", sync_to_thread=False)
        def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
            q = request.query_params
            client = idp.clients.get(q.get("client_id", ""))
            redirect_uri = q.get("redirect_uri", "")
            if client is None or redirect_uri not in client.redirect_uris:
                # Never redirect to an address the client did not register.
                return Response(
                    "<h1>Sign-in refused</h1><p id='error'>invalid_request: redirect_uri is not registered for "
                    "this client</p>",
                    status_code=400,
                    media_type=MediaType.HTML,
                )
            if (
                q.get("code_challenge_method") != "S256"
                or not q.get("code_challenge")
                or q.get("response_type") != "code"
            ):
                return Redirect(
                    f"{redirect_uri}?{urlencode({'error': 'invalid_request', 'state': q.get('state', '')})}"
                )
            code = secrets.token_urlsafe(24)
            user = dict(idp.next_user)
            idp._codes[code] = Grant(
                q["client_id"], redirect_uri, q.get("nonce"), q["code_challenge"], user["sub"], user
            )
            params = {"code": code, "state": q.get("state", "")}
            if idp.next_token is Fault.ISS_PARAMETER:
                idp.next_token = Fault.NONE
                params["iss"] = "http://127.0.0.1:1/another-provider"
            return Redirect(f"{redirect_uri}?{urlencode(params)}")

        @post("/token", status_code=200)
        async def token(request: Request[Any, Any, Any]) -> Response[Any]:
            idp.token_requests += 1
            form = await request.form()
            client_id, secret = form.get("client_id"), form.get("client_secret")
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("basic "):
                from urllib.parse import unquote

                decoded = base64.b64decode(auth[6:]).decode()
                client_id, _, secret = decoded.partition(":")
                client_id, secret = unquote(client_id), unquote(secret)
            client = idp.clients.get(client_id or "")
            if client is None or not secrets.compare_digest(client.secret, secret or ""):
                return Response({"error": "invalid_client"}, status_code=401)
            grant = idp._codes.pop(form.get("code", ""), None)  # one use only
            if grant is None or grant.client_id != client_id:
                return Response(
                    {"error": "invalid_grant", "error_description": "unknown or used code"}, status_code=400
                )
            if form.get("redirect_uri") != grant.redirect_uri:
                return Response(
                    {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}, status_code=400
                )
            verifier = form.get("code_verifier") or ""
            if _b64(hashlib.sha256(verifier.encode()).digest()) != grant.code_challenge:
                return Response(
                    {"error": "invalid_grant", "error_description": "PKCE verification failed"}, status_code=400
                )
            access_token = "at-" + secrets.token_urlsafe(16)
            idp._access[access_token] = grant
            return Response(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": idp._id_token(grant),
                }
            )

        @get("/userinfo", sync_to_thread=False)
        def userinfo(request: Request[Any, Any, Any]) -> Response[Any]:
            auth = request.headers.get("authorization", "")
            grant = idp._access.get(auth[7:]) if auth.startswith("Bearer ") else None
            if grant is None:
                return Response({"error": "invalid_token"}, status_code=401)
            subject = idp.userinfo_sub_override or grant.subject
            return Response({"sub": subject, **{k: v for k, v in grant.claims.items() if k != "sub"}})

        opt = {"scope": "public", "role": None}
        return Litestar(route_handlers=[discovery, jwks, authorize, token, userinfo], opt=opt)


def server(app: Any, port: int, **ssl: Any) -> uvicorn.Server:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **ssl)
    return uvicorn.Server(config)
