"""How fast tenants are provisioned: `python bench/provision.py --tenants N`.

Each tenant goes the API's way: `OrganisationService.create` in its own transaction, then the
provisioning job's function `provision_organisation`, with at most `--concurrency` at once, as
the job worker runs them. Four measurements in one run, each on tenants of its own:

- the product as configured (`tenants_per_s`): `--spares` schemas built ahead, as the worker
  keeps them in quiet time (timed apart), then the N tenants claim them, with a replenisher
  running as the worker's does (it builds only while no organisation waits, so here it mostly
  waits); tenants past the spares have their schema built from the rendered DDL;
- every schema built on demand from the rendered DDL, no spares (`built_on_demand_tenants_per_s`);
- a wave no larger than the spares, every schema a spare renamed (`wave_within_spares_tenants_per_s`);
- the baseline, on fewer tenants: the Alembic history replayed per tenant instead of the rendered
  DDL (`baseline_tenants_per_s`).

Last line: `... ratio=<tenants_per_s / baseline> tenants_per_s=<float>`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any
from uuid import UUID

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


async def register(db: Any, place: Any) -> UUID:
    from api.domain.organisations.services import OrganisationService

    async with db.session() as session, session.begin():
        return (await OrganisationService(session).create(organisation_create(place))).id


async def provision_by_replay(db: Any, organisation_id: UUID) -> str:
    """provision_organisation without rendered DDL: the schema and an empty version table, so the
    job's `ensure_schema` replays every migration from base (its Alembic path)."""
    from sqlalchemy import text

    from api.domain.organisations.models import Organisation
    from tenants.provisioning import provision_organisation

    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        schema = org.schema_name
    async with db.engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.execute(text(
            f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        ))
    return await provision_organisation(db, organisation_id)


async def provision_many(db: Any, count: int, concurrency: int, provision: Any, spares: int = 0) -> float:
    """Provision `count` new tenants; with `spares`, the replenisher runs alongside, as in the worker."""
    from tenants.spares import replenish

    place = await territory_id(db)
    gate = asyncio.Semaphore(concurrency)
    finished = asyncio.Event()

    async def replenisher() -> None:
        # The worker's replenishing job, tried again each second (the worker's runs come at most
        # every few seconds); it yields while organisations wait.
        while not finished.is_set():
            if not (await replenish(db, spares)).built:
                try:
                    await asyncio.wait_for(finished.wait(), timeout=1.0)
                except TimeoutError:
                    pass

    async def one() -> None:
        async with gate:
            organisation_id = await register(db, place)
            status = await provision(db, organisation_id)
            if status != "active":
                raise RuntimeError(f"provisioning {organisation_id} ended {status}")

    started = time.perf_counter()
    background = asyncio.create_task(replenisher()) if spares else None
    try:
        await asyncio.gather(*(one() for _ in range(count)))
        return time.perf_counter() - started
    finally:
        finished.set()
        if background is not None:
            await background


async def check(db: Any, url: str, expected: int) -> None:
    """Every schema is really there, at head, and every organisation active."""
    from sqlalchemy import func, select

    from api.domain.organisations.models import Organisation
    from migrations.runner import TENANT_DIR, head_revision
    from tenants.migrate import read_versions
    from api.db import sync_url
    from sqlalchemy import create_engine, pool

    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    versions = read_versions(engine)
    engine.dispose()
    head = head_revision(TENANT_DIR)
    async with db.session() as session:
        active = await session.scalar(select(func.count()).select_from(Organisation).where(Organisation.status == "active"))
    if active != expected or len(versions) != expected or set(versions.values()) != {head}:
        raise SystemExit(f"check failed: {active} active, {len(versions)} schemas, versions {set(versions.values())}")


async def main(tenants: int, concurrency: int, baseline: int, spares: int) -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from tenants.ddl import tenant_ddl
    from tenants.provisioning import provision_organisation
    from tenants.spares import count_spares, replenish

    with throwaway_database() as url:
        say(f"machine: {machine()}; {server_version(url)}; commit {git_revision()}")
        tables = tenant_ddl("t_probe").count("CREATE TABLE ") - 1
        say(f"tenant schema: {tables} tables; {tenants} tenants, concurrency {concurrency}, {spares} spares")
        db = await open_database(url, bench_settings(url, pool_size=max(10, concurrency)))
        provisioned = 1
        try:
            # One tenant first so imports, caches and connections are warm in every measurement.
            await provision_many(db, 1, 1, provision_organisation)

            # Built on demand first: dropping schemas (as clearing spares would) slows the
            # file system's next creations for a while, which would tilt the comparison.
            seconds = await provision_many(db, tenants, concurrency, provision_organisation)
            provisioned += tenants
            await check(db, url, provisioned)
            demand_rate = tenants / seconds
            say(f"built on demand (rendered DDL, no spares): {tenants} tenants in {seconds:.2f}s = {demand_rate:.2f} tenants/s")

            wave_rate = 0.0
            if spares:
                # A wave that the spares cover: every tenant's schema is a spare renamed.
                started = time.perf_counter()
                await replenish(db, spares)
                say(f"spares: {spares} built ahead in {time.perf_counter() - started:.2f}s (the worker does this in quiet time)")
                wave = min(spares, tenants)
                seconds = await provision_many(db, wave, concurrency, provision_organisation)
                provisioned += wave
                await check(db, url, provisioned)
                wave_rate = wave / seconds
                say(f"a wave within the spares: {wave} tenants in {seconds:.2f}s = {wave_rate:.1f} tenants/s")

            started = time.perf_counter()
            await replenish(db, spares)
            say(f"spares: {spares} built ahead in {time.perf_counter() - started:.2f}s")
            seconds = await provision_many(db, tenants, concurrency, provision_organisation, spares)
            provisioned += tenants
            await check(db, url, provisioned)
            rate = tenants / seconds
            left = (await count_spares(db)).at_head
            say(f"{tenants} tenants, the first {min(spares, tenants)} taking spares: {seconds:.2f}s = {rate:.2f} tenants/s ({left} spares at the end)")

            base_seconds = await provision_many(db, baseline, concurrency, provision_by_replay)
            provisioned += baseline
            await check(db, url, provisioned)
            base_rate = baseline / base_seconds
            say(f"baseline (Alembic history replayed per tenant): {baseline} tenants in {base_seconds:.2f}s = {base_rate:.2f} tenants/s")
        finally:
            await db.dispose()
    say(
        f"baseline_tenants_per_s={base_rate:.2f} built_on_demand_tenants_per_s={demand_rate:.2f} "
        f"wave_within_spares_tenants_per_s={wave_rate:.1f} ratio={rate / base_rate:.2f} tenants_per_s={rate:.2f}"
    )



if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="provisioning jobs at once (default 8)")
    parser.add_argument("--baseline", type=int, default=None, help="tenants for the baseline (default min(N, 40))")
    parser.add_argument("--spares", type=int, default=None, help="spare schemas built ahead (default: the settings' 50)")
    args = parser.parse_args()
    from api.settings import Settings

    spares = Settings().tenant_spares if args.spares is None else args.spares
    run(main(args.tenants, args.concurrency, args.baseline or min(args.tenants, 40), spares))
