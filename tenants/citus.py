"""Tenant schemas on a Citus cluster: schema-based sharding.

When the database is a Citus coordinator (the `citus` extension is installed in it; setting
`METODIST_CITUS`: `auto` detects it, `on` requires it, `off` never distributes), every tenant
schema is a *distributed schema*: `citus_schema_distribute` makes each of its tables a
single-shard table, and all of one schema's shards sit together on one worker, so a tenant's
queries, foreign keys and transactions stay on one node. The control plane (`public`) stays on
the coordinator as plain local tables; the application and the migrations talk to the coordinator
only, which routes each tenant statement to the worker that holds the schema.

Provisioning distributes a schema in the same transaction that builds it (the rendered DDL, then
`citus_schema_distribute`, in one multi-statement query), spares included; a spare keeps its worker
when it is renamed to an organisation's schema. A schema that exists undistributed (built before
the database became a cluster, or by hand) is distributed when provisioning next sees it.

Triggers on distributed tables are refused unless `citus.enable_unsafe_triggers` is on. The audit
log's append-only triggers only raise an error about their own row or statement, and their function
is in the same schema: the case Citus calls safe for colocated single-shard tables. The setting is
turned on for the distributing transaction only (`SET LOCAL`); Citus then creates the triggers on
the worker's shard, where they refuse UPDATE, DELETE and TRUNCATE as on a single server
(tests/citus/test_tenancy.py). The rest of what Citus refused, and what changed: docs/operations.md.
"""

from __future__ import annotations

import structlog
from sqlalchemy import text

from api.db import Database
from tenants.naming import validate_schema_name

log = structlog.get_logger()

HAS_CITUS = text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
_IS_DISTRIBUTED = text("SELECT EXISTS (SELECT 1 FROM pg_dist_schema WHERE schemaid = to_regnamespace(:s))")


class CitusMissing(RuntimeError):
    """METODIST_CITUS=on, and the database is not a Citus coordinator."""


async def is_citus(db: Database) -> bool:
    """Whether tenant schemas are distributed on this database (detected once per Database)."""
    if db.citus == "off":
        return False
    if db.citus_detected is None:
        async with db.engine.connect() as conn:
            db.citus_detected = bool(await conn.scalar(HAS_CITUS))
    if db.citus == "on" and not db.citus_detected:
        raise CitusMissing(
            "METODIST_CITUS=on but the database has no citus extension: run "
            "deploy/citus/cluster.sh (or CREATE EXTENSION citus on the coordinator) first"
        )
    return db.citus_detected


async def distribute_sql(db: Database, schema: str) -> str:
    """The statements, appended to a schema's DDL script, that make it a distributed schema on a
    Citus cluster; nothing on a single server.

    `SET LOCAL`: the script runs as one transaction (a multi-statement simple query), so the
    setting ends with it and never stays on a pooled connection.
    """
    schema = validate_schema_name(schema)
    if not await is_citus(db):
        return ""
    return f"SET LOCAL citus.enable_unsafe_triggers TO on;\nSELECT citus_schema_distribute('{schema}');\n"


async def is_distributed(db: Database, schema: str) -> bool:
    async with db.engine.connect() as conn:
        return bool(await conn.scalar(_IS_DISTRIBUTED, {"s": validate_schema_name(schema)}))


async def ensure_distributed(db: Database, schema: str) -> bool:
    """Distribute `schema` if the database is a cluster and it is not yet; True if it was done now."""
    if not await is_citus(db) or await is_distributed(db, schema):
        return False
    async with db.engine.begin() as conn:
        await conn.execute(text("SET LOCAL citus.enable_unsafe_triggers TO on"))
        await conn.execute(text("SELECT citus_schema_distribute(:s)"), {"s": validate_schema_name(schema)})
    log.info("tenant schema distributed", schema=schema)
    return True
