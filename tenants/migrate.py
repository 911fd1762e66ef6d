"""Migrating every tenant schema: read all versions at once, skip those at head, migrate the rest.

Alembic keeps its `op` and `context` proxies in module globals, so two migrations must never
interleave in one process. Concurrency therefore comes from a bounded pool of worker processes,
each migrating one schema at a time in its own transaction with a `lock_timeout`. Progress is
printed as `[i/n]`; a failing schema is reported and the run continues; a rerun resumes, since
schemas already at head are skipped.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, pool, text

from api.db import sync_url
from migrations.runner import TENANT_DIR, alembic_config
from tenants.naming import validate_schema_name

# Reads every tenant's version in one statement. The per-schema SELECT runs inside the server
# (a session-temporary PL/pgSQL function; the embedded server lacks libxml, so no query_to_xml),
# so 10,000 schemas cost one round trip instead of 10,000.
_VERSIONS_FUNCTION = text(
    """
    CREATE OR REPLACE FUNCTION pg_temp.metodist_tenant_versions()
    RETURNS TABLE (schema_name text, version text) LANGUAGE plpgsql AS $fn$
    DECLARE
        s text;
        v text;
    BEGIN
        FOR s IN SELECT o.schema_name FROM public.organisation o
                  WHERE o.status IN ('active', 'suspended') ORDER BY o.schema_name LOOP
            v := NULL;
            IF to_regclass(quote_ident(s) || '.alembic_version') IS NOT NULL THEN
                EXECUTE format('SELECT max(version_num) FROM %I.alembic_version', s) INTO v;
            END IF;
            schema_name := s;
            version := v;
            RETURN NEXT;
        END LOOP;
    END
    $fn$
    """
)
VERSIONS_SQL = text("SELECT schema_name, version FROM pg_temp.metodist_tenant_versions()")


@dataclass(frozen=True)
class MigrationResult:
    schema: str
    ok: bool
    from_version: str | None
    to_version: str | None
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class RunReport:
    total: int
    skipped: int
    results: list[MigrationResult]
    seconds: float

    @property
    def failures(self) -> list[MigrationResult]:
        return [r for r in self.results if not r.ok]


@lru_cache(maxsize=4)
def _script(script_dir: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(Path(script_dir)))


def head_of(script_dir: Path) -> str:
    head = _script(str(script_dir)).get_current_head()
    assert head is not None
    return head


def run_tenant_migrations(
    context: EnvironmentContext, connection: Connection, schema: str, lock_timeout_ms: int
) -> None:
    """What `migrations/tenant/env.py` does, shared with the runner so both behave alike."""
    from api.models import tenant_metadata

    schema = validate_schema_name(schema)
    context.configure(
        connection=connection,
        target_metadata=tenant_metadata,
        version_table_schema=schema,
        include_name=lambda name, type_, _parents: not (type_ == "table" and name == "alembic_version"),
        compare_type=True,
    )
    with context.begin_transaction():
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": schema})
        connection.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{lock_timeout_ms}ms"})
        context.run_migrations()


_alembic_lock = threading.Lock()


def migrate_schema(
    connection: Connection,
    schema: str,
    *,
    script_dir: Path = TENANT_DIR,
    lock_timeout_ms: int = 5000,
) -> None:
    """Upgrade one schema to head inside the caller's transaction."""
    script = _script(str(script_dir))

    def steps(revision, _context):  # type: ignore[no-untyped-def]
        return script._upgrade_revs("head", revision)

    config = alembic_config(script_dir)
    with _alembic_lock, EnvironmentContext(config, script, fn=steps, destination_rev="head") as context:
        run_tenant_migrations(context, connection, schema, lock_timeout_ms)


def read_versions(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        conn.execute(_VERSIONS_FUNCTION)
        return {row.schema_name: row.version for row in conn.execute(VERSIONS_SQL)}


# --- worker processes -------------------------------------------------------------------------

_worker_engine: Engine | None = None


def _init_worker(database_url: str) -> None:
    global _worker_engine
    # One connection per worker, closed after each schema so its catalog cache never grows.
    _worker_engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)


def _migrate_in_worker(schema: str, from_version: str | None, script_dir: str, lock_timeout_ms: int) -> MigrationResult:
    assert _worker_engine is not None
    started = time.perf_counter()
    try:
        with _worker_engine.begin() as conn:
            migrate_schema(conn, schema, script_dir=Path(script_dir), lock_timeout_ms=lock_timeout_ms)
        return MigrationResult(schema, True, from_version, head_of(Path(script_dir)), time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - reported per tenant, the run goes on
        message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return MigrationResult(schema, False, from_version, None, time.perf_counter() - started, message)


def migrate_all(
    database_url: str,
    *,
    concurrency: int = 4,
    script_dir: Path = TENANT_DIR,
    lock_timeout_ms: int = 5000,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] = print,
) -> RunReport:
    started = time.perf_counter()
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        versions = read_versions(engine)
        if only is not None:
            wanted = set(only)
            versions = {s: v for s, v in versions.items() if s in wanted}
        head = head_of(script_dir)
        pending = [(s, v) for s, v in versions.items() if v != head]
        skipped = len(versions) - len(pending)
        progress(f"{len(versions)} tenant schemas, {skipped} at head {head}, {len(pending)} to migrate")
        results: list[MigrationResult] = []
        if pending:
            workers = max(1, min(concurrency, len(pending)))
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(database_url,),
            ) as executor:
                futures = [
                    executor.submit(_migrate_in_worker, schema, version, str(script_dir), lock_timeout_ms)
                    for schema, version in pending
                ]
                for i, future in enumerate(as_completed(futures), start=1):
                    result = future.result()
                    results.append(result)
                    status = "ok" if result.ok else f"FAILED {result.error}"
                    progress(
                        f"[{i}/{len(pending)}] {result.schema} {result.from_version or '-'} -> "
                        f"{result.to_version or '-'} {status} ({result.seconds * 1000:.0f} ms)"
                    )
            _record_versions(engine, [r for r in results if r.ok], head)
        return RunReport(len(versions), skipped, results, time.perf_counter() - started)
    finally:
        engine.dispose()


def _record_versions(engine: Engine, done: list[MigrationResult], head: str) -> None:
    if not done:
        return
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE public.organisation SET schema_version = :v, updated_at = now() WHERE schema_name = ANY(:s)"),
            {"v": head, "s": [r.schema for r in done]},
        )
