"""How fast tenants are provisioned: `python bench/provision.py --tenants N`.

Each tenant goes the API's way: `OrganisationService.create` in its own transaction, then the
provisioning job's function `provision_organisation` (schema from rendered DDL, status active),
with at most `--concurrency` at once, as the job worker runs them. The baseline, measured in the
same run on fewer tenants, provisions by replaying the Alembic history per tenant instead: what
provisioning would cost without the rendered DDL. Last line: `... tenants_per_s=<float>`.
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


async def provision_many(db: Any, count: int, concurrency: int, provision: Any) -> float:
    place = await territory_id(db)
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            organisation_id = await register(db, place)
            status = await provision(db, organisation_id)
            if status != "active":
                raise RuntimeError(f"provisioning {organisation_id} ended {status}")

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - started


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


async def main(tenants: int, concurrency: int, baseline: int) -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from tenants.ddl import tenant_ddl
    from tenants.provisioning import provision_organisation

    with throwaway_database() as url:
        say(f"machine: {machine()}; {server_version(url)}; commit {git_revision()}")
        tables = tenant_ddl("t_probe").count("CREATE TABLE ") - 1
        say(f"tenant schema: {tables} tables; {tenants} tenants, concurrency {concurrency}")
        db = await open_database(url, bench_settings(url, pool_size=max(10, concurrency)))
        try:
            # One tenant first so imports, caches and connections are warm in both measurements.
            await provision_many(db, 1, 1, provision_organisation)
            seconds = await provision_many(db, tenants, concurrency, provision_organisation)
            await check(db, url, tenants + 1)
            rate = tenants / seconds
            say(f"rendered DDL: {tenants} tenants in {seconds:.2f}s = {rate:.2f} tenants/s")

            base_seconds = await provision_many(db, baseline, concurrency, provision_by_replay)
            await check(db, url, tenants + 1 + baseline)
            base_rate = baseline / base_seconds
            say(f"baseline (Alembic history replayed per tenant): {baseline} tenants in {base_seconds:.2f}s = {base_rate:.2f} tenants/s")
        finally:
            await db.dispose()
    say(f"baseline_tenants_per_s={base_rate:.2f} ratio={rate / base_rate:.2f} tenants_per_s={rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="provisioning jobs at once (default 8)")
    parser.add_argument("--baseline", type=int, default=None, help="tenants for the baseline (default min(N, 40))")
    args = parser.parse_args()
    run(main(args.tenants, args.concurrency, args.baseline or min(args.tenants, 40)))
