"""Spare tenant schemas: built ahead of demand, so a new organisation gets its schema at once.

Building a tenant schema is the heaviest routine work the server does: some 35 tables and 100
indexes, each a file of its own with an fsync, 50–100 ms of server CPU (docs/performance.md).
Organisations arrive in waves (a region onboards its schools in one sitting), so the worker keeps
`tenant_spares` schemas built in quiet time, named `t_spare_…`, each with a row in
`public.spare_schema` written in the same transaction as the schema. Provisioning claims one:
deletes its row and renames the schema to the organisation's, in one transaction; with none left
it builds the schema itself. A spare built for an older tenant head is never claimed; the
replenisher drops it and builds a new one.

The replenisher builds only while no organisation waits for its schema: during a wave the
server's CPU goes to the organisations waiting (claims first, then schemas built on demand),
and the spares are rebuilt once it is over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.db import Database, advisory_key, advisory_lock, sqlstate
from tenants.citus import distribute_sql
from tenants.ddl import run_script, tenant_ddl, tenant_head
from tenants.naming import validate_schema_name

log = structlog.get_logger()

SPARE_PREFIX = "t_spare_"
# pg_try_advisory_lock key: one replenisher at a time across processes.
_REPLENISH_LOCK = advisory_key("spares:replenish")

_CLAIM_SQL = text(
    """
    DELETE FROM public.spare_schema
     WHERE id = (SELECT id FROM public.spare_schema WHERE version = :v
                  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING name
    """
)
_COUNT_SQL = text(
    "SELECT count(*) FILTER (WHERE version = :v), count(*) FILTER (WHERE version <> :v) FROM public.spare_schema"
)
_STALE_SQL = text("SELECT name FROM public.spare_schema WHERE version <> :v ORDER BY created_at")
_TAKE_STALE_SQL = text("DELETE FROM public.spare_schema WHERE name = :n AND version <> :v RETURNING name")
# Organisations waiting for their schema. One stuck for longer (its job lost) stops holding
# the spares back; the server re-queues it at its next start.
_WAITING_SQL = text(
    "SELECT EXISTS (SELECT 1 FROM public.organisation "
    "WHERE status = 'provisioning' AND updated_at > now() - interval '10 minutes')"
)


async def build_spare(db: Database) -> str:
    """One spare at the tenant head: schema and row in one round trip, so both or neither."""
    name = validate_schema_name(f"{SPARE_PREFIX}{uuid.uuid4().hex}")
    # On a Citus cluster the spare is distributed as it is built: renaming it later keeps its worker.
    await run_script(
        db,
        tenant_ddl(name)
        + await distribute_sql(db, name)
        + "INSERT INTO public.spare_schema (id, name, version, created_at, updated_at) "
        f"VALUES (gen_random_uuid(), '{name}', '{tenant_head()}', now(), now());\n",
    )
    return name


async def claim_spare(db: Database, schema: str) -> str | None:
    """Rename a spare at the tenant head to `schema`; the spare's old name, or None if none is left.

    `SKIP LOCKED`: simultaneous claims take different spares instead of queueing for one. A row
    whose schema is gone (dropped by hand) is deleted and the next spare taken, so one bad row
    cannot stop every provisioning after it.
    """
    schema = validate_schema_name(schema)
    while True:
        async with db.engine.begin() as conn:
            name = (await conn.execute(_CLAIM_SQL, {"v": tenant_head()})).scalar_one_or_none()
            if name is None:
                return None
            try:
                async with conn.begin_nested():
                    await conn.execute(text(f"ALTER SCHEMA {validate_schema_name(name)} RENAME TO {schema}"))
            except DBAPIError as exc:
                if sqlstate(exc) != "3F000":  # invalid_schema_name
                    raise
                log.warning("spare schema missing; its row is dropped", spare=name)
                continue  # the row's deletion commits with this transaction
        return str(name)


@dataclass(frozen=True)
class SpareCount:
    at_head: int
    stale: int


async def count_spares(db: Database) -> SpareCount:
    async with db.engine.connect() as conn:
        row = (await conn.execute(_COUNT_SQL, {"v": tenant_head()})).one()
    return SpareCount(row[0], row[1])


@dataclass(frozen=True)
class Replenished:
    built: int
    dropped: int
    at_head: int
    # Another replenisher held the lock: this one did nothing.
    busy: bool = False
    # Stopped short because organisations were waiting for their schemas.
    yielded: bool = False


async def _organisations_waiting(db: Database) -> bool:
    async with db.engine.connect() as conn:
        return bool((await conn.execute(_WAITING_SQL)).scalar())


async def _drop_stale(db: Database) -> int:
    head = tenant_head()
    async with db.engine.connect() as conn:
        names = list((await conn.scalars(_STALE_SQL, {"v": head})).all())
    dropped = 0
    for name in names:
        async with db.engine.begin() as conn:
            if (await conn.execute(_TAKE_STALE_SQL, {"n": name, "v": head})).scalar_one_or_none() is None:
                continue
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {validate_schema_name(name)} CASCADE"))
        dropped += 1
    return dropped


async def replenish(db: Database, target: int, *, yield_to_provisioning: bool = True) -> Replenished:
    """Drop spares of an older head, then build spares until `target` are at head.

    Claims may go on meanwhile, so the count is read again after each spare; the number built
    in one call is bounded, and the next call carries on. With `yield_to_provisioning`, it stops
    as soon as an organisation is waiting for its schema (the caller tries again later).
    """
    async with advisory_lock(db.engine, _REPLENISH_LOCK, wait=False) as taken:
        if not taken:
            return Replenished(0, 0, (await count_spares(db)).at_head, busy=True)
        dropped = await _drop_stale(db)
        built = 0
        yielded = False
        at_head = (await count_spares(db)).at_head
        while at_head < target and built < 2 * target:
            if yield_to_provisioning and await _organisations_waiting(db):
                yielded = True
                break
            await build_spare(db)
            built += 1
            at_head = (await count_spares(db)).at_head
        if built or dropped:
            log.info("spare schemas replenished", built=built, dropped=dropped, at_head=at_head, target=target)
        return Replenished(built, dropped, at_head, yielded=yielded)
