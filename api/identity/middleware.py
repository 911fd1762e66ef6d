"""Authentication: who is calling, put in the ASGI scope as an `api.access.Principal`.

First an `Authorization: Bearer <token>` API token; else the browser session
(`api.identity.sessions.principal_from_session`). A presented credential that cannot be used —
unknown, revoked, expired token; revoked or timed-out session — leaves the caller anonymous with
the reason, which the guard reports in its 401. A bearer credential that fails never falls back
to the session cookie: the caller asked to be that token.

Two refusals happen here, before any handler: a session-authenticated state-changing request
from another site (see api.identity.csrf), and bearer requests from an address that sent too
many invalid tokens (see api.identity.ratelimit).
"""

from __future__ import annotations

import inspect
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from api.access import ANONYMOUS, IN_TRANSACTION, PRINCIPAL_KEY, Principal
from api.access import Scope as AccessScope
from api.db import REQUEST_CONNECTION_KEY, RequestConnection, request_connection
from api.identity.csrf import CROSS_SITE_MESSAGE, same_site_request
from api.identity.guards import SAFE_METHODS
from api.identity.ratelimit import POLICIES, client_address, limits_counter, send_error, send_too_many
from api.identity.tokens import authenticate_token
from api.redis_state import SESSIONS_UNAVAILABLE, RedisUnavailable

_MISSING = object()
_session_resolver: Any = _MISSING


def _principal_from_session() -> Any:
    """The sessions module's resolver, or None while that module does not exist."""
    global _session_resolver
    if _session_resolver is _MISSING:
        try:
            from api.identity.sessions import principal_from_session
        except ModuleNotFoundError as exc:
            if exc.name != "api.identity.sessions":
                raise
            return None
        _session_resolver = principal_from_session
    return _session_resolver


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def resolve_principal(scope: Scope, receive: Receive) -> Principal:
    authorization = _header(scope, b"authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return Principal(reason="Send an API token as 'Authorization: Bearer <token>'.")
        conn = await request_connection(scope).connection()  # type: ignore[arg-type]
        return await authenticate_token(conn, credentials.strip(), client_ip=client_address(scope))
    resolver = _principal_from_session()
    if resolver is None:
        return ANONYMOUS
    request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    try:
        found = resolver(request)
        if inspect.isawaitable(found):
            found = await found
    except RedisUnavailable:
        return Principal(reason=SESSIONS_UNAVAILABLE)
    return found if isinstance(found, Principal) else ANONYMOUS


class RequestConnectionMiddleware(ASGIMiddleware):
    """Gives each API request its one database connection (`api.db.RequestConnection`), checked
    out when first used and returned when the request ends, whatever happened in between."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/metrics$",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        opt = getattr(scope.get("route_handler"), "opt", None) or {}
        reads_a_tenant = (
            scope.get("method", "GET") in SAFE_METHODS
            and opt.get("scope") == AccessScope.TENANT.value
            and not opt.get(IN_TRANSACTION)
        )
        # Only an organisation's reads go without a transaction: a few shared GETs write (the
        # sign-in callback creates the account and the session, with rows locked FOR UPDATE).
        held = RequestConnection(scope["litestar_app"].state.db, writes=not reads_a_tenant)
        scope[REQUEST_CONNECTION_KEY] = held  # type: ignore[literal-required]
        try:
            await next_app(scope, receive, send)
        finally:
            await held.close()


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    # /metrics admits its scraper by address or its own token (api/metrics.py), never a user's.
    exclude_path_pattern = ("^/metrics$",)

    def __init__(self, allowed_origins: tuple[str, ...] = ()) -> None:
        self.allowed_origins = allowed_origins

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        bearer = _header(scope, b"authorization") is not None
        failures = POLICIES["bearer_failures"]
        failure_key = f"rate:{failures.name}:{client_address(scope)}"
        found = await resolve_principal(scope, receive)
        if bearer and scope["type"] == ScopeType.HTTP and found.is_anonymous and found.credential_id is None:
            # An unknown secret (not a revoked or expired one): someone may be guessing. Past the
            # limit such requests are refused with 429; a valid token from the same address (a
            # school's shared NAT, a regional system beside a broken script) still goes through.
            count, ttl = await limits_counter(scope).hit(failure_key, failures.window_s)
            if count > failures.limit:
                await send_too_many(send, failures.message, ttl)
                return
        scope[PRINCIPAL_KEY] = found  # type: ignore[literal-required]
        if (
            found.via == "session"
            and scope["type"] == ScopeType.HTTP
            and not same_site_request(dict(scope), self.allowed_origins)
        ):
            await send_error(send, 403, CROSS_SITE_MESSAGE)
            return
        await next_app(scope, receive, send)
