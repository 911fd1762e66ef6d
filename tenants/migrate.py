"""Migrating every tenant schema: read all versions in a few statements, skip those at head, migrate the rest.

Each chunk of schemas is migrated in one transaction with a `lock_timeout`, by replaying the
revision path's SQL rendered once where it can and through Alembic where it must
(`tenants.upgrades`); when anything in a chunk fails, it is redone one schema per transaction, so
a failing schema is reported and the others go on. Alembic keeps its state in module globals, so
concurrency comes from a bounded pool of worker processes, used only when there is enough work
and there are cores to spare; each keeps one connection. The organisation's recorded
`schema_version` is updated in the same transaction as its schema, so a run that stops halfway
leaves every record true, and a rerun resumes: schemas at head are skipped. Progress is printed
as `[i/n]`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, pool, text

from api.db import sync_url
from migrations.runner import TENANT_DIR
from tenants.citus import HAS_CITUS
from tenants.metrics import record_migration_run
from tenants.upgrades import RECORD_VERSION_SQL, MigrationResult, head_of, migrate_chunk, prepare_connection

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
class RunReport:
    total: int
    skipped: int
    results: list[MigrationResult]
    seconds: float

    @property
    def failures(self) -> list[MigrationResult]:
        return [r for r in self.results if not r.ok]


def on_citus(engine: Engine) -> bool:
    """Whether the database is a Citus coordinator (its tenant schemas distributed over workers)."""
    with engine.connect() as conn:
        return bool(conn.scalar(HAS_CITUS))


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


class _Migrator:
    """One connection, reused for many chunks and renewed every RECONNECT_AFTER schemas."""

    def __init__(self, database_url: str, one_by_one: bool = False) -> None:
        self.engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
        self.conn: Connection | None = None
        self.used = 0
        # A Citus coordinator: replayed statements one per round trip (tenants.upgrades._replay).
        self.one_by_one = one_by_one

    def run(
        self, chunk: list[tuple[str, str | None]], script_dir: Path, lock_timeout_ms: int, replay: bool
    ) -> list[MigrationResult]:
        if self.conn is None or self.conn.invalidated or self.used >= RECONNECT_AFTER:
            self.close()
            self.conn = self.engine.connect()
            prepare_connection(self.conn)
            self.used = 0
        self.used += len(chunk)
        results = migrate_chunk(
            self.conn, chunk, script_dir, lock_timeout_ms, replay=replay, one_by_one=self.one_by_one
        )
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


def _init_worker(database_url: str, one_by_one: bool) -> None:
    global _worker
    _worker = _Migrator(database_url, one_by_one)


def _migrate_chunk_in_worker(
    chunk: list[tuple[str, str | None]], script_dir: str, lock_timeout_ms: int, replay: bool
) -> list[MigrationResult]:
    assert _worker is not None
    return _worker.run(chunk, Path(script_dir), lock_timeout_ms, replay)


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
    replay: bool = True,
) -> RunReport:
    """Bring every active or suspended tenant schema (or those in `only`) to the head of `script_dir`.

    `processes`: None decides by the work and the machine (see `_worker_count`); True or False
    forces worker processes or the calling process. `replay=False` runs every revision through
    Alembic schema by schema, as if each set `per_schema`.
    """
    started = time.perf_counter()
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        citus = on_citus(engine)
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
                how = f"{result.method}; {result.fallback}" if result.fallback else result.method
                progress(
                    f"[{len(results)}/{len(pending)}] {result.schema} {result.from_version or '-'} -> "
                    f"{result.to_version or '-'} {status} ({result.seconds * 1000:.0f} ms, {how})"
                )

        workers = _worker_count(concurrency, len(pending), len(chunks), processes)
        if workers == 0:
            migrator = _Migrator(database_url, citus)
            try:
                for part in chunks:
                    report(migrator.run(part, script_dir, lock_timeout_ms, replay))
            finally:
                migrator.dispose()
        else:
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_worker_context(),
                initializer=_init_worker,
                initargs=(database_url, citus),
            ) as executor:
                futures = [
                    executor.submit(_migrate_chunk_in_worker, part, str(script_dir), lock_timeout_ms, replay)
                    for part in chunks
                ]
                for future in as_completed(futures):
                    report(future.result())
        run = RunReport(len(versions), skipped, results, time.perf_counter() - started)
        _count(run)
        return run
    finally:
        engine.dispose()


def _count(run: RunReport) -> None:
    """The run in this process's metrics (tenants/metrics.py), for /metrics when the server ran it."""
    record_migration_run(run.results, failed=len(run.failures))


def _record_versions(engine: Engine, schemas: list[str], head: str) -> None:
    if not schemas:
        return
    with engine.begin() as conn:
        conn.execute(RECORD_VERSION_SQL, {"v": head, "s": schemas})
