"""Rate limits, counted in a Litestar store.

The store is the application's `rate_limits` store: Redis when REDIS_URL is set (every process
counts together), else a local one. While Redis cannot be reached the counts go on in this process
alone (api.identity.stores, one warning a minute), so no request waits on Redis or fails for it.
Counting is a fixed window per key: the first hit sets the counter with the window's expiry.

- A route opts in by naming a policy in its `opt` (`rate_limit="sign_in"` or `"token"`); the
  sign-in routes under `/api/auth/` are limited by path as well, so they cannot be forgotten.
  Sign-in is counted per client address; token management per credential and address.
- Invalid bearer tokens are counted per address by the authentication middleware: after too many,
  that address's bearer requests are refused for the rest of the window.
- Passwords live at the identity providers, so failed password attempts never reach us; a
  deactivated account is refused at sign-in with a message saying so (`api/identity/accounts.py`).

Every refusal is 429 in the API's one error format with `Retry-After`, and says what happened.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.stores.base import Store
from litestar.types import ASGIApp, Receive, Scope, Send

from api.access import PRINCIPAL_KEY, Principal
from api.errors import error_body


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window_s: int
    message: str
    methods: frozenset[str] | None = None  # None: every method counts
    setting: str | None = None  # the Settings field that overrides `limit`

    def limit_in(self, settings: Any) -> int:
        return int(getattr(settings, self.setting, self.limit)) if self.setting else self.limit


POLICIES: dict[str, Policy] = {
    "sign_in": Policy(
        "sign_in",
        60,
        60,
        "Too many sign-in attempts from this address. Try again in {wait}.",
        setting="rate_limit_sign_in",
    ),
    "token": Policy(
        "token",
        10,
        60,
        "Too many API token changes. Try again in {wait}.",
        methods=frozenset({"POST", "PUT", "PATCH", "DELETE"}),
        setting="rate_limit_tokens",
    ),
    "bearer_failures": Policy(
        "bearer_failures", 20, 300, "Too many invalid API tokens from this address. Try again in {wait}."
    ),
}

SIGN_IN_PATH = re.compile(r"^/api/auth/(login|callback|sign-in|signin|dev|start)")


RATE_LIMIT_STORE = "rate_limits"


def limits_counter(scope: Scope) -> Counter:
    """The counters in the application's `rate_limits` store (api.identity.stores)."""
    return Counter(scope["litestar_app"].stores.get(RATE_LIMIT_STORE))


def describe_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class Counter:
    """Fixed-window counters in a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Counts one hit; returns the count in the window and the seconds until it resets."""
        raw = await self.store.get(key)
        now = time.time()
        if raw is None:
            count, reset_at = 1, now + window_s
        else:
            data = json.loads(raw)
            count, reset_at = int(data["count"]) + 1, float(data["reset_at"])
        ttl = max(1, math.ceil(reset_at - now))
        await self.store.set(key, json.dumps({"count": count, "reset_at": reset_at}), expires_in=ttl)
        return count, ttl


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(status, message)).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def send_too_many(send: Send, message: str, retry_after: int) -> None:
    await send_error(send, 429, message.format(wait=describe_wait(retry_after)), {"Retry-After": str(retry_after)})


def policy_for(scope: Scope) -> Policy | None:
    handler = scope.get("route_handler")
    name = (getattr(handler, "opt", None) or {}).get("rate_limit")
    if name is None and SIGN_IN_PATH.match(scope.get("path", "")):
        name = "sign_in"
    policy = POLICIES.get(name) if name else None
    if policy is None or (policy.methods is not None and scope.get("method") not in policy.methods):
        return None
    return policy


class RateLimitMiddleware(ASGIMiddleware):
    """Applies the route's policy; runs after authentication so it can count per credential."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        policy = policy_for(scope)
        if policy is None:
            await next_app(scope, receive, send)
            return
        who: Principal | None = scope.get(PRINCIPAL_KEY)  # type: ignore[assignment]
        key = f"rate:{policy.name}:{client_address(scope)}"
        if policy.name != "sign_in" and who is not None and not who.is_anonymous:
            key += f":{who.credential_id or who.user_id}"
        count, ttl = await limits_counter(scope).hit(key, policy.window_s)
        if count > policy.limit_in(getattr(scope["litestar_app"].state, "settings", None)):
            await send_too_many(send, policy.message, ttl)
            return
        await next_app(scope, receive, send)


def rate_limit(policy: str) -> dict[str, Any]:
    """`opt` entries naming a policy: `opt={**access(...), **rate_limit("token")}`."""
    if policy not in POLICIES:
        raise ValueError(f"unknown rate-limit policy {policy!r}")
    return {"rate_limit": policy}
