"""The whole application under uvicorn on 127.0.0.1, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn

from api.settings import Settings
from tests.chromium import ARGS as CHROMIUM_ARGS
from tests.chromium import chromium_path
from tests.web.conftest import places  # noqa: F401 - the territories the browser tests place organisations in


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(settings: Settings, database_url: str, places: dict[str, str]) -> Iterator[str]:  # noqa: F811
    """The single-process app (API, web, worker) served over HTTP in a thread of its own."""
    from api.asgi import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database_url), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    executable = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Any, live_server: str, national_admin_headers: dict[str, str]) -> AsyncIterator[Any]:
    """A fresh browser context signed in as the national administrator (its API token on every request)."""
    context = await browser.new_context(
        base_url=live_server,
        extra_http_headers={"Authorization": national_admin_headers["authorization"]},
        viewport={"width": 1280, "height": 900},
    )
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()
        await asyncio.sleep(0)
