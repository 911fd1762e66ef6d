"""The product on a real Citus cluster: a coordinator and two workers on this machine.

`deploy/citus/cluster.sh start` (idempotent) brings the local cluster up; each run gets a database
of its own on every node (`cluster.sh createdb`), dropped afterwards. The fixtures the other test
folders use (`database_url`, `settings`, `app`, `client`, `db`, `national_admin_headers`) are
redefined here on the cluster's coordinator, so shared helpers run unchanged against it.

Citus not installed: the tests are skipped, unless `METODIST_CITUS_REQUIRED=1` (CI sets it, after
`deploy/citus/build.sh`), when they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.settings import PROJECT_ROOT, Settings
from tests.support import AsgiLifespan

CLUSTER = PROJECT_ROOT / "deploy" / "citus" / "cluster.sh"
PG_CONFIG = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.citus)


def cluster(*args: str) -> str:
    done = subprocess.run([str(CLUSTER), *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"cluster.sh {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def citus_installed() -> bool:
    try:
        lib = subprocess.run([PG_CONFIG, "--pkglibdir"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return False
    return Path(lib, "citus.so").exists()


@pytest.fixture(scope="session")
def citus_cluster() -> str:
    """The coordinator's server URL (without a database), the cluster started if it was not."""
    if not citus_installed():
        message = "Citus is not installed: run deploy/citus/build.sh"
        if os.environ.get("METODIST_CITUS_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    cluster("start")
    return cluster("url", "postgres")


@pytest.fixture(scope="session")
def database_url(citus_cluster: str) -> Iterator[str]:
    """A database of this run on every node of the cluster, at the control-plane head."""
    from api.bootstrap import upgrade_control

    name = f"metodist_citus_{uuid.uuid4().hex[:10]}"
    cluster("createdb", name)
    url = cluster("url", name)
    try:
        upgrade_control(url)
        yield url
    finally:
        try:
            cluster("dropdb", name)
        except RuntimeError:
            pass  # a node already gone: the next `remove` clears it


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        data_dir=tmp_path_factory.mktemp("citus-data"),
        worker_concurrency=4,
        demo_data=False,
        periodic_jobs=False,
        tenant_spares=0,
        # Required, not detected: a cluster that lost its extension must fail here, not pass as a single server.
        citus="on",
    )


@pytest.fixture(scope="session")
async def db(settings: Settings, database_url: str) -> AsyncIterator[object]:
    from api.db import Database, create_engine

    database = Database(create_engine(settings, database_url), citus="on")
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[object]:
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
    from tests.identity.access.principals import issue_at_republic

    secret = await issue_at_republic(db, "national_admin", name="citus test client")
    return {"authorization": f"Bearer {secret}"}


@pytest.fixture(scope="session")
async def client(app: object, national_admin_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers=national_admin_headers,  # type: ignore[arg-type]
    ) as c:
        yield c
