"""Helpers shared by the tests: unique BINs, waiting for provisioning, territory look-ups."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx

from api.domain.organisations.rules import make_bin

_serials = itertools.count(int(time.time() * 1000) % 10**9 * 10 + os.getpid() % 10)


def fresh_bin() -> str:
    """A valid BIN never used before in this run."""
    while True:
        serial = f"{next(_serials) % 10**11:011d}"
        bin_ = make_bin(serial)
        if bin_ is not None:
            return bin_


def find_territory(tree: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    for node in tree:
        if node["slug"] == slug:
            return node
        try:
            return find_territory(node["children"], slug)
        except LookupError:
            continue
    raise LookupError(slug)


async def territory_id(client: httpx.AsyncClient, slug: str) -> str:
    tree = (await client.get("/api/territories")).json()
    return find_territory(tree, slug)["id"]


async def wait_for_status(
    client: httpx.AsyncClient, organisation_id: str, wanted: set[str], timeout: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = (await client.get(f"/api/organisations/{organisation_id}/provisioning")).json()
        if body["status"] in wanted:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"organisation {organisation_id} stayed {body['status']}: {body}")
        await asyncio.sleep(0.1)


def school_payload(territory: str, **overrides: Any) -> dict[str, Any]:
    payload = {
        "kind": "school",
        "territory_id": territory,
        "bin": fresh_bin(),
        "name_kk": "Сынақ мектебі",
        "name_ru": "Тестовая школа",
        "name_en": "Test School",
        "levels": ["primary", "basic_secondary", "general_secondary"],
    }
    payload.update(overrides)
    return payload


class AsgiLifespan:
    """Runs an ASGI app's lifespan in a task of its own, as a server does.

    Litestar's lifespan holds an anyio task group, which must be entered and left by the same
    task; a pytest fixture's set-up and tear-down may run in different tasks.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _send(self, message: dict[str, str]) -> None:
        await self._outbox.put(message)

    async def __aenter__(self) -> Any:
        self._task = asyncio.create_task(self.app({"type": "lifespan"}, self._inbox.get, self._send))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._outbox.get()
        if reply["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"startup failed: {reply}")
        return self.app

    async def __aexit__(self, *_: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        reply = await self._outbox.get()
        assert self._task is not None
        await self._task
        if reply["type"] != "lifespan.shutdown.complete":
            raise RuntimeError(f"shutdown failed: {reply}")


_DROP_SCRIPT = (
    "import psycopg, sys\n"
    "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
    "    c.execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)')\n"
)


def drop_database_soon(server_url: str, name: str) -> None:
    """Drops a test database without waiting for it.

    DROP DATABASE waits for a checkpoint, which takes many seconds on a busy disk, and nothing in
    the run needs the database gone: a detached process drops it while the tests go on.
    """
    import subprocess
    import sys

    from sqlalchemy import make_url

    dsn = make_url(server_url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    subprocess.Popen(
        [sys.executable, "-c", _DROP_SCRIPT, dsn, name],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def scratch_database(server_url: str, *, control: bool = True, prefix: str = "metodist_scratch") -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards; at the control head if asked."""
    import uuid

    import psycopg
    from sqlalchemy import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_url(server_url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        if control:
            from api.bootstrap import upgrade_control

            upgrade_control(url)
        yield url
    finally:
        drop_database_soon(server_url, name)
