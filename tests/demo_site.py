"""The demo region, loaded once per test run and copied for each test that needs it.

Loading the demo (`api.demo.load_demo`) takes minutes; copying a loaded database takes seconds
(PostgreSQL's CREATE DATABASE … TEMPLATE). So the run loads it once into a template database
(`demo_template`, session-scoped), and each test module that reads or changes demo data works on
a copy of its own (`clone_demo`): one module's changes never reach another, whatever the order.

`DemoSite` serves a copy as `make run` does in development: the whole app under uvicorn on
127.0.0.1, with development sign-in (a demo user chosen on /sign-in, no identity provider).
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.settings import Settings


@dataclasses.dataclass(frozen=True)
class DemoTemplate:
    url: str  # the loaded database; nobody may stay connected to it (copies need it idle)
    data_dir: Path  # the demo's stored files (documents): copies share them (content-addressed)
    created: int
    progress: tuple[str, ...]


@pytest.fixture(scope="session")
async def demo_template(
    settings: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DemoTemplate]:
    """The demo region loaded into a database of its own (the demo loads only where no
    organisation exists), once for the whole run."""
    from api.bootstrap import load_territories
    from api.db import Database, create_engine
    from api.demo import load_demo
    from tests.support import scratch_database

    data_dir = Path(tmp_path_factory.mktemp("demo"))
    with scratch_database(database_url, prefix="metodist_demo") as url:
        own = dataclasses.replace(settings, database_url=url, data_dir=data_dir)
        db = Database(create_engine(own, url))
        lines: list[str] = []
        try:
            await load_territories(db, own)
            created = await load_demo(db, settings=own, progress=lines.append)
        finally:
            await db.dispose()
        yield DemoTemplate(url, data_dir, created, tuple(lines))


@contextlib.contextmanager
def clone_demo(template: DemoTemplate, prefix: str = "metodist_democopy") -> Iterator[str]:
    """A copy of the loaded demo database, dropped afterwards."""
    import psycopg
    from sqlalchemy import make_url

    from tests.support import drop_database_soon

    source = make_url(template.url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = source.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        # The default strategy (WAL_LOG): FILE_COPY waits for a checkpoint, which on a busy disk
        # took minutes where this takes seconds.
        conn.execute(f'CREATE DATABASE {name} TEMPLATE "{source.database}"')
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database_soon(template.url, name)


def demo_settings(settings: Settings, template: DemoTemplate, url: str) -> Settings:
    """Development settings over a copy: development sign-in offers the demo users."""
    return dataclasses.replace(
        settings,
        environment="development",
        database_url=url,
        data_dir=template.data_dir,
        store_namespace=f"test-demo-{uuid.uuid4().hex[:8]}",
        oidc_issuer=None,
        oidc_client_id=None,
        oidc_client_secret=None,
        # The crawls ask for many pages in a minute from one address.
        rate_limit_sign_in=100_000,
    )


@dataclasses.dataclass
class DemoSite:
    """The app serving a copy of the demo over HTTP on 127.0.0.1."""

    url: str
    database_url: str
    settings: Settings
    _users: dict[str, str] = dataclasses.field(default_factory=dict)

    async def user_id(self, email: str) -> str:
        """The demo user's account id (what development sign-in posts)."""
        if not self._users:
            async with httpx.AsyncClient(base_url=self.url) as client:
                listed = (await client.get("/api/auth/dev/users")).raise_for_status().json()
            self._users.update({u["email"]: str(u["id"]) for u in listed})
        return self._users[email]

    @contextlib.asynccontextmanager
    async def client(self, email: str, *, locale: str = "en") -> AsyncIterator[httpx.AsyncClient]:
        """A plain HTTP client (a browser without JavaScript) signed in as the demo user through
        development sign-in: the session cookie it sets goes with every later request."""
        async with httpx.AsyncClient(base_url=self.url, timeout=60, headers={"accept-language": locale}) as client:
            signed = await client.post(
                "/api/auth/dev/sign-in", data={"user_id": await self.user_id(email), "return_to": "/"}
            )
            assert signed.status_code == 303, signed.text
            yield client


@contextlib.contextmanager
def serve(settings: Settings, database_url: str) -> Iterator[str]:
    """The single-process app (API, web, worker) under uvicorn in a thread of its own."""
    import uvicorn

    from api.asgi import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database_url), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.contextmanager
def demo_site(settings: Settings, template: DemoTemplate) -> Iterator[DemoSite]:
    """A copy of the demo, served: what a test module that works on demo data uses."""
    with clone_demo(template) as url:
        own = demo_settings(settings, template, url)
        with serve(own, url) as base:
            yield DemoSite(base, url, own)
