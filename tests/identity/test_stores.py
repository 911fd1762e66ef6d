"""The stores (sessions, sign-in state, rate limits) hold one Redis client; the API closes it when it stops."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from api.app import create_api_app
from api.identity.stores import Stores, build_stores
from api.settings import Settings
from tests.identity.login.conftest import settings_with


async def _client_names(url: str) -> set[str]:
    """The names of the connections the Redis server has open, asked over a connection of our own."""
    observer = Redis.from_url(url)
    try:
        return {str(c.get("name") or "") for c in await observer.client_list()}
    finally:
        await observer.aclose()


async def test_stopping_the_api_closes_the_stores_redis_connections(settings: Settings, database_url: str) -> None:
    if not settings.redis_url:
        pytest.skip("the stores are files without REDIS_URL: nothing is held open")
    app = create_api_app(settings, database_url, run_worker=False)
    stores = app.stores
    assert isinstance(stores, Stores) and stores.redis is not None
    name = f"stores-probe-{uuid.uuid4().hex[:8]}"
    async with app.lifespan():
        sessions, limits = stores.get("sessions"), stores.get("rate_limits")
        await sessions.set("probe", b"1", expires_in=30)
        await limits.set("probe", b"2", expires_in=30)
        assert await sessions.get("probe") == b"1" and await limits.get("probe") == b"2"  # namespaces apart
        # The named stores share the root's client: name its (one, idle) connection to find it on the server.
        # (each named store is a RedisStore behind a GuardedStore: api.identity.stores)
        assert stores.redis._redis is sessions.primary._redis is limits.primary._redis  # type: ignore[attr-defined]
        await stores.redis._redis.client_setname(name)  # type: ignore[attr-defined]
        assert name in await _client_names(settings.redis_url)
        await sessions.delete("probe")
        await limits.delete("probe")
    assert name not in await _client_names(settings.redis_url)


async def test_closing_file_stores_is_harmless_and_redis_stores_close_once_more(
    tmp_path: Path, settings: Settings
) -> None:
    files = build_stores(settings_with(settings, redis_url=None, data_dir=tmp_path))
    assert files.redis is None
    store = files.get("sessions")
    await store.set("k", b"v")
    await files.close()
    assert await store.get("k") == b"v"  # nothing to close: files stay readable
    assert (tmp_path / "stores").is_dir()
    if settings.redis_url:
        redis = build_stores(settings)
        await redis.get("sessions").set("k", b"v", expires_in=5)
        await redis.close()
        await redis.close()  # a second stop (a failed start, then shutdown) raises nothing
