"""The tenant migrations' counters (prometheus-client's default registry); `api.metrics` serves them
at /metrics with the rest, and imports this module so they are there from the start."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge

MIGRATIONS = Counter(
    "metodist_tenant_migrations",
    "Tenant schemas migrated by outcome (ok, failed) and path (replayed, alembic)",
    ["outcome", "method"],
)
MIGRATION_RUNS = Counter("metodist_tenant_migration_runs", "Runs of the all-tenant migration by outcome", ["outcome"])
MIGRATION_LAST_RUN = Gauge(
    "metodist_tenant_migration_last_run_timestamp_seconds", "When the last all-tenant migration run ended"
)


def record_migration_run(results: list[Any], *, failed: int) -> None:
    """Called by `migrate_all` when a run ends."""
    for result in results:
        MIGRATIONS.labels("ok" if result.ok else "failed", result.method).inc()
    MIGRATION_RUNS.labels("failed" if failed else "ok").inc()
    MIGRATION_LAST_RUN.set_to_current_time()
