"""The Litestar stores of the application: Redis when REDIS_URL is set, else files under the data dir.

Every store name gets its own namespace (`app.stores.get("sessions")`, `"rate_limits"` …), so
other parts of the application obtain a store of the right kind by name alone.

With Redis, each named store goes through `GuardedStore` (api.redis_state): short timeouts, and
while Redis cannot be reached the rate limits count in this process (a warning says so once a
minute), while sessions and sign-in state, which exist only in Redis, raise `RedisUnavailable` (503).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry

from api.redis_state import RedisHealth, RedisUnavailable, make_client
from api.settings import Settings

SESSION_STORE = "sessions"
# Stores whose counts may fall back to this process while Redis is away (api.identity.ratelimit).
LOCAL_FALLBACK = {"rate_limits": "rate limits are counted in this process only until it is back"}

T = TypeVar("T")


class GuardedStore(Store):
    """A Redis store that fails fast while Redis is down, with an optional in-process fallback."""

    def __init__(self, primary: Store, health: RedisHealth, fallback: Store | None = None) -> None:
        self.primary = primary
        self.health = health
        self.fallback = fallback

    async def _do(self, work: Callable[[Store], Awaitable[T]]) -> T:
        try:
            return await self.health.call(lambda: work(self.primary))
        except RedisUnavailable:
            if self.fallback is None:
                raise
            return await work(self.fallback)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self._do(lambda s: s.set(key, value, expires_in))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._do(lambda s: s.get(key, renew_for))

    async def delete(self, key: str) -> None:
        await self._do(lambda s: s.delete(key))

    async def delete_all(self) -> None:
        await self._do(lambda s: s.delete_all())

    async def exists(self, key: str) -> bool:
        return await self._do(lambda s: s.exists(key))

    async def expires_in(self, key: str) -> int | None:
        return await self._do(lambda s: s.expires_in(key))


class Stores(StoreRegistry):
    """The registry, and the one Redis client its named stores share (closed when the app stops)."""

    def __init__(self, default_factory: Callable[[str], Store], redis: RedisStore | None = None) -> None:
        super().__init__(default_factory=default_factory)
        self.redis = redis

    async def ping(self) -> str | None:
        """'ok' or why not; None without Redis (readiness)."""
        if self.redis is None:
            return None
        from api.redis_state import ping

        return await ping(self.redis._redis)

    async def close(self) -> None:
        """Closes the Redis client and its connection pool; file stores hold nothing open.

        The named stores are namespaces of the root store (`with_namespace` shares its client),
        so leaving the root's context closes them all. Litestar closes only stores registered
        before the app was built, and these are made on first use.
        """
        if self.redis is not None:
            async with self.redis:  # RedisStore.__aexit__ closes the client it was made with
                pass


def build_stores(settings: Settings) -> Stores:
    if settings.redis_url:
        root = RedisStore(
            make_client(settings.redis_url), namespace=settings.store_namespace, handle_client_shutdown=True
        )

        def redis_store(name: str) -> Store:
            if name in LOCAL_FALLBACK:
                health = RedisHealth(name.replace("_", " "), consequence=LOCAL_FALLBACK[name])
                return GuardedStore(root.with_namespace(name), health, fallback=MemoryStore())
            health = RedisHealth(name.replace("_", " "), consequence="requests that need it answer 503")
            return GuardedStore(root.with_namespace(name), health)

        return Stores(redis_store, redis=root)

    stores_dir = settings.data_dir / "stores" / settings.store_namespace

    def file_store(name: str) -> Store:
        # FileStore creates only the last directory itself: make the rest now, once per store.
        path = stores_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return FileStore(path)

    return Stores(file_store)
