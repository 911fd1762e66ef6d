"""PostgreSQL restarted under load, and the worker killed mid-provisioning (a cluster of the test's own).

The job queue is PostgreSQL's own here (no REDIS_URL), so a restart takes the queue down with the
data: the harder case.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select

from api.settings import Settings
from tests.hardening.servers import PostgresServer
from tests.support import AsgiLifespan, school_payload

# The service answers again within this long after PostgreSQL is back.
RECOVERY_S = 10.0


def college(region: str) -> dict[str, Any]:
    return school_payload(region, kind="college", levels=["technical_vocational"])


@dataclasses.dataclass
class Prepared:
    url: str
    settings: Settings
    headers: dict[str, str]
    region: str


@pytest.fixture
async def prepared(own_postgres: PostgresServer, settings: Settings, tmp_path: Path) -> AsyncIterator[Prepared]:
    """The own cluster at the control head, with territories and a national admin's token."""
    from api.bootstrap import load_territories, upgrade_control
    from api.db import Database, create_engine
    from tests.identity.access.principals import issue_at_republic

    with psycopg.connect(own_postgres.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE metodist")
    url = own_postgres.url.rsplit("/", 1)[0] + "/metodist"
    own = dataclasses.replace(
        settings, database_url=url, redis_url=None, data_dir=tmp_path / "data", worker_concurrency=4
    )
    await asyncio.to_thread(upgrade_control, url)
    db = Database(create_engine(own, url))
    try:
        await load_territories(db, own)
        secret = await issue_at_republic(db, "national_admin", name="fault tests")
        from api.domain.territories.models import Territory

        async with db.session() as session:
            region = await session.scalar(select(Territory.id).where(Territory.slug == "karaganda"))
    finally:
        await db.dispose()
    yield Prepared(url, own, {"authorization": f"Bearer {secret}"}, str(region))


async def statuses(url: str, ids: list[str]) -> collections.Counter[str]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        rows = await (
            await conn.execute("SELECT status FROM public.organisation WHERE id = ANY(%s::uuid[])", (ids,))
        ).fetchall()
    return collections.Counter(row[0] for row in rows)


async def wait_all_active(url: str, ids: list[str], timeout: float) -> collections.Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = await statuses(url, ids)
        if found.get("active", 0) == len(ids) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def test_postgres_restart_under_load_loses_nothing_acknowledged(
    prepared: Prepared, own_postgres: PostgresServer
) -> None:
    from api.asgi import create_app

    app = create_app(prepared.settings, prepared.url)
    answers: collections.Counter[int] = collections.Counter()
    acknowledged: list[str] = []
    stop = asyncio.Event()
    async with AsgiLifespan(app) as dispatcher:
        transport = httpx.ASGITransport(app=dispatcher)  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=prepared.headers, timeout=30
        ) as client:
            last_ok = {"write": 0.0}

            async def writer() -> None:
                while not stop.is_set():
                    response = await client.post("/api/organisations", json=college(prepared.region))
                    answers[response.status_code] += 1
                    if response.status_code == 202:
                        acknowledged.append(response.json()["id"])
                        last_ok["write"] = time.monotonic()
                    else:
                        await asyncio.sleep(0.1)

            async def reader() -> None:
                while not stop.is_set():
                    response = await client.get("/api/organisations", params={"page_size": 5})
                    answers[response.status_code] += 1
                    await asyncio.sleep(0.05)

            load = [asyncio.create_task(writer()) for _ in range(3)] + [asyncio.create_task(reader()) for _ in range(2)]
            try:
                await _restart_under(own_postgres, acknowledged, answers, last_ok)
            finally:
                stop.set()
                await asyncio.gather(*load, return_exceptions=True)

            # Refusals while the database was away are 503 in the error format, never 500.
            assert set(answers) <= {200, 202, 503}, answers
            # Every acknowledged organisation is there and ends active: none lost, none stuck.
            found = await wait_all_active(prepared.url, acknowledged, timeout=120)
            assert found == {"active": len(acknowledged)}, found


async def _restart_under(
    own_postgres: PostgresServer,
    acknowledged: list[str],
    answers: collections.Counter[int],
    last_ok: dict[str, float],
) -> None:
    """Load runs; PostgreSQL restarts under it; writes must succeed again soon after."""
    await asyncio.sleep(3)
    before = len(acknowledged)
    assert before > 0, f"no write acknowledged before the restart: {answers}"
    await asyncio.to_thread(own_postgres.restart)  # fast shutdown: every connection is cut
    back_at = time.monotonic()
    while last_ok["write"] < back_at:
        assert time.monotonic() - back_at < RECOVERY_S, (
            f"no write succeeded {RECOVERY_S} s after the restart: {answers}"
        )
        await asyncio.sleep(0.1)
    recovered_in = time.monotonic() - back_at
    await asyncio.sleep(2)
    assert len(acknowledged) > before
    print(f"restart: {len(acknowledged)} acknowledged, answers {dict(answers)}, writes back in {recovered_in:.1f} s")


async def test_worker_killed_mid_provisioning_ends_active_after_a_restart(prepared: Prepared, tmp_path: Path) -> None:
    from api.asgi import create_app

    # The API alone registers the organisations; their jobs wait in the queue.
    ids: list[str] = []
    async with AsgiLifespan(create_app(prepared.settings, prepared.url, run_worker=False)) as dispatcher:
        transport = httpx.ASGITransport(app=dispatcher)  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=prepared.headers
        ) as client:
            for _ in range(10):
                response = await client.post("/api/organisations", json=college(prepared.region))
                assert response.status_code == 202, response.text
                ids.append(response.json()["id"])

    # A worker process takes them; it is killed outright (SIGKILL) while some are still provisioning.
    env = {
        **os.environ,
        "DATABASE_URL": prepared.url,
        "METODIST_DATA_DIR": str(tmp_path / "worker-data"),
        "METODIST_TENANT_SPARES": "0",
        "METODIST_PERIODIC_JOBS": "0",
        "METODIST_WORKER_CONCURRENCY": "2",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("metodist")), "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while (found := await statuses(prepared.url, ids)).get("active", 0) < 1:
            assert worker.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, (
                f"the worker provisioned nothing in 120 s: {found}\n{log.read_text()[-3000:]}"
            )
            await asyncio.sleep(0.02)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    at_kill = await statuses(prepared.url, ids)
    assert at_kill.get("provisioning", 0) > 0, f"nothing left mid-way to test: {at_kill}"

    # The restart (the application with its worker) finishes every one of them.
    async with AsgiLifespan(create_app(prepared.settings, prepared.url)):
        found = await wait_all_active(prepared.url, ids, timeout=120)
    assert found == {"active": len(ids)}, f"after the restart: {found} (at the kill: {at_kill})"
