"""Helpers of the tenancy tests: scratch databases, organisations made the real way, catalog snapshots."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy import Connection, make_url, text

from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.territories.services import TerritoryService
from api.settings import PROJECT_ROOT
from tests.support import fresh_bin

PLACEHOLDER = "<schema>"


def admin_dsn(database_url: str, database: str = "postgres") -> str:
    return make_url(database_url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def psql(database_url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """One statement on its own autocommit connection (set-up and assertions outside the app)."""
    with psycopg.connect(
        admin_dsn(database_url, make_url(database_url).database or "postgres"), autocommit=True
    ) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


async def register_organisation(db: Any, *, bin_: str | None = None, territory: str = "karaganda") -> Organisation:
    """An organisation registered through the service, as the API does it (status provisioning)."""
    async with db.session() as session, session.begin():
        place = await TerritoryService(session).by_slug(territory)
        return await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.COLLEGE,
                territory_id=place.id,
                bin=bin_ or fresh_bin(),
                name_kk="Сынақ колледжі",
                name_ru="Тестовый колледж",
                name_en="Test College",
                levels=[EducationLevel.TECHNICAL_VOCATIONAL],
            )
        )


async def organisation(db: Any, organisation_id: UUID) -> Organisation:
    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        assert org is not None
        return org


async def provisioned_organisation(db: Any) -> Organisation:
    from api.domain.organisations.provisioning import provision_organisation

    org = await register_organisation(db)
    assert await provision_organisation(db, org.id) == "active"
    return await organisation(db, org.id)


# --- the catalog, as the server sees it --------------------------------------------------------

_RELATIONS = """
SELECT c.relname, c.relkind::text, c.relpersistence::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(s)s ORDER BY 1
"""
_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, a.attcollation::regcollation::text
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = %(s)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY 1, 2
"""
_CONSTRAINTS = """
SELECT c.relname, k.conname, k.contype::text, pg_get_constraintdef(k.oid, true), k.condeferrable, k.condeferred
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = k.connamespace
 WHERE n.nspname = %(s)s ORDER BY 1, 2
"""
_INDEXES = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s ORDER BY 1, 2"
_SEQUENCES = """
SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size
  FROM pg_sequences WHERE schemaname = %(s)s ORDER BY 1
"""
_TRIGGERS = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(s)s AND NOT t.tgisinternal ORDER BY 1, 2
"""
_FUNCTIONS = """
SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = %(s)s ORDER BY 1, 2
"""


@dataclass(frozen=True)
class Catalog:
    relations: list[tuple[Any, ...]]
    columns: list[tuple[Any, ...]]
    constraints: list[tuple[Any, ...]]
    indexes: list[tuple[Any, ...]]
    sequences: list[tuple[Any, ...]]
    triggers: list[tuple[Any, ...]]
    functions: list[tuple[Any, ...]]
    version: list[tuple[Any, ...]]

    @property
    def tables(self) -> set[str]:
        return {name for name, kind, _ in self.relations if kind in ("r", "p")}


def _neutral(rows: list[tuple[Any, ...]], schema: str) -> list[tuple[Any, ...]]:
    """The schema's name replaced, so two tenants' catalogs compare equal when their shape is."""
    quoted = f'"{schema}".'
    return [
        tuple(
            v.replace(quoted, f"{PLACEHOLDER}.").replace(f"{schema}.", f"{PLACEHOLDER}.") if isinstance(v, str) else v
            for v in row
        )
        for row in rows
    ]


def catalog(database_url: str, schema: str) -> Catalog:
    """Everything the server knows about one schema's objects, in a comparable form."""
    with psycopg.connect(
        admin_dsn(database_url, make_url(database_url).database or "postgres"), autocommit=True
    ) as conn:

        def q(sql: str) -> list[tuple[Any, ...]]:
            return _neutral(conn.execute(sql, {"s": schema}).fetchall(), schema)

        has_version = conn.execute(
            "SELECT to_regclass(quote_ident(%(s)s) || '.alembic_version') IS NOT NULL", {"s": schema}
        ).fetchone()
        version = (
            conn.execute(f'SELECT version_num FROM "{schema}".alembic_version ORDER BY 1').fetchall()
            if has_version and has_version[0]
            else []
        )
        return Catalog(
            q(_RELATIONS),
            q(_COLUMNS),
            q(_CONSTRAINTS),
            q(_INDEXES),
            q(_SEQUENCES),
            q(_TRIGGERS),
            q(_FUNCTIONS),
            version,
        )


def schema_exists(database_url: str, schema: str) -> bool:
    return bool(psql(database_url, "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)))


def metadata_diff(connection: Connection, schema: str) -> list[Any]:
    """Alembic's autogenerate comparison of one tenant schema with the tenant models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from api.models import tenant_metadata

    with connection.begin():
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": schema})
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _p: not (type_ == "table" and name == "alembic_version"),
            },
        )
        return compare_metadata(context, tenant_metadata)


# --- the command line --------------------------------------------------------------------------


def metodist(database_url: str, *args: str, data_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`metodist …` in a child process against `database_url`, as an operator would run it."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "METODIST_ENV")}
    env.update(DATABASE_URL=database_url, METODIST_DATA_DIR=str(data_dir), PYTHONWARNINGS="ignore")
    return subprocess.run(
        [str(Path(sys.executable).parent / "metodist"), *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- Alembic, as an operator runs it -----------------------------------------------------------


@contextlib.contextmanager
def sync_connection(database_url: str) -> Iterator[Connection]:
    from sqlalchemy import create_engine, pool

    from api.db import sync_url

    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def tenant_alembic(conn: Connection, schema: str, action: str, revision: str, script_dir: Path | None = None) -> None:
    """`alembic upgrade|downgrade <revision>` through the tenant env, on one schema, committed."""
    from alembic import command

    from migrations.runner import TENANT_DIR, alembic_config

    config = alembic_config(script_dir or TENANT_DIR, connection=conn, schema=schema)
    getattr(command, action)(config, revision)
    conn.commit()


def tenant_revisions(script_dir: Path | None = None) -> list[str]:
    """The tenant track's revisions from the first to head (one line of history)."""
    from alembic.script import ScriptDirectory

    from migrations.runner import TENANT_DIR, alembic_config

    script = ScriptDirectory.from_config(alembic_config(script_dir or TENANT_DIR))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]
