"""Cross-site request forgery: how each kind of request is protected.

- Web app (pages and HTMX): Litestar's double-submit token (`web_csrf_config`). A safe request
  sets the `csrftoken` cookie; every POST/PUT/PATCH/DELETE must send the same token back in the
  `X-CSRFToken` header (HTMX: `hx-headers` on <body>, filled from `csrf_token()` in the base
  template) or, for a plain form, in the `_csrf_token` field (`csrf_input`). The cookie is
  HttpOnly because the page renders the token; a site that cannot read the page cannot forge it.
- API with a bearer token: exempt. A browser never attaches an Authorization header by itself,
  so a forged cross-site request cannot carry the token.
- API with the session cookie (a browser calling `/api` directly): the cookie is SameSite=Lax,
  so other sites' POSTs do not carry it in modern browsers, and in addition a state-changing
  request is refused unless its `Origin` names this site — or, when a browser sends no Origin,
  `Sec-Fetch-Site` is same-origin or none (a typed URL). Requests with neither header are not
  from a browser's cross-site context (the web app's server-side client, scripts) and pass. This
  needs no token round trip, so the web app's in-process calls stay simple.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from litestar.config.csrf import CSRFConfig
from litestar.middleware.csrf import generate_csrf_hash

from api.settings import Settings

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CROSS_SITE_MESSAGE = (
    "Cross-site request refused: a request signed in with the session cookie must come from this site (Origin header)."
)


def web_csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_httponly=True,
        cookie_secure=not settings.is_development and settings.environment != "test",
        cookie_samesite="lax",
    )


def without_stale_csrf_cookie(scope: dict[str, Any], secret: str) -> dict[str, Any]:
    """The scope without a `csrftoken` cookie that was not signed with `secret` (the key was
    rotated, METODIST_SECRET_KEYS): on a safe request Litestar then issues a fresh one, so a page
    reload is all a person needs after a rotation. Other requests keep their cookie (and a stale
    one is refused as before)."""
    if scope.get("method", "GET") in UNSAFE_METHODS:
        return scope
    headers = scope.get("headers", [])
    changed = False
    kept: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name.lower() == b"cookie" and CSRF_COOKIE.encode() in value:
            parts = [p.strip() for p in value.decode("latin-1").split(";")]
            fresh = [
                p
                for p in parts
                if not (p.startswith(f"{CSRF_COOKIE}=") and not _signed_with(p.partition("=")[2], secret))
            ]
            if len(fresh) != len(parts):
                changed = True
                if fresh:
                    kept.append((name, "; ".join(fresh).encode("latin-1")))
                continue
        kept.append((name, value))
    return {**scope, "headers": kept} if changed else scope


def _signed_with(token: str, secret: str) -> bool:
    token = token.strip('"')
    if len(token) != 128:
        return False
    return hmac.compare_digest(generate_csrf_hash(token[:64], secret), token[64:])


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _origin_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def same_site_request(scope: dict[str, Any], allowed_origins: tuple[str, ...] = ()) -> bool:
    """Whether a cookie-authenticated state-changing request comes from this site."""
    if scope.get("method", "GET") not in UNSAFE_METHODS:
        return True
    headers = _headers(scope)
    origin = headers.get("origin")
    if origin is not None:
        seen = _origin_of(origin)  # "null" (sandboxed frames, privacy redirects) never matches
        if seen is None:
            return False
        # Hosts are compared, not schemes: behind a TLS-terminating proxy this app sees http.
        own = {headers.get("host", "").lower(), *(o[1] for o in (_origin_of(a) for a in allowed_origins) if o)}
        return seen[1] in own
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    return True
