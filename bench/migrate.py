"""How fast tenant schemas are migrated: `python bench/migrate.py --tenants N`.

N organisations are registered through `OrganisationService.create` and their schemas created
from the rendered provisioning DDL (`tenants.ddl.tenant_ddl`), many per round trip. A temporary
copy of migrations/tenant gets one throw-away additive revision (a nullable column), and
`tenants.migrate.migrate_all` applies it to every schema; a second run has nothing to apply (the
no-op figure). Baselines, measured in the same run: the no-op check done one query per schema,
`alembic upgrade` run per schema on a sample (a fresh connection each, as a shell loop does), and
the runner itself without replay (`replay=False`: Alembic per schema, in chunks on one
connection) on another sample. Last line: `... ratio=<vs the runner without replay>
schemas_per_s=<float> noop_s=<float>`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    bench_settings,
    git_revision,
    machine,
    open_database,
    organisation_create,
    run,
    say,
    server_version,
    territory_id,
    throwaway_database,
)

REVISION = "bench00000001"
SAMPLE_REVISION = "bench00000002"


def throwaway_tracks(root: Path) -> tuple[Path, Path]:
    """Two copies of migrations/tenant: head + one revision, and head + two (for the baseline sample)."""
    from migrations.throwaway import throwaway_track

    one = throwaway_track(root / "one", [(REVISION, "bench_note")])
    two = throwaway_track(root / "two", [(REVISION, "bench_note"), (SAMPLE_REVISION, "bench_sample")])
    return one, two


async def create_tenants(db: Any, url: str, count: int, batch: int = 250, connections: int = 4) -> float:
    """Organisations through the service, schemas from the provisioning DDL, many per round trip."""
    import asyncpg
    from sqlalchemy import update

    from api.db import libpq_dsn
    from api.domain.organisations.models import Organisation
    from api.domain.organisations.services import OrganisationService
    from migrations.runner import TENANT_DIR, head_revision
    from tenants.ddl import tenant_ddl

    started = time.perf_counter()
    place = await territory_id(db)
    schemas: list[str] = []
    for first in range(0, count, batch):
        async with db.session() as session, session.begin():
            service = OrganisationService(session)
            for _ in range(min(batch, count - first)):
                schemas.append((await service.create(organisation_create(place))).schema_name)
    say(f"  {count} organisations registered in {time.perf_counter() - started:.1f}s")

    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    # A few schemas per script: each holds a lock per relation it creates until it commits.
    for first in range(0, count, 4):
        queue.put_nowait(schemas[first : first + 4])
    done = 0

    async def worker() -> None:
        nonlocal done
        conn = await asyncpg.connect(libpq_dsn(url))
        try:
            while not queue.empty():
                group = queue.get_nowait()
                await conn.execute("\n".join(tenant_ddl(s) for s in group))
                done += len(group)
                if done % 1000 < len(group):
                    say(f"  {done} schemas created ({time.perf_counter() - started:.0f}s)")
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    async with db.session() as session, session.begin():
        await session.execute(update(Organisation).values(status="active", schema_version=head_revision(TENANT_DIR)))
    return time.perf_counter() - started


def baseline_noop(url: str) -> float:
    """The no-op check the simple way: each schema's version read with a query of its own."""
    import psycopg

    from api.db import libpq_dsn

    started = time.perf_counter()
    # Autocommit: in one transaction, 10,000 reads would hold 10,000 locks and overflow the lock table.
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        schemas = [r[0] for r in conn.execute("SELECT schema_name FROM public.organisation WHERE status = 'active'")]
        for schema in schemas:
            conn.execute(f"SELECT version_num FROM {schema}.alembic_version").fetchone()
    return time.perf_counter() - started


def baseline_upgrade(url: str, track: Path, schemas: list[str]) -> float:
    """`alembic upgrade head` per schema, a fresh connection each: what a shell loop over schemas does."""
    from alembic import command
    from sqlalchemy import create_engine, pool

    from api.db import sync_url
    from migrations.runner import alembic_config

    started = time.perf_counter()
    for schema in schemas:
        engine = create_engine(sync_url(url), poolclass=pool.NullPool)
        with engine.connect() as conn:
            command.upgrade(alembic_config(track, connection=conn, schema=schema), "head")
            conn.commit()
        engine.dispose()
    return time.perf_counter() - started


