from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from tests.hardening.servers import PostgresServer, RedisServer


@pytest.fixture
async def territories(db: Any, settings: Settings) -> None:
    from api.bootstrap import load_territories

    await load_territories(db, settings)


@pytest.fixture
def own_redis(tmp_path: Path) -> Any:
    """A Redis of this test's own, which it may stop and start."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_postgres() -> Any:
    """A PostgreSQL cluster of this test's own, which it may restart."""
    server = PostgresServer()
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.kill()
