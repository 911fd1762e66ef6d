from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.settings import Settings
from tests.support import scratch_database


@pytest.fixture(scope="session")
async def territories(db: Any, settings: Settings) -> None:
    """The test database's territories (organisations are placed under them)."""
    from api.bootstrap import load_territories

    await load_territories(db, settings)


@dataclass
class Scratch:
    url: str
    db: Any


@pytest.fixture
async def scratch(database_url: str, settings: Settings) -> AsyncIterator[Scratch]:
    """A database of the test's own at the control head with territories: for whole-database runs."""
    from api.bootstrap import load_territories
    from api.db import Database, create_engine

    with scratch_database(database_url) as url:
        database = Database(create_engine(settings, url))
        try:
            await load_territories(database, settings)
            yield Scratch(url, database)
        finally:
            await database.dispose()
