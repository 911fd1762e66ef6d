"""The one settings object. Everything configurable is read from the environment here, once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _optional(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = PROJECT_ROOT / ".data"
    secret_key: str = "development-only-secret-key-change-me"
    # Bound on concurrent work per process: tenant migrations, provisioning jobs.
    migrate_concurrency: int = 4
    worker_concurrency: int = 4
    # asyncpg keys prepared statements on the final SQL, which names the tenant schema:
    # the cache must hold one entry per statement per active tenant.
    statement_cache_size: int = 2000
    # Connections keep per-schema catalog caches; recycle them so memory stays bounded.
    pool_recycle_s: int = 600
    pool_size: int = 10
    lock_timeout_ms: int = 5000
    demo_data: bool = True
    territories_csv: Path = PROJECT_ROOT / "api" / "data" / "territories.csv"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archives"

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(_env("METODIST_DATA_DIR", str(PROJECT_ROOT / ".data")))
        return cls(
            environment=_env("METODIST_ENV", "development"),
            database_url=_optional("DATABASE_URL"),
            redis_url=_optional("REDIS_URL"),
            host=_env("HOST", "127.0.0.1"),
            port=int(_env("PORT", "8000")),
            data_dir=data_dir,
            secret_key=_env("METODIST_SECRET_KEY", cls.secret_key),
            migrate_concurrency=int(_env("METODIST_MIGRATE_CONCURRENCY", "4")),
            worker_concurrency=int(_env("METODIST_WORKER_CONCURRENCY", "4")),
            statement_cache_size=int(_env("METODIST_STATEMENT_CACHE_SIZE", "2000")),
            pool_recycle_s=int(_env("METODIST_POOL_RECYCLE_S", "600")),
            pool_size=int(_env("METODIST_POOL_SIZE", "10")),
            lock_timeout_ms=int(_env("METODIST_LOCK_TIMEOUT_MS", "5000")),
            demo_data=_env("METODIST_DEMO_DATA", "1") == "1",
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
