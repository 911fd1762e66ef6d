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

`--real`: the real path against the in-process one, in one run and one database. The product as
`make run` deploys it: `metodist serve` started as a process of its own (its queue in Redis when
REDIS_URL is set, unless `--queue postgres`; its worker in the process, as many jobs at once as
its settings say; `METODIST_WORKER_CONCURRENCY` is passed on). Before each wave `--spares` spares
are built at head (timed apart). A real wave: N organisations POSTed to /api/organisations with a
national admin's bearer token over HTTP (`--clients` requests at once), timed until every one is
`active`. An in-process wave: the measurement above (the product as configured). With
`--rounds R` the N is split into R rounds, each way in turn first, so the machine's load
drifting weighs on both. Last line: `inprocess=… real=… ratio=<real / inprocess>`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
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


async def register(db: Any, place: Any) -> UUID:
    from api.domain.organisations.services import OrganisationService

    async with db.session() as session, session.begin():
        return (await OrganisationService(session).create(organisation_create(place))).id


async def provision_by_replay(db: Any, organisation_id: UUID) -> str:
    """provision_organisation without rendered DDL: the schema and an empty version table, so the
    job's `ensure_schema` replays every migration from base (its Alembic path)."""
    from sqlalchemy import text

    from api.domain.organisations.models import Organisation
    from api.domain.organisations.provisioning import provision_organisation

    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        schema = org.schema_name
    async with db.engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.execute(
            text(
                f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
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
    from sqlalchemy import create_engine, func, pool, select

    from api.db import sync_url
    from api.domain.organisations.models import Organisation
    from migrations.runner import TENANT_DIR, head_revision
    from tenants.migrate import read_versions

    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    versions = read_versions(engine)
    engine.dispose()
    head = head_revision(TENANT_DIR)
    async with db.session() as session:
        active = await session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.status == "active")
        )
    if active != expected or len(versions) != expected or set(versions.values()) != {head}:
        raise SystemExit(f"check failed: {active} active, {len(versions)} schemas, versions {set(versions.values())}")


async def main(tenants: int, concurrency: int, baseline: int, spares: int) -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from api.domain.organisations.provisioning import provision_organisation
    from tenants.ddl import tenant_ddl
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
            say(
                f"built on demand (rendered DDL, no spares): {tenants} tenants in {seconds:.2f}s = "
                f"{demand_rate:.2f} tenants/s"
            )

            wave_rate = 0.0
            if spares:
                # A wave that the spares cover: every tenant's schema is a spare renamed.
                started = time.perf_counter()
                await replenish(db, spares)
                say(
                    f"spares: {spares} built ahead in {time.perf_counter() - started:.2f}s (the worker does this in "
                    "quiet time)"
                )
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
            say(
                f"{tenants} tenants, the first {min(spares, tenants)} taking spares: {seconds:.2f}s = {rate:.2f} "
                f"tenants/s ({left} spares at the end)"
            )

            base_seconds = await provision_many(db, baseline, concurrency, provision_by_replay)
            provisioned += baseline
            await check(db, url, provisioned)
            base_rate = baseline / base_seconds
            say(
                f"baseline (Alembic history replayed per tenant): {baseline} tenants in {base_seconds:.2f}s = "
                f"{base_rate:.2f} tenants/s"
            )
        finally:
            await db.dispose()
    say(
        f"baseline_tenants_per_s={base_rate:.2f} built_on_demand_tenants_per_s={demand_rate:.2f} "
        f"wave_within_spares_tenants_per_s={wave_rate:.1f} ratio={rate / base_rate:.2f} tenants_per_s={rate:.2f}"
    )


async def wait_for(what: str, probe: Any, timeout_s: float, every_s: float = 0.2) -> Any:
    deadline = time.perf_counter() + timeout_s
    while True:
        found = await probe()
        if found:
            return found
        if time.perf_counter() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {timeout_s:.0f}s")
        await asyncio.sleep(every_s)


