"""The web application (placeholder until the pages land)."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar, get
from litestar.response import Redirect

from api.settings import Settings
from web.client import ApiClient


def create_web_app(settings: Settings, client_factory: Callable[[], ApiClient]) -> Litestar:
    @get("/", opt={"scope": "public", "role": None})
    async def home() -> Redirect:
        return Redirect("/api/schema")

    return Litestar(route_handlers=[home])
