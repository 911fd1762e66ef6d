"""The single-process application: `/api` goes to the API app, everything else to the web app.

Both apps are Litestar applications with their own lifespans; this dispatcher runs both. The web
app reaches the API through its HTTP client over an in-process ASGI transport, so the two can be
deployed apart without changing either (set METODIST_API_URL for the web app then).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from litestar import Litestar

from api.app import create_api_app
from api.identity.csrf import without_stale_csrf_cookie
from api.logs import RequestContext
from api.settings import Settings
from web.app import create_web_app
from web.client import ApiClient

Scope = dict[str, Any]


class Dispatcher:
    def __init__(self, api: Litestar, web: Litestar, csrf_secret: str | None = None) -> None:
        self.api = api
        self.web = web
        # Every request: its id (from the proxy's X-Request-ID, or new) and one access-log line.
        self._in_context = RequestContext(self._route)
        self.csrf_secret = csrf_secret

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self._in_context(scope, receive, send)

    async def _route(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if path == "/api" or path.startswith("/api/") or path == "/metrics":
            await self.api(scope, receive, send)
            return
        if self.csrf_secret is not None and scope["type"] == "http":
            scope = without_stale_csrf_cookie(scope, self.csrf_secret)
        await self.web(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        await receive()  # lifespan.startup
        stack = AsyncExitStack()
        try:
            await stack.enter_async_context(self.api.lifespan())
            await stack.enter_async_context(self.web.lifespan())
        except BaseException as exc:
            await stack.aclose()
            await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            await stack.aclose()
        except BaseException as exc:
            await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.shutdown.complete"})


def create_app(
    settings: Settings, database_url: str, *, run_worker: bool = True, owner_url: str | None = None
) -> Dispatcher:
    api = create_api_app(settings, database_url, run_worker=run_worker, owner_url=owner_url)
    web = create_web_app(settings, lambda: ApiClient.in_process(api))
    return Dispatcher(api, web, settings.secret_key)