async def post_wave(port: int, secret: str, place: Any, count: int, clients: int) -> list[UUID]:
    """`count` organisations POSTed to the API, `clients` requests in flight."""
    import httpx

    ids: list[UUID] = []
    bodies = iter([organisation_create(place) for _ in range(count)])

    async def client_loop(client: Any) -> None:
        import msgspec

        for body in bodies:
            answer = await client.post(
                "/api/organisations", content=msgspec.json.encode(body), headers={"content-type": "application/json"}
            )
            if answer.status_code != 202:
                raise SystemExit(f"POST /api/organisations answered {answer.status_code}: {answer.text}")
            ids.append(UUID(answer.json()["id"]))

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=60, headers={"authorization": f"Bearer {secret}"}
    ) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    return ids


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`metodist serve` on the benchmark's database, as a process of its own (as `make run` starts it)."""

    def __init__(self, url: str, spares: int, redis_url: str | None) -> None:
        import os
        import tempfile

        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="metodist-bench-")
        self.log_path = os.path.join(self.data_dir, "serve.log")
        # The server reads its settings from the environment, as deployed; the benchmark's own
        # METODIST_* are not passed on, except the worker's concurrency (to compare settings).
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("METODIST_") or k == "METODIST_WORKER_CONCURRENCY"
        }
        env.pop("REDIS_URL", None)
        env.update(
            DATABASE_URL=url,
            METODIST_DATA_DIR=self.data_dir,
            METODIST_TENANT_SPARES=str(spares),
            METODIST_DEMO_DATA="0",
            PYTHONPATH=str(ROOT),
            HOST="127.0.0.1",
            PORT=str(self.port),
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.env = env
        self.process: Any = None

    async def __aenter__(self) -> Server:
        import subprocess
        import sys

        import httpx

        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from api.cli import main; main()", "serve", "--no-demo"],
                env=self.env,
                cwd=str(ROOT),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as probe:

            async def answers() -> bool:
                if self.process.poll() is not None:
                    raise SystemExit(f"metodist serve exited {self.process.returncode}; see {self.log_path}")
                try:
                    return (await probe.get("/api/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for("metodist serve to answer", answers, 120)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        import signal
        import subprocess

        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def real_wave(db: Any, port: int, secret: str, place: Any, tenants: int, clients: int) -> tuple[float, int]:
    """N organisations POSTed to the server's API; seconds until every one is active. Then, not
    timed, until the worker's follow-up (each one's first compliance check) is done, so that it
    does not spill into the next wave. Also the database's transaction count once all were active."""
    from sqlalchemy import func, select

    from api.domain.organisations.models import Organisation

    started = time.perf_counter()
    ids = await post_wave(port, secret, place, tenants, clients)
    posted = time.perf_counter() - started

    async def all_active() -> bool:
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(Organisation.status, func.count())
                    .where(Organisation.id.in_(ids))
                    .group_by(Organisation.status)
                )
            ).all()
        counts = dict(rows)
        if counts.get("failed"):
            raise SystemExit(f"{counts['failed']} organisations failed to provision")
        return counts.get("active", 0) == len(ids)

    await wait_for("every organisation active", all_active, 3600, every_s=0.1)
    seconds = time.perf_counter() - started
    say(
        f"  real path: {tenants} POSTs answered in {posted:.2f}s; all active after {seconds:.2f}s = "
        f"{tenants / seconds:.2f} organisations/s"
    )
    at_active = await transactions(db)

    from api.domain.compliance.models import ComplianceCheckRun

    async def all_checked() -> bool:
        async with db.session() as session:
            done = await session.scalar(
                select(func.count()).select_from(ComplianceCheckRun).where(ComplianceCheckRun.organisation_id.in_(ids))
            )
        return done == len(ids)

    await wait_for("every organisation's first compliance check", all_checked, 3600, every_s=0.5)
    say(f"  (their first compliance checks done {time.perf_counter() - started - seconds:.1f}s later)")
    return seconds, at_active


async def transactions(db: Any) -> int:
    """Transactions ended in this database so far (PostgreSQL's statistics, flushed within a second)."""
    from sqlalchemy import text

    await asyncio.sleep(1.1)
    async with db.engine.connect() as conn:
        return int(
            await conn.scalar(
                text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
            )
        )


async def spares_ready(db: Any, spares: int) -> None:
    """`spares` built at head before a wave (timed apart: the worker builds them in quiet time)."""
    from tenants.spares import count_spares, replenish

    started = time.perf_counter()
    await replenish(db, spares)  # or the server's replenisher is at it: then wait for it

    async def enough() -> bool:
        return (await count_spares(db)).at_head >= spares

    await wait_for(f"{spares} spares", enough, 900, every_s=0.5)
    say(f"  {spares} spares at head ({time.perf_counter() - started:.1f}s)")


async def main_real(
    tenants: int, concurrency: int, spares: int, clients: int, rounds: int, redis_url: str | None
) -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from api.access import Grant
    from api.domain.organisations.provisioning import provision_organisation
    from tests.identity.access.principals import republic_id, token_secret

    wave = tenants // rounds
    with throwaway_database() as url:
        say(f"machine: {machine()}; {server_version(url)}; commit {git_revision()}")
        say(
            f"{rounds} round(s) of {wave} tenants each way; in-process concurrency {concurrency}; {spares} spares; "
            f"{clients} HTTP clients; queue: {'Redis' if redis_url else 'PostgreSQL'}"
        )
        db = await open_database(url, bench_settings(url, pool_size=max(10, concurrency)))
        provisioned = 1
        times = {"inprocess": 0.0, "real": 0.0}
        try:
            await provision_many(db, 1, 1, provision_organisation)
            secret = await token_secret(db, Grant("national_admin", territory_id=await republic_id(db)), name="bench")
            place = await territory_id(db)
            async with Server(url, spares, redis_url) as server:
                say(f"metodist serve answering on port {server.port} (log: {server.log_path})")
                for n in range(rounds):
                    # In turn first and second, so the machine's load drifting during the run
                    # weighs on both alike.
                    order = ["inprocess", "real"] if n % 2 == 0 else ["real", "inprocess"]
                    for way in order:
                        await spares_ready(db, spares)
                        before = await transactions(db)
                        if way == "inprocess":
                            seconds = await provision_many(db, wave, concurrency, provision_organisation, spares)
                            say(f"  in process: {wave} tenants: {seconds:.2f}s = {wave / seconds:.2f} tenants/s")
                            after = await transactions(db)
                        else:
                            seconds, after = await real_wave(db, server.port, secret, place, wave, clients)
                        say(f"  ({(after - before) / wave:.1f} transactions per organisation until active)")
                        times[way] += seconds
                        provisioned += wave
                        await check(db, url, provisioned)
        finally:
            await db.dispose()
    inprocess, real = rounds * wave / times["inprocess"], rounds * wave / times["real"]
    say(f"inprocess={inprocess:.2f} real={real:.2f} ratio={real / inprocess:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="provisioning jobs at once (default 8)")
    parser.add_argument("--baseline", type=int, default=None, help="tenants for the baseline (default min(N, 40))")
    parser.add_argument(
        "--spares", type=int, default=None, help="spare schemas built ahead (default: the settings' 50)"
    )
    parser.add_argument(
        "--real", action="store_true", help="the real path (metodist serve, HTTP, queue, worker) against in process"
    )
    parser.add_argument(
        "--queue",
        choices=["redis", "postgres"],
        default=None,
        help="with --real: the server's queue (default: Redis when REDIS_URL is set)",
    )
    parser.add_argument("--clients", type=int, default=8, help="with --real: POSTs in flight (default 8)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="with --real: the N split into rounds, each way in turn first"
    )
    args = parser.parse_args()
    import os

    from api.settings import Settings

    spares = Settings().tenant_spares if args.spares is None else args.spares
    if args.real:
        redis_url = os.environ.get("REDIS_URL") if args.queue != "postgres" else None
        if args.queue == "redis" and not redis_url:
            raise SystemExit("--queue redis needs REDIS_URL")
        run(main_real(args.tenants, args.concurrency, spares, args.clients, args.rounds, redis_url))
    else:
        run(main(args.tenants, args.concurrency, args.baseline or min(args.tenants, 40), spares))
