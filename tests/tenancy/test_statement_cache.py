"""`METODIST_STATEMENT_CACHE_SIZE` sizes the cache that prepares the application's statements.

SQLAlchemy's asyncpg dialect prepares every statement itself, through a cache of its own per
connection (100 by default); with random tenants most executes re-prepared, because only asyncpg's
cache, which that path never uses, was given the setting."""

from __future__ import annotations

import dataclasses
from typing import Any

from api.db import create_engine


async def test_the_setting_sizes_the_dialects_prepared_statement_cache(settings: Any, database_url: str) -> None:
    engine = create_engine(dataclasses.replace(settings, statement_cache_size=1234), database_url)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert raw.dbapi_connection._prepared_statement_cache.capacity == 1234
            assert raw.driver_connection._stmt_cache.get_max_size() == 1234
    finally:
        await engine.dispose()
