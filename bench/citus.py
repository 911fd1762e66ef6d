"""Tenants on the local Citus cluster against the single server, in one run:
`python bench/citus.py --tenants 8 --reads 400`.

Both sides get a throw-away database: the single server is DATABASE_URL's (else the embedded one),
the cluster is deploy/citus/cluster.sh's coordinator and two workers (started if they are not;
Citus built with deploy/citus/build.sh). On each side:

- provisioning: N organisations registered as the API does and their schemas built on demand
  (no spares: the schema build itself is measured), one after another as one worker slot runs them;
  on the cluster each schema is also distributed (`citus_schema_distribute`) in the same transaction;
- a tenant read: the query of an organisation's units list (ORM, through a tenant session, as the
  API's route runs it), spread over the N tenants, `--concurrency` at once, after a warm-up.

Then where each tenant's schema landed on the cluster, and how many per worker. Last line:
`citus_provision_per_s=… single_provision_per_s=… citus_read_rps=… single_read_rps=… workers=… schemas_per_worker=…`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from common import (
    ROOT,
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

CLUSTER = ROOT / "deploy" / "citus" / "cluster.sh"


def cluster(*args: str) -> str:
    return subprocess.run([str(CLUSTER), *args], capture_output=True, text=True, check=True, timeout=600).stdout.strip()


@contextlib.contextmanager
def cluster_database() -> Iterator[str]:
    """A database of this run on every node of the local cluster, at the control head."""
    cluster("start")
    name = f"metodist_bench_{uuid.uuid4().hex[:8]}"
    cluster("createdb", name)
    url = cluster("url", name)
    try:
        from api.bootstrap import upgrade_control

        upgrade_control(url)
        yield url
    finally:
        cluster("dropdb", name)


async def provision(db: Any, tenants: int) -> tuple[float, list[UUID]]:
    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.services import OrganisationService

    place = await territory_id(db)
    ids: list[UUID] = []
    for _ in range(tenants):
        async with db.session() as session, session.begin():
            ids.append((await OrganisationService(session).create(organisation_create(place))).id)
    started = time.perf_counter()
    for organisation_id in ids:
        status = await provision_organisation(db, organisation_id)
        assert status == "active", status
    return tenants / (time.perf_counter() - started), ids


async def schemas_of(db: Any, ids: list[UUID]) -> list[str]:
    from api.domain.organisations.models import Organisation

    async with db.session() as session:
        return [(await session.get(Organisation, i)).schema_name for i in ids]


async def fill(db: Any, schemas: list[str]) -> None:
    """Twenty units per tenant, written through the service (audit entries included)."""
    from api.access import Grant
    from api.context import Caller, TenantContext
    from api.domain.organisations.rules import OrgKind
    from api.domain.structure.rules import UnitKind
    from api.domain.structure.schemas import UnitCreate
    from api.domain.structure.services import UnitService
    from api.roles import Role
    from api.tenancy import Tenant

    for schema in schemas:
        async with db.tenant_context(schema) as session:
            # The organisation's id and territory are not read here: the service needs its kind and its admin.
            tenant = Tenant(uuid.uuid4(), schema, OrgKind.COLLEGE, uuid.uuid4())
            admin = Caller(uuid.uuid4(), (Grant(Role.ORGANISATION_ADMIN, organisation_id=tenant.organisation_id),))
            units = UnitService(TenantContext.of(tenant, session, admin))
            for i in range(20):
                await units.create(UnitCreate(f"Бірлестік {i}", UnitKind.ASSOCIATION))


async def reads(db: Any, schemas: list[str], count: int, concurrency: int) -> float:
    from sqlalchemy import select

    from api.domain.structure.models import Unit

    async def one(i: int) -> None:
        async with db.tenant_session(schemas[i % len(schemas)]) as session:
            rows = (await session.scalars(select(Unit).order_by(Unit.name).limit(50))).all()
            assert rows

    for i in range(len(schemas) * 2):  # warm-up: connections, plans, catalog caches
        await one(i)
    gate = asyncio.Semaphore(concurrency)

    async def limited(i: int) -> None:
        async with gate:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(limited(i) for i in range(count)))
    return count / (time.perf_counter() - started)


async def side(url: str, tenants: int, count: int, concurrency: int) -> tuple[float, float, list[str], Any]:
    settings = bench_settings(url, tenant_spares=0)
    db = await open_database(url, settings)
    try:
        per_s, ids = await provision(db, tenants)
        schemas = await schemas_of(db, ids)
        await fill(db, schemas)
        rps = await reads(db, schemas, count, concurrency)
        return per_s, rps, schemas, db
    finally:
        await db.dispose()


def placements(url: str, schemas: list[str]) -> dict[str, str]:
    import psycopg
    from sqlalchemy import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    where: dict[str, str] = {}
    with psycopg.connect(dsn) as conn:
        for schema in schemas:
            nodes = conn.execute(
                "SELECT DISTINCT nodename || ':' || nodeport FROM citus_shards "
                "WHERE table_name::text LIKE %s AND citus_table_type = 'schema'",
                (f"{schema}.%",),
            ).fetchall()
            where[schema] = ",".join(sorted(n[0] for n in nodes)) or "coordinator (not distributed)"
        workers = [
            r[0]
            for r in conn.execute(
                "SELECT nodename || ':' || nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' "
                "ORDER BY nodeport"
            ).fetchall()
        ]
    return {"__workers__": ";".join(workers), **where}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=8)
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    say(machine())
    say(f"git {git_revision()}; {args.tenants} tenants, {args.reads} reads at concurrency {args.concurrency}")

    with throwaway_database() as single_url:
        say(f"single server: {server_version(single_url)}")
        single_per_s, single_rps, _, _ = run(side(single_url, args.tenants, args.reads, args.concurrency))
    say(f"single server: {single_per_s:.2f} tenants/s provisioned, {single_rps:.0f} tenant reads/s")

    with cluster_database() as citus_url:
        say(f"cluster: {server_version(citus_url)} coordinator, Citus")
        citus_per_s, citus_rps, schemas, _ = run(side(citus_url, args.tenants, args.reads, args.concurrency))
        where = placements(citus_url, schemas)
    say(f"cluster: {citus_per_s:.2f} tenants/s provisioned, {citus_rps:.0f} tenant reads/s")

    workers = [w for w in where.pop("__workers__").split(";") if w]
    per_worker = {w: 0 for w in workers}
    for schema, node in sorted(where.items()):
        say(f"  {schema} -> {node}")
        if node in per_worker:
            per_worker[node] += 1
    say("schemas per worker: " + ", ".join(f"{w} {n}" for w, n in per_worker.items()))
    say(
        f"ratios: provisioning {citus_per_s / single_per_s:.2f}x the single server's, "
        f"reads {citus_rps / single_rps:.2f}x"
    )
    say(
        f"citus_provision_per_s={citus_per_s:.2f} single_provision_per_s={single_per_s:.2f} "
        f"citus_read_rps={citus_rps:.0f} single_read_rps={single_rps:.0f} workers={len(workers)} "
        f"schemas_per_worker={'/'.join(str(n) for n in per_worker.values())}"
    )


if __name__ == "__main__":
    main()
