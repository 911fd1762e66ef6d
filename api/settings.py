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
    # Scheduled jobs (review reminders, digests) in this process's worker; off where another
    # process runs them, and in tests that call them directly.
    periodic_jobs: bool = True
    # Tenant schemas kept built ahead of demand, so a new organisation gets its schema at once
    # (tenants/spares.py); 0 builds every schema on demand.
    tenant_spares: int = 50
    # asyncpg keys prepared statements on the final SQL, which names the tenant schema:
    # the cache must hold one entry per statement per active tenant.
    statement_cache_size: int = 2000
    # Connections keep per-schema catalog caches; recycle them so memory stays bounded.
    pool_recycle_s: int = 600
    pool_size: int = 10
    lock_timeout_ms: int = 5000
    demo_data: bool = True
    territories_csv: Path = PROJECT_ROOT / "api" / "data" / "territories.csv"
    # Rate limits (api.identity.ratelimit): requests per minute per client address.
    rate_limit_sign_in: int = 60
    rate_limit_tokens: int = 10
    # Identity. Redirect URIs are built from public_url and must match the provider's exactly.
    public_url: str = "http://127.0.0.1:8000"
    # The platform (national) identity provider; none when oidc_issuer is unset.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = "National SSO"
    oidc_scopes: str = "openid email profile"
    oidc_userinfo: bool = True
    oidc_leeway_s: int = 60
    # Prefix of every key in the shared stores (sessions, rate limits): one per deployment.
    store_namespace: str = "metodist"
    session_idle_s: int = 3600
    session_absolute_s: int = 12 * 3600
    invitation_ttl_days: int = 7
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "metodist@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    # Documents under review (api.domain.documents): the largest accepted file, and where files
    # are kept: "local" (content-addressed under data_dir/files) or "s3" (an S3-compatible store).
    document_max_bytes: int = 20 * 1024 * 1024
    # Onboarding imports (api.domain.onboarding): the largest file and the most rows accepted.
    import_max_bytes: int = 10 * 1024 * 1024
    import_max_rows: int = 20_000
    file_store: str = "local"
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    # Review stages: days before a stage's due date when its reviewers are reminded.
    review_reminder_days: int = 2

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
            periodic_jobs=_env("METODIST_PERIODIC_JOBS", "1") == "1",
            tenant_spares=int(_env("METODIST_TENANT_SPARES", "50")),
            statement_cache_size=int(_env("METODIST_STATEMENT_CACHE_SIZE", "2000")),
            pool_recycle_s=int(_env("METODIST_POOL_RECYCLE_S", "600")),
            pool_size=int(_env("METODIST_POOL_SIZE", "10")),
            lock_timeout_ms=int(_env("METODIST_LOCK_TIMEOUT_MS", "5000")),
            demo_data=_env("METODIST_DEMO_DATA", "1") == "1",
            rate_limit_sign_in=int(_env("METODIST_RATE_LIMIT_SIGN_IN", "60")),
            rate_limit_tokens=int(_env("METODIST_RATE_LIMIT_TOKENS", "10")),
            public_url=_env("METODIST_PUBLIC_URL", f"http://{_env('HOST', '127.0.0.1')}:{_env('PORT', '8000')}"),
            oidc_issuer=_optional("METODIST_OIDC_ISSUER"),
            oidc_client_id=_optional("METODIST_OIDC_CLIENT_ID"),
            oidc_client_secret=_optional("METODIST_OIDC_CLIENT_SECRET"),
            oidc_name=_env("METODIST_OIDC_NAME", cls.oidc_name),
            oidc_scopes=_env("METODIST_OIDC_SCOPES", cls.oidc_scopes),
            oidc_userinfo=_env("METODIST_OIDC_USERINFO", "1") == "1",
            oidc_leeway_s=int(_env("METODIST_OIDC_LEEWAY_S", "60")),
            store_namespace=_env("METODIST_STORE_NAMESPACE", "metodist"),
            session_idle_s=int(_env("METODIST_SESSION_IDLE_S", "3600")),
            session_absolute_s=int(_env("METODIST_SESSION_ABSOLUTE_S", str(12 * 3600))),
            invitation_ttl_days=int(_env("METODIST_INVITATION_TTL_DAYS", "7")),
            smtp_host=_optional("METODIST_SMTP_HOST"),
            smtp_port=int(_env("METODIST_SMTP_PORT", "25")),
            smtp_sender=_env("METODIST_SMTP_SENDER", cls.smtp_sender),
            smtp_starttls=_env("METODIST_SMTP_STARTTLS", "0") == "1",
            smtp_username=_optional("METODIST_SMTP_USERNAME"),
            smtp_password=_optional("METODIST_SMTP_PASSWORD"),
            document_max_bytes=int(_env("METODIST_DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024))),
            import_max_bytes=int(_env("METODIST_IMPORT_MAX_BYTES", str(10 * 1024 * 1024))),
            import_max_rows=int(_env("METODIST_IMPORT_MAX_ROWS", "20000")),
            file_store=_env("METODIST_FILE_STORE", "local"),
            s3_endpoint=_optional("METODIST_S3_ENDPOINT"),
            s3_bucket=_optional("METODIST_S3_BUCKET"),
            s3_region=_env("METODIST_S3_REGION", "us-east-1"),
            s3_access_key=_optional("METODIST_S3_ACCESS_KEY"),
            s3_secret_key=_optional("METODIST_S3_SECRET_KEY"),
            review_reminder_days=int(_env("METODIST_REVIEW_REMINDER_DAYS", "2")),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
