"""Prometheus metrics at `/metrics` (prometheus-client; Litestar's Prometheus middleware times requests).

What is measured, and where:

- `metodist_request_duration_seconds{method,path,status_code,app_name}` (and `_requests_total`):
  every request by route template (`/api/organisations/{organisation_id}`), never by raw path, so
  the series stay few. Litestar's `PrometheusMiddleware`, on the API and the web app.
- `metodist_job_duration_seconds{function,outcome}`: every background job (`api/jobs.py` hooks).
- `metodist_jobs{state}`: jobs queued, active, and not yet complete, read at each scrape.
- `metodist_provisioning_total{outcome,action}`: schemas provisioned (`claimed` a spare, `created`,
  `migrated`, `finished`) and failures (`api/domain/organisations/provisioning.py`).
- `metodist_spare_schemas{state}`: spares left at the tenant head, and stale ones, read at each scrape.
- `metodist_organisations{status}`: organisations by status (a `provisioning` or `failed` count
  that stays up is the alert).
- `metodist_tenant_migrations_total{outcome,method}`, `metodist_tenant_migration_runs_total{outcome}`,
  `metodist_tenant_migration_last_run_timestamp_seconds`: `metodist tenants migrate` and the
  migration `metodist serve` runs at start (`tenants/migrate.py`).
- `metodist_compliance_unchecked_organisations` and `metodist_compliance_oldest_check_age_seconds`:
  active organisations whose compliance findings were never computed, and the age of the oldest
  computation among them (a change is recomputed within seconds, the nightly pass redoes all: an
  age over a day or an unchecked count that stays up means the recomputes stopped).
- `metodist_db_pool_connections{state}`: the process's connection pool (in use, idle, size, overflow).
- `metodist_citus_nodes{state}` and `metodist_citus_schemas{node}` when the database is a Citus cluster.

Who may read it: the loopback interface without a proxy in between (a Prometheus on the same host,
or an agent there), or anyone presenting `Authorization: Bearer <METODIST_METRICS_TOKEN>` when that
setting is set. A request that came through the proxy (it carries `X-Forwarded-For`) is refused
without the token, and `deploy/nginx.conf.example` does not pass `/metrics` on at all: the figures
name routes and tenant counts, nothing a visitor needs.

Each process has its own registry: scrape every process (they listen on their own ports).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar import Request, Response, get
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import text

from api.access import Scope, access
from api.errors import Forbidden
from api.i18n import N_

# The tenant migrations' counters are declared where the runs happen (tenants/ imports nothing of
# api but the database layer); imported here so /metrics has them from the start.
from tenants import metrics as _tenant_metrics  # noqa: F401

_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]


def prometheus_config(app_name: str) -> PrometheusConfig:
    """Request timing for one Litestar app: by route template, method and status."""
    return PrometheusConfig(app_name=app_name, prefix="metodist", group_path=True, buckets=_LATENCY_BUCKETS)


JOB_DURATION = Histogram(
    "metodist_job_duration_seconds",
    "Background jobs by function and outcome (complete, failed), in seconds",
    ["function", "outcome"],
    buckets=[0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
)
JOBS = Gauge("metodist_jobs", "Jobs in the queue by state (queued, active, incomplete), read at scrape", ["state"])
PROVISIONING = Counter(
    "metodist_provisioning",
    "Tenant schemas provisioned, by outcome (active, failed) and what was done (claimed, created, migrated, finished)",
    ["outcome", "action"],
)
SPARES = Gauge("metodist_spare_schemas", "Spare tenant schemas by state (at_head, stale), read at scrape", ["state"])
ORGANISATIONS = Gauge("metodist_organisations", "Organisations by status, read at scrape", ["status"])
COMPLIANCE_UNCHECKED = Gauge(
    "metodist_compliance_unchecked_organisations", "Active organisations whose compliance findings were never computed"
)
COMPLIANCE_AGE = Gauge(
    "metodist_compliance_oldest_check_age_seconds",
    "Seconds since the oldest compliance computation among active organisations, read at scrape",
)
POOL = Gauge(
    "metodist_db_pool_connections", "The process's database pool by state (in_use, idle, size, overflow)", ["state"]
)
CITUS_NODES = Gauge("metodist_citus_nodes", "Citus worker nodes by state (active, inactive)", ["state"])
CITUS_SCHEMAS = Gauge("metodist_citus_schemas", "Distributed tenant schemas by the worker that holds them", ["node"])


_ORGANISATIONS_SQL = text("SELECT status, count(*) FROM public.organisation GROUP BY status")
_COMPLIANCE_SQL = text(
    "SELECT count(*) FILTER (WHERE r.checked_at IS NULL), "
    "coalesce(extract(epoch FROM now() - min(r.checked_at)), 0) "
    "FROM public.organisation o LEFT JOIN public.compliance_check_run r ON r.organisation_id = o.id "
    "WHERE o.status = 'active'"
)
_CITUS_NODES_SQL = text(
    "SELECT CASE WHEN isactive THEN 'active' ELSE 'inactive' END, count(*) FROM pg_dist_node "
    "WHERE noderole = 'primary' AND groupid <> 0 GROUP BY 1"
)
# Where each distributed schema's shards are (all of a schema's tables sit together on one node).
_CITUS_SCHEMAS_SQL = text(
    """
    SELECT n.nodename || ':' || n.nodeport, count(DISTINCT ds.schemaid)
      FROM pg_dist_schema ds
      JOIN pg_dist_partition dp ON dp.colocationid = ds.colocationid
      JOIN pg_dist_shard sh ON sh.logicalrelid = dp.logicalrelid
      JOIN pg_dist_placement pl ON pl.shardid = sh.shardid
      JOIN pg_dist_node n ON n.groupid = pl.groupid
     GROUP BY 1
    """
)


async def refresh(state: Any) -> None:
    """The gauges read from the database and the queue, just before a scrape renders them."""
    from tenants.citus import is_citus
    from tenants.spares import count_spares

    db = state.db
    pool = db.engine.sync_engine.pool
    if hasattr(pool, "checkedout"):
        POOL.labels("in_use").set(pool.checkedout())
        POOL.labels("idle").set(pool.checkedin())
        POOL.labels("size").set(pool.size())
        POOL.labels("overflow").set(max(pool.overflow(), 0))
    queue = state.jobs.queue
    for kind in ("queued", "active", "incomplete"):
        JOBS.labels(kind).set(await queue.count(kind))
    spares = await count_spares(db)
    SPARES.labels("at_head").set(spares.at_head)
    SPARES.labels("stale").set(spares.stale)
    async with db.engine.connect() as conn:
        counts = dict((await conn.execute(_ORGANISATIONS_SQL)).all())
        for status in ("provisioning", "active", "failed", "suspended", "archived", *counts):
            ORGANISATIONS.labels(status).set(counts.get(status, 0))
        unchecked, oldest_age = (await conn.execute(_COMPLIANCE_SQL)).one()
        COMPLIANCE_UNCHECKED.set(unchecked)
        COMPLIANCE_AGE.set(float(oldest_age))
        if await is_citus(db):
            CITUS_NODES.clear()
            for node_state, count in (await conn.execute(_CITUS_NODES_SQL)).all():
                CITUS_NODES.labels(node_state).set(count)
            CITUS_SCHEMAS.clear()
            for node, count in (await conn.execute(_CITUS_SCHEMAS_SQL)).all():
                CITUS_SCHEMAS.labels(node).set(count)


METRICS_REFUSED = N_(
    "Metrics are served to this host's loopback interface, or with the metrics token "
    "(METODIST_METRICS_TOKEN) as 'Authorization: Bearer <token>'."
)


def _header(request: Request[Any, Any, Any], name: str) -> str | None:
    return request.headers.get(name)


def may_read(request: Request[Any, Any, Any]) -> bool:
    settings = request.app.state.settings
    token = settings.metrics_token
    authorization = _header(request, "authorization") or ""
    scheme, _, presented = authorization.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
        return True
    if _header(request, "x-forwarded-for") or _header(request, "forwarded"):
        return False  # it came through the proxy: from outside, whatever the socket says
    client = request.scope.get("client")
    try:
        return client is not None and ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


@get(
    "/metrics",
    name="system:metrics",
    operation_id="Metrics",
    include_in_schema=False,
    # Public in the sense of needing no user: the handler admits loopback callers or the metrics token.
    opt=access(Scope.PUBLIC),
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The process's metrics in Prometheus's text format."""
    if not may_read(request):
        raise Forbidden(METRICS_REFUSED)
    await refresh(request.app.state)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
