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


DEFAULT_SECRET_KEY = "development-only-secret-key-change-me"
# A production key must be at least this long (32 characters of `openssl rand -base64 32` or
# `python -c "import secrets; print(secrets.token_urlsafe(32))"` are about 256 bits).
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(Exception):
    """The environment asks for something unsafe or contradictory; the message names the setting."""


def _secret_keys() -> tuple[str, tuple[str, ...]]:
    """The newest key and the older ones still accepted for reading.

    METODIST_SECRET_KEYS lists keys newest first (comma-separated); METODIST_SECRET_KEY is one key.
    Both may be set only if they agree on the newest.
    """
    listed = [k.strip() for k in (os.environ.get("METODIST_SECRET_KEYS") or "").split(",") if k.strip()]
    single = _optional("METODIST_SECRET_KEY")
    if listed:
        if single is not None and single != listed[0]:
            raise ConfigurationError(
                "METODIST_SECRET_KEY and METODIST_SECRET_KEYS disagree: the first of METODIST_SECRET_KEYS "
                "is the newest key; set one of the two, or the same newest key in both."
            )
        return listed[0], tuple(dict.fromkeys(k for k in listed[1:] if k != listed[0]))
    return single or DEFAULT_SECRET_KEY, ()


def _citus_mode(value: str) -> str:
    mode = {"1": "on", "true": "on", "0": "off", "false": "off"}.get(value.lower(), value.lower())
    if mode not in ("auto", "on", "off"):
        raise ConfigurationError(f"METODIST_CITUS must be auto, on or off, not {value!r}")
    return mode


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    # The application's connection (DATABASE_URL): a role that owns nothing (api.db_roles).
    database_url: str | None = None
    # The owner's connection (METODIST_OWNER_DATABASE_URL): migrations, schema building, jobs.
    # Unset: DATABASE_URL does both (one role); with the embedded server the two are separated.
    owner_database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = PROJECT_ROOT / ".data"
    # The newest key: it encrypts new secrets at rest and signs CSRF tokens. Older keys
    # (METODIST_SECRET_KEYS after the first) still decrypt what they encrypted until
    # `metodist keys rotate` has re-encrypted it (api.identity.crypto).
    secret_key: str = DEFAULT_SECRET_KEY
    old_secret_keys: tuple[str, ...] = ()
    # Bound on concurrent work per process: tenant migrations, provisioning jobs.
    migrate_concurrency: int = 4
    # Jobs are mostly waits on PostgreSQL (a schema build is its work and its fsyncs): eight at
    # once built schemas ~1.3x as fast as four on two busy cores, and matched the worker to the
    # in-process provisioning it was measured against (docs/performance.md).
    worker_concurrency: int = 8
    # Scheduled jobs (review reminders, digests) in this process's worker; off where another
    # process runs them, and in tests that call them directly.
    periodic_jobs: bool = True
    # Tenant schemas kept built ahead of demand, so a new organisation gets its schema at once
    # (tenants/spares.py); 0 builds every schema on demand.
    tenant_spares: int = 50
    # Prepared statements are keyed on the final SQL, which names the tenant schema: the cache
    # (SQLAlchemy's asyncpg dialect's, and asyncpg's own) must hold one entry per statement per
    # active tenant.
    statement_cache_size: int = 2000
    # Connections keep per-schema catalog caches; recycle them so memory stays bounded.
    pool_recycle_s: int = 600
    pool_size: int = 10
    # Ping each pooled connection before use (METODIST_POOL_PRE_PING=1): three round trips per
    # checkout, worth it only where connections are cut often (a proxy that drops idle ones).
    pool_pre_ping: bool = False
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
    # DNS servers asked for sign-in domains' TXT records (host or host:port); empty: the system's.
    dns_nameservers: tuple[str, ...] = ()
    dns_timeout_s: float = 5.0
    # Review stages: days before a stage's due date when its reviewers are reminded.
    review_reminder_days: int = 2
    # A Citus cluster (tenants/citus.py): "auto" distributes each tenant schema when the database has
    # the citus extension, "on" requires it, "off" never distributes.
    citus: str = "auto"
    # Who may read /metrics besides the loopback interface (api/metrics.py): this bearer token.
    metrics_token: str | None = None
    # Log lines as JSON objects (api/logs.py); "0" prints them for a person at a terminal.
    log_json: bool = True

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Every key that may decrypt, newest first."""
        return (self.secret_key, *self.old_secret_keys)

    def unsafe_reasons(self) -> list[str]:
        """Why this configuration must not serve production; empty when it may (or is not production)."""
        if self.environment != "production":
            return []
        reasons = []
        if self.secret_key == DEFAULT_SECRET_KEY:
            reasons.append(
                "METODIST_SECRET_KEY is not set (the built-in development key would be used, and anyone "
                "who has the source could decrypt the identity providers' client secrets)"
            )
        elif len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            reasons.append(
                f"METODIST_SECRET_KEY is too short ({len(self.secret_key)} characters; at least "
                f"{MIN_SECRET_KEY_LENGTH} are required)"
            )
        elif len(set(self.secret_key)) < 8:
            reasons.append("METODIST_SECRET_KEY is too repetitive to be a random key")
        elif "change-me" in self.secret_key.lower():
            reasons.append("METODIST_SECRET_KEY is still the example's placeholder (deploy/metodist.env.example)")
        return reasons

    def check_safe(self) -> None:
        """Refuse to serve production with a weak configuration (`metodist serve`/`worker`, the app)."""
        reasons = self.unsafe_reasons()
        if reasons:
            raise ConfigurationError(
                "Refusing to start with METODIST_ENV=production: "
                + "; ".join(reasons)
                + ". Set METODIST_SECRET_KEY to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters (or METODIST_SECRET_KEYS, newest first, to rotate)."
            )

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archives"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("METODIST_DATA_DIR", str(PROJECT_ROOT / ".data")))
        secret_key, old_secret_keys = _secret_keys()
        return cls(
            environment=_env("METODIST_ENV", "development"),
            database_url=_optional("DATABASE_URL"),
            owner_database_url=_optional("METODIST_OWNER_DATABASE_URL"),
            redis_url=_optional("REDIS_URL"),
            host=_env("HOST", "127.0.0.1"),
            port=int(_env("PORT", "8000")),
            data_dir=data_dir,
            secret_key=secret_key,
            old_secret_keys=old_secret_keys,
            migrate_concurrency=int(_env("METODIST_MIGRATE_CONCURRENCY", "4")),
            worker_concurrency=int(_env("METODIST_WORKER_CONCURRENCY", "8")),
            periodic_jobs=_env("METODIST_PERIODIC_JOBS", "1") == "1",
            tenant_spares=int(_env("METODIST_TENANT_SPARES", "50")),
            statement_cache_size=int(_env("METODIST_STATEMENT_CACHE_SIZE", "2000")),
            pool_recycle_s=int(_env("METODIST_POOL_RECYCLE_S", "600")),
            pool_size=int(_env("METODIST_POOL_SIZE", "10")),
            pool_pre_ping=_env("METODIST_POOL_PRE_PING", "0") == "1",
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
            citus=_citus_mode(_env("METODIST_CITUS", "auto")),
            metrics_token=_optional("METODIST_METRICS_TOKEN"),
            log_json=_env("METODIST_LOG_JSON", "1") == "1",
            dns_nameservers=tuple(n.strip() for n in _env("METODIST_DNS_NAMESERVERS", "").split(",") if n.strip()),
            dns_timeout_s=float(_env("METODIST_DNS_TIMEOUT_S", "5")),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
