"""Migrating every tenant schema: read all versions in a few statements, skip those at head, migrate the rest.

Alembic keeps its `op` and `context` proxies in module globals, so two migrations must never
interleave in one process. Concurrency therefore comes from a bounded pool of worker processes
(only when there is enough work and there are cores to spare). Each keeps one connection and
migrates a chunk of schemas per transaction with a `lock_timeout`; when anything in a chunk
fails, the chunk is redone one schema per transaction, so a failing schema is reported and the
others go on. The organisation's recorded `schema_version` is updated in the same transaction as
its schema, so a run that stops halfway leaves every record true, and a rerun resumes: schemas
at head are skipped. Progress is printed as `[i/n]`.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, pool, text

from api.db import sync_url
from migrations.runner import TENANT_DIR, alembic_config
from tenants.naming import validate_schema_name

# Reads tenants' versions inside the server (a session-temporary PL/pgSQL function; the embedded
# server lacks libxml, so no query_to_xml), a batch of schemas per round trip. Each read takes a
# lock on that schema's version table until the transaction ends, so every batch is a
# transaction of its own: 10,000 schemas in one would overflow the server's lock table.
_VERSIONS_FUNCTION = text(
    """
    CREATE OR REPLACE FUNCTION pg_temp.metodist_tenant_versions(names text[])
    RETURNS TABLE (schema_name text, version text) LANGUAGE plpgsql AS $fn$
    DECLARE
        s text;
        v text;
    BEGIN
        FOREACH s IN ARRAY names LOOP
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
_TENANTS_SQL = text(
    "SELECT schema_name FROM public.organisation WHERE status IN ('active', 'suspended') ORDER BY schema_name"
)
VERSIONS_SQL = text("SELECT schema_name, version FROM pg_temp.metodist_tenant_versions(:names)")
VERSIONS_BATCH = 1000

# Schemas per transaction in a worker: fewer commits, and still short lock holds.
CHUNK = 25
# Below this many schemas to migrate, starting worker processes costs more than it saves.
IN_PROCESS_BELOW = 100
# A backend caches the catalog of every schema it touched: a worker reconnects after this many.
RECONNECT_AFTER = 500


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
def _config(script_dir: str) -> Config:
    return alembic_config(Path(script_dir))


@lru_cache(maxsize=4)
def _script(script_dir: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(script_dir))


def head_of(script_dir: Path) -> str:
    head = _script(str(script_dir)).get_current_head()
    assert head is not None
    return head


def run_tenant_migrations(
    context: EnvironmentContext, connection: Connection, schema: str, lock_timeout_ms: int, *, with_models: bool = True
) -> None:
    """What `migrations/tenant/env.py` does, shared with the runner so both behave alike.

    The models only serve autogenerate; the runner's worker processes start faster without them.
    """
    schema = validate_schema_name(schema)
    target_metadata = None
    if with_models:
        from api.models import tenant_metadata as target_metadata
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_name=lambda name, type_, _parents: not (type_ == "table" and name == "alembic_version"),
        compare_type=True,
    )
    with context.begin_transaction():
        connection.execute(
            text("SELECT set_config('search_path', :s, true), set_config('lock_timeout', :t, true)"),
            {"s": schema, "t": f"{lock_timeout_ms}ms"},
        )
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

    config = _config(str(script_dir))
    with _alembic_lock, EnvironmentContext(config, script, fn=steps, destination_rev="head") as context:
        run_tenant_migrations(context, connection, schema, lock_timeout_ms, with_models=False)


def read_versions(engine: Engine, *, batch: int = VERSIONS_BATCH) -> dict[str, str | None]:
    """Every active or suspended tenant's version (None: no version table), by schema."""
    versions: dict[str, str | None] = {}
    with engine.connect() as conn:
        names = list(conn.scalars(_TENANTS_SQL))
        conn.execute(_VERSIONS_FUNCTION)
        conn.commit()
        for first in range(0, len(names), batch):
            for row in conn.execute(VERSIONS_SQL, {"names": names[first : first + batch]}):
                versions[row.schema_name] = row.version
            conn.commit()
    return versions


# --- migrating chunks of schemas -----------------------------------------------------------------

_RECORD_SQL = text(
    "UPDATE public.organisation SET schema_version = :v, updated_at = now() "
    "WHERE schema_name = ANY(:s) AND schema_version IS DISTINCT FROM :v"
)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _migrate_in_one_transaction(
    conn: Connection, chunk: list[tuple[str, str | None]], script_dir: Path, lock_timeout_ms: int
) -> list[MigrationResult]:
    """All of `chunk` or nothing: raises on the first failure, the transaction rolled back."""
    head = head_of(script_dir)
    results: list[MigrationResult] = []
    with conn.begin():
        for schema, version in chunk:
            started = time.perf_counter()
            migrate_schema(conn, schema, script_dir=script_dir, lock_timeout_ms=lock_timeout_ms)
            results.append(MigrationResult(schema, True, version, head, time.perf_counter() - started))
        conn.execute(_RECORD_SQL, {"v": head, "s": [r.schema for r in results]})
    return results


