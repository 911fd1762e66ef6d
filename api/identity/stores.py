"""The Litestar stores of the application: Redis when REDIS_URL is set, else files under the data dir.

Every store name gets its own namespace (`app.stores.get("sessions")`, `"rate_limits"` …), so
other parts of the application obtain a store of the right kind by name alone.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry

from api.settings import Settings

SESSION_STORE = "sessions"


class Stores(StoreRegistry):
    """The registry, and the one Redis client its named stores share (closed when the app stops)."""

    def __init__(self, default_factory: Callable[[str], Store], redis: RedisStore | None = None) -> None:
        super().__init__(default_factory=default_factory)
        self.redis = redis

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
        root = RedisStore.with_client(url=settings.redis_url, namespace=settings.store_namespace)

        def redis_store(name: str) -> Store:
            return root.with_namespace(name)

        return Stores(redis_store, redis=root)

    stores_dir = settings.data_dir / "stores" / settings.store_namespace

    def file_store(name: str) -> Store:
        # FileStore creates only the last directory itself: make the rest now, once per store.
        path = stores_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return FileStore(path)

    return Stores(file_store)