async def main(tenants: int, concurrency: int, sample: int) -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from tenants.ddl import tenant_ddl
    from tenants.migrate import migrate_all

    with throwaway_database() as url, tempfile.TemporaryDirectory() as tmp:
        say(f"machine: {machine()}; {server_version(url)}; commit {git_revision()}")
        tables = tenant_ddl("t_probe").count("CREATE TABLE ") - 1
        say(f"tenant schema: {tables} tables; {tenants} tenants; migrate concurrency {concurrency}")
        one, two = throwaway_tracks(Path(tmp))
        db = await open_database(url, bench_settings(url))
        try:
            setup = await create_tenants(db, url, tenants)
        finally:
            await db.dispose()
        say(f"set-up: {tenants} tenants in {setup:.1f}s")

        from tenants.migrate import CHUNK, _worker_count

        workers = _worker_count(concurrency, tenants, -(-tenants // CHUNK), None)
        say(
            f"runner: {workers or 'no'} worker processes "
            f"({'in the calling process' if not workers else 'forkserver'}), {CHUNK} schemas per transaction"
        )
        lines: list[str] = []
        report = migrate_all(url, script_dir=one, concurrency=concurrency, progress=lines.append)
        migrated = [r for r in report.results if r.ok]
        if report.failures or len(migrated) != tenants or {r.method for r in migrated} != {"replayed"}:
            raise SystemExit(f"migration failed: {report.failures[:3]} ({len(migrated)} of {tenants} migrated)")
        say(f"{lines[0]}\n{lines[-1]}")
        rate = tenants / report.seconds
        say(f"migrate_all: {tenants} schemas in {report.seconds:.2f}s = {rate:.1f} schemas/s")

        noop = migrate_all(url, script_dir=one, concurrency=concurrency, progress=lambda _: None)
        if noop.results or noop.skipped != tenants:
            raise SystemExit(f"the second run was not a no-op: {len(noop.results)} migrated")
        say(f"migrate_all with nothing to apply: {tenants} schemas checked in {noop.seconds:.2f}s")

        base_noop = baseline_noop(url)
        say(f"baseline no-op (one version query per schema): {base_noop:.2f}s")
        picked = [r.schema for r in migrated[:sample]]
        base_seconds = baseline_upgrade(url, two, picked)
        base_rate = len(picked) / base_seconds
        say(
            f"baseline upgrade (alembic per schema, fresh connection): {len(picked)} schemas in {base_seconds:.2f}s "
            f"= {base_rate:.1f} schemas/s"
        )
        others = [r.schema for r in migrated[sample : 2 * sample]]
        alembic = migrate_all(
            url, script_dir=two, concurrency=concurrency, only=others, progress=lambda _: None, replay=False
        )
        if alembic.failures or {r.method for r in alembic.results} != {"alembic"}:
            raise SystemExit(f"the runner without replay failed: {alembic.failures[:3]}")
        alembic_rate = len(others) / alembic.seconds
        say(
            f"baseline runner without replay (Alembic per schema, chunks on one connection): {len(others)} schemas "
            f"in {alembic.seconds:.2f}s = {alembic_rate:.1f} schemas/s"
        )
    say(
        f"baseline_schemas_per_s={base_rate:.1f} alembic_runner_schemas_per_s={alembic_rate:.1f} "
        f"baseline_noop_s={base_noop:.2f} ratio={rate / alembic_rate:.1f} schemas_per_s={rate:.1f} "
        f"noop_s={noop.seconds:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=None, help="migration workers (default: the settings' 4)")
    parser.add_argument("--sample", type=int, default=100, help="schemas in the per-schema Alembic baseline")
    args = parser.parse_args()
    from api.settings import Settings

    run(main(args.tenants, args.concurrency or Settings().migrate_concurrency, args.sample))
