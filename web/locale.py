"""The language of each page: `?lang=` (remembered in a cookie), else the cookie, else
Accept-Language, else Russian. Set for the whole request, so handlers, the API client and the
templates all speak it.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api import i18n

COOKIE = "metodist_lang"
DEFAULT_LOCALE = "ru"
_ONE_YEAR = 365 * 24 * 3600


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is ignored, not an error
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel and morsel.value in i18n.LOCALES else None


def choose_locale(scope: Scope) -> tuple[str, str | None]:
    """The language for this request, and the one to remember when `?lang=` chose it."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[-1]
    if asked in i18n.LOCALES:
        return asked, asked  # type: ignore[return-value]
    remembered = _cookie(scope)
    if remembered:
        return remembered, None
    return i18n.negotiate(_header(scope, b"accept-language")) or DEFAULT_LOCALE, None


def locale_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        locale, remember = choose_locale(scope)

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                cookie = f"{COOKIE}={remember}; Path=/; Max-Age={_ONE_YEAR}; SameSite=Lax"
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}  # type: ignore[assignment]
            await send(message)

        with i18n.use_locale(locale):
            await app(scope, receive, send_with_cookie)

    return middleware