def migrate_chunk(
    conn: Connection, chunk: list[tuple[str, str | None]], script_dir: Path, lock_timeout_ms: int
) -> list[MigrationResult]:
    """Migrate `chunk` in one transaction, recording the versions in it too.

    Should anything fail (a schema, or the commit), the transaction is rolled back and the
    chunk is done again one schema per transaction, so only the schema at fault is reported
    failed. Failures are rare: the common case pays no savepoint round trips.
    """
    started = time.perf_counter()
    try:
        return _migrate_in_one_transaction(conn, chunk, script_dir, lock_timeout_ms)
    except Exception as exc:  # noqa: BLE001 - reported per tenant, the run goes on
        if len(chunk) > 1 and not conn.invalidated:
            return [r for item in chunk for r in migrate_chunk(conn, [item], script_dir, lock_timeout_ms)]
        return [
            MigrationResult(schema, False, version, None, time.perf_counter() - started, _error(exc))
            for schema, version in chunk
        ]


class _Migrator:
    """One connection, reused for many chunks and renewed every RECONNECT_AFTER schemas."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
        self.conn: Connection | None = None
        self.used = 0

    def run(self, chunk: list[tuple[str, str | None]], script_dir: Path, lock_timeout_ms: int) -> list[MigrationResult]:
        if self.conn is None or self.conn.invalidated or self.used >= RECONNECT_AFTER:
            self.close()
            self.conn = self.engine.connect()
            self.used = 0
        self.used += len(chunk)
        results = migrate_chunk(self.conn, chunk, script_dir, lock_timeout_ms)
        if self.conn.invalidated or self.conn.in_transaction():
            self.close()
        return results

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass
        self.conn = None

    def dispose(self) -> None:
        self.close()
        self.engine.dispose()


_worker: _Migrator | None = None


def _init_worker(database_url: str) -> None:
    global _worker
    _worker = _Migrator(database_url)


def _migrate_chunk_in_worker(
    chunk: list[tuple[str, str | None]], script_dir: str, lock_timeout_ms: int
) -> list[MigrationResult]:
    assert _worker is not None
    return _worker.run(chunk, Path(script_dir), lock_timeout_ms)


def _worker_count(concurrency: int, pending: int, chunks: int, processes: bool | None) -> int:
    """Worker processes to start; 0 means migrate in the calling process.

    Each worker keeps a core busy and its server backend another, and backends doing DDL side
    by side slow each other (every commit's catalog invalidations reach every backend): on two
    cores one process beats four (docs/performance.md). Small runs do not pay for starting any.
    """
    if processes is False or not chunks:
        return 0
    workers = min(concurrency, chunks)
    if processes is None:
        if pending < IN_PROCESS_BELOW:
            return 0
        workers = min(workers, (os.cpu_count() or 2) // 2)
    return workers if workers > 1 or processes else 0


def _worker_context() -> multiprocessing.context.BaseContext:
    # Workers fork from a server process that imported this module once (not from the caller,
    # which may hold threads and connections), instead of each importing everything afresh.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tenants.migrate", "alembic.runtime.migration", "alembic.operations"])
    return context


def migrate_all(
    database_url: str,
    *,
    concurrency: int = 4,
    script_dir: Path = TENANT_DIR,
    lock_timeout_ms: int = 5000,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] = print,
    chunk: int = CHUNK,
    processes: bool | None = None,
) -> RunReport:
    """Bring every active or suspended tenant schema (or those in `only`) to the head of `script_dir`.

    `processes`: None decides by the work and the machine (see `_worker_count`); True or False
    forces worker processes or the calling process.
    """
    started = time.perf_counter()
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        versions = read_versions(engine)
        if only is not None:
            wanted = set(only)
            versions = {s: v for s, v in versions.items() if s in wanted}
        head = head_of(script_dir)
        pending = [(s, v) for s, v in versions.items() if v != head]
        at_head = [s for s, v in versions.items() if v == head]
        skipped = len(at_head)
        progress(f"{len(versions)} tenant schemas, {skipped} at head {head}, {len(pending)} to migrate")
        # A run stopped between a schema's commit and the record's cannot happen (same transaction),
        # but a schema migrated by hand can: its record is brought up to date here.
        _record_versions(engine, at_head, head)
        results: list[MigrationResult] = []
        chunks = [pending[i : i + chunk] for i in range(0, len(pending), max(1, chunk))]

        def report(done: list[MigrationResult]) -> None:
            for result in done:
                results.append(result)
                status = "ok" if result.ok else f"FAILED {result.error}"
                progress(
                    f"[{len(results)}/{len(pending)}] {result.schema} {result.from_version or '-'} -> "
                    f"{result.to_version or '-'} {status} ({result.seconds * 1000:.0f} ms)"
                )

        workers = _worker_count(concurrency, len(pending), len(chunks), processes)
        if workers == 0:
            migrator = _Migrator(database_url)
            try:
                for part in chunks:
                    report(migrator.run(part, script_dir, lock_timeout_ms))
            finally:
                migrator.dispose()
        else:
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_worker_context(),
                initializer=_init_worker,
                initargs=(database_url,),
            ) as executor:
                futures = [
                    executor.submit(_migrate_chunk_in_worker, part, str(script_dir), lock_timeout_ms) for part in chunks
                ]
                for future in as_completed(futures):
                    report(future.result())
        return RunReport(len(versions), skipped, results, time.perf_counter() - started)
    finally:
        engine.dispose()


def _record_versions(engine: Engine, schemas: list[str], head: str) -> None:
    if not schemas:
        return
    with engine.begin() as conn:
        conn.execute(_RECORD_SQL, {"v": head, "s": schemas})
