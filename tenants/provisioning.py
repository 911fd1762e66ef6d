"""Creating, finishing, exporting and dropping a tenant's schema. Runs in background jobs and the CLI.

Provisioning is idempotent: it looks at what exists and does only what is missing, so a job that
died halfway is finished by running it again. What the organisation's row says about it (its status,
schema version, archive) is written by `api.domain.organisations.provisioning`, which calls these:
this package knows schemas, not organisations.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import weakref
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, libpq_dsn
from tenants.citus import distribute_sql, ensure_distributed
from tenants.ddl import audit_log_revoke, run_script, tenant_ddl, tenant_head
from tenants.naming import validate_schema_name
from tenants.spares import claim_spare
from tenants.upgrades import migrate_schema

_STATE_SQL = text(
    """
    SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = :s) AS has_schema,
           to_regclass(quote_ident(:s) || '.alembic_version') IS NOT NULL AS has_version
    """
)


@dataclass(frozen=True)
class SchemaState:
    has_schema: bool
    has_version: bool


async def schema_state(db: Database, schema: str) -> SchemaState:
    async with db.engine.connect() as conn:
        row = (await conn.execute(_STATE_SQL, {"s": validate_schema_name(schema)})).one()
    return SchemaState(row.has_schema, row.has_version)


async def create_schema(db: Database, schema: str) -> None:
    """The whole schema at head in one round trip; on a Citus cluster, distributed in the same
    transaction (tenants/citus.py)."""
    await run_script(db, tenant_ddl(schema) + await distribute_sql(db, schema))


_IMPOSTORS_SQL = text(
    """
    SELECT c.relname,
           CASE c.relkind WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view'
                          WHEN 'f' THEN 'a foreign table' WHEN 'S' THEN 'a sequence'
                          WHEN 'i' THEN 'an index' ELSE 'a relation of kind ' || c.relkind::text END AS what
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = :s AND c.relname = ANY(:names) AND c.relkind NOT IN ('r', 'p')
     ORDER BY 1
    """
)

_DIFF_WORDS = {"add": "missing", "remove": "unexpected", "modify": "different"}


class SchemaMismatch(RuntimeError):
    """What is in the schema cannot be finished into the tenant models."""


def _describe_diff(diff: list[object]) -> str:
    described: list[str] = []
    for entry in diff:
        for op in entry if isinstance(entry, list) else [entry]:
            assert isinstance(op, tuple)
            verb, _, kind = op[0].partition("_")
            names = [getattr(x, "name", None) or x for x in op[1:] if isinstance(x, str) or getattr(x, "name", None)]
            described.append(f"{_DIFF_WORDS.get(verb, verb)} {kind} {'.'.join(str(n) for n in names[:2])}")
    return "; ".join(described)


def _finish_schema(connection: Connection, schema: str) -> None:
    """A schema without a version table was cut short: create what is missing, then stamp it."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from api.models import tenant_metadata

    connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": schema})
    # `checkfirst` counts a view or sequence of a table's name as the table: name those instead.
    impostors = connection.execute(_IMPOSTORS_SQL, {"s": schema, "names": list(tenant_metadata.tables)}).all()
    if impostors:
        found = ", ".join(f"{schema}.{row.relname} is {row.what}" for row in impostors)
        raise SchemaMismatch(f"{found}, where a table belongs; drop or rename it and provision again")
    tenant_metadata.create_all(connection.execution_options(schema_translate_map={None: schema}), checkfirst=True)
    # A table left over from an older attempt may differ from head: stamp only what matches.
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, type_, _p: not (type_ == "table" and name == "alembic_version"),
        },
    )
    diff = compare_metadata(context, tenant_metadata)
    if diff:
        raise SchemaMismatch(f"{schema} differs from the tenant models: {_describe_diff(diff)}")
    connection.execute(
        text(
            f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    connection.execute(text(f"INSERT INTO {schema}.alembic_version (version_num) VALUES (:v)"), {"v": tenant_head()})
    connection.execute(text(audit_log_revoke(schema)))


async def ensure_schema(db: Database, schema: str) -> str:
    """Bring `schema` to head whatever state it is in; returns what was done. On a Citus cluster
    the schema ends distributed, whichever way it came (a spare built before the database became a
    cluster, a schema finished or migrated here)."""
    action = await _ensure_schema(db, schema)
    await ensure_distributed(db, schema)
    return action


async def _ensure_schema(db: Database, schema: str) -> str:
    state = await schema_state(db, schema)
    if not state.has_schema:
        if await claim_spare(db, schema) is not None:
            return "claimed"
        await create_schema(db, schema)
        return "created"
    if state.has_version:
        # `migrate_schema` holds a thread lock while Alembic awaits the database inside run_sync;
        # a second task reaching it on this event loop would block the loop's thread for good.
        async with _alembic_turn(), db.engine.begin() as conn:
            await conn.run_sync(lambda c: migrate_schema(c, schema))
            return "migrated"
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: _finish_schema(c, schema))
        return "finished"


_alembic_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _alembic_turn() -> asyncio.Lock:
    """One Alembic run at a time per event loop (Alembic keeps its state in module globals)."""
    loop = asyncio.get_running_loop()
    lock = _alembic_turns.get(loop)
    if lock is None:
        lock = _alembic_turns[loop] = asyncio.Lock()
    return lock


def pg_tool(name: str) -> str:
    """A PostgreSQL client program: the embedded server's own build first, else the machine's."""
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL client programs")
    return found


async def export_schema(database_url: str, schema: str, archive_dir: Path) -> Path:
    schema = validate_schema_name(schema)
    # A dump holds a whole organisation's records: readable by the service's user only, whatever
    # the process's umask (the file is made 0600 before pg_dump writes into it).
    archive_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    archive_dir.chmod(0o700)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = archive_dir / f"{schema}-{stamp}.sql"
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    target.chmod(0o600)
    process = await asyncio.create_subprocess_exec(
        pg_tool("pg_dump"),
        "--no-owner",
        "--schema",
        schema,
        "--file",
        str(target),
        libpq_dsn(database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        target.unlink(missing_ok=True)
        raise RuntimeError(f"pg_dump failed: {stderr.decode(errors='replace').strip()}")
    return target


async def drop_schema(session: AsyncSession, schema: str) -> None:
    """Drop the schema in the caller's transaction, so whatever the caller records with it (an
    organisation marked archived) is seen the moment the schema is gone."""
    await session.execute(text(f"DROP SCHEMA IF EXISTS {validate_schema_name(schema)} CASCADE"))
