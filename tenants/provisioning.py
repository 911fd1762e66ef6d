"""Creating, finishing and archiving a tenant's schema. Runs in background jobs and the CLI.

Provisioning is idempotent: it looks at what exists and does only what is missing, so a job that
died halfway is finished by running it again.
"""

from __future__ import annotations

import asyncio
import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import structlog
from sqlalchemy import Connection, text

from api.db import Database, libpq_dsn
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from migrations.runner import TENANT_DIR, head_revision
from tenants.ddl import tenant_ddl
from tenants.migrate import migrate_schema
from tenants.naming import validate_schema_name

log = structlog.get_logger()

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
    """The whole schema at head in one round trip: a multi-statement simple query is atomic."""
    script = tenant_ddl(schema)
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None and not driver.is_in_transaction()
        await driver.execute(script)


def _finish_schema(connection: Connection, schema: str) -> None:
    """A schema without a version table was cut short: create what is missing, then stamp it."""
    from api.models import tenant_metadata

    connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": schema})
    tenant_metadata.create_all(connection.execution_options(schema_translate_map={None: schema}), checkfirst=True)
    connection.execute(
        text(
            f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    connection.execute(
        text(f"INSERT INTO {schema}.alembic_version (version_num) VALUES (:v)"), {"v": head_revision(TENANT_DIR)}
    )


async def ensure_schema(db: Database, schema: str) -> str:
    """Bring `schema` to head whatever state it is in; returns what was done."""
    state = await schema_state(db, schema)
    if not state.has_schema:
        await create_schema(db, schema)
        return "created"
    async with db.engine.begin() as conn:
        if state.has_version:
            await conn.run_sync(lambda c: migrate_schema(c, schema))
            return "migrated"
        await conn.run_sync(lambda c: _finish_schema(c, schema))
        return "finished"


async def provision_organisation(db: Database, organisation_id: UUID) -> str:
    """Provision the organisation's schema and record the outcome in its status."""
    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        if org is None:
            raise LookupError(f"organisation {organisation_id} does not exist")
        if org.status in (OrgStatus.ARCHIVED, OrgStatus.SUSPENDED):
            return org.status
        schema = org.schema_name
    try:
        action = await ensure_schema(db, schema)
    except Exception as exc:  # noqa: BLE001 - the reason is kept on the organisation
        reason = f"{type(exc).__name__}: {exc}".strip()[:2000]
        log.warning("provisioning failed", organisation=str(organisation_id), schema=schema, reason=reason)
        await _set_status(db, organisation_id, OrgStatus.FAILED, reason=reason)
        return OrgStatus.FAILED
    await _set_status(db, organisation_id, OrgStatus.ACTIVE, version=head_revision(TENANT_DIR))
    log.info("provisioned", organisation=str(organisation_id), schema=schema, action=action)
    return OrgStatus.ACTIVE


async def _set_status(
    db: Database, organisation_id: UUID, status: OrgStatus, *, reason: str | None = None, version: str | None = None
) -> None:
    async with db.session() as session, session.begin():
        org = await session.get(Organisation, organisation_id, with_for_update=True)
        if org is None or org.status in (OrgStatus.ARCHIVED, OrgStatus.SUSPENDED):
            return
        org.status = status
        org.status_reason = reason
        if version is not None:
            org.schema_version = version
            org.provisioned_at = org.provisioned_at or datetime.datetime.now(datetime.UTC)


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
    archive_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = archive_dir / f"{schema}-{stamp}.sql"
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


async def archive_organisation(db: Database, database_url: str, organisation_id: UUID, archive_dir: Path) -> Path | None:
    """Export the schema with pg_dump, then drop it; the organisation stays, marked archived."""
    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        if org is None:
            raise LookupError(f"organisation {organisation_id} does not exist")
        schema = org.schema_name
    path: Path | None = None
    if (await schema_state(db, schema)).has_schema:
        path = await export_schema(database_url, schema, archive_dir)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {validate_schema_name(schema)} CASCADE"))
    async with db.session() as session, session.begin():
        org = await session.get(Organisation, organisation_id, with_for_update=True)
        assert org is not None
        org.status = OrgStatus.ARCHIVED
        org.archived_at = datetime.datetime.now(datetime.UTC)
        org.archive_path = str(path) if path else org.archive_path
    return path
