"""Test fixtures on real servers.

PostgreSQL: the machine's when DATABASE_URL is set (a fresh database is created per run and
dropped after), else an embedded one (pgserver) under .data/test-pg. Redis: REDIS_URL when set;
the job queue then runs on Redis, as in production; otherwise on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.settings import PROJECT_ROOT, Settings
from tests.demo_site import demo_template  # noqa: F401 - the demo region, loaded once per run
from tests.support import AsgiLifespan, scratch_database

# Tests decide their settings explicitly; the developer's environment must not leak in.
for _name in ("METODIST_ENV", "METODIST_DATA_DIR"):
    os.environ.pop(_name, None)


def _server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from api.embedded import embedded_url

    return embedded_url(PROJECT_ROOT / ".data" / "test-pg", database="postgres")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database for this test run, at the control-plane head."""
    with scratch_database(_server_url(), prefix="metodist_test") as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        data_dir=tmp_path_factory.mktemp("data"),
        worker_concurrency=4,
        demo_data=False,
        # Tests run the periodic jobs themselves; a scheduled pass over every test organisation
        # would compete with the tests for locks and time.
        periodic_jobs=False,
        # Spares are built by tests/tenancy/test_spares.py where it wants them; elsewhere the
        # worker building schemas in the background would only compete with the tests.
        tenant_spares=0,
        # Sign-in domains' TXT lookups never leave the machine: a port where nothing answers
        # (tests/identity/login/test_domains.py runs its own DNS server).
        dns_nameservers=("127.0.0.1:9",),
        dns_timeout_s=1.0,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[object]:
    """The single-process application (API + web) with its lifespan running, worker included."""
    from api.asgi import create_app
    from api.bootstrap import load_territories
    from api.db import Database, create_engine

    db = Database(create_engine(settings, database_url))
    await load_territories(db, settings)
    await db.dispose()
    async with AsgiLifespan(create_app(settings, database_url)) as dispatcher:
        yield dispatcher


@pytest.fixture(scope="session")
async def national_admin_headers(app: object, db: object) -> dict[str, str]:
    """A national admin's API token, made directly in the database (the API needs a caller)."""
    from tests.identity.access.principals import issue_at_republic

    secret = await issue_at_republic(db, "national_admin", name="shared test client")
    return {"authorization": f"Bearer {secret}"}


@pytest.fixture(scope="session")
async def client(app: object, national_admin_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The API as a national admin (an API token): every route is open to it."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers=national_admin_headers,  # type: ignore[arg-type]
    ) as c:
        yield c


@pytest.fixture(scope="session")
async def db(settings: Settings, database_url: str) -> AsyncIterator[object]:
    """Direct database access for assertions and set-up that the API does not offer."""
    from api.db import Database, create_engine

    database = Database(create_engine(settings, database_url))
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`@pytest.mark.runs_after("test_name")`: the test runs right after that test of its module,
    whatever order pytest-randomly chose (it shuffles before this hook runs). For a check that
    reads what the other test gathered; kept to that, since tests are otherwise independent."""
    for item in [i for i in items if i.get_closest_marker("runs_after")]:
        name = item.get_closest_marker("runs_after").args[0]  # type: ignore[union-attr]
        target = next(
            (
                i
                for i in items
                if getattr(i, "module", None) is getattr(item, "module", None) and i.originalname == name
            ),  # type: ignore[attr-defined]
            None,
        )
        if target is not None:
            items.remove(item)
            items.insert(items.index(target) + 1, item)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The isolation matrix's count of cases and leaks (tests/identity/access/test_isolation_matrix.py)."""
    from tests.identity.access.report import write_summary

    write_summary(terminalreporter)
