"""Organisations through the API: 202 then a job on either queue (PostgreSQL or Redis), failure, archive."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from saq import Job

from api.settings import Settings
from api.tenant_settings import Setting
from migrations.runner import TENANT_DIR, head_revision
from tests.support import AsgiLifespan, fresh_bin, school_payload, territory_id, wait_for_status
from tests.tenancy.helpers import catalog, psql, schema_exists

pytestmark = pytest.mark.usefixtures("territories")


@dataclasses.dataclass
class Running:
    client: httpx.AsyncClient
    queue: Any
    job_keys: list[str]


@asynccontextmanager
async def running_app(settings: Settings, database_url: str, headers: dict[str, str]) -> AsyncIterator[Running]:
    """The whole application with its in-process worker, on the queue the settings choose."""
    from api.asgi import create_app

    app = create_app(settings, database_url)
    async with AsgiLifespan(app) as dispatcher:
        queue = dispatcher.api.state.jobs.queue
        keys: list[str] = []

        async def remember(job: Job) -> None:
            # Only provisioning jobs: the queue also carries the application's scheduled jobs.
            if job.function == "provision_job":
                keys.append(f"{job.kwargs['organisation_id']} {job.key}")

        queue.register_before_enqueue(remember)
        transport = httpx.ASGITransport(app=dispatcher)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
            yield Running(client, queue, keys)


@pytest.fixture(scope="module")
async def on_postgres(
    settings: Settings, database_url: str, national_admin_headers: dict[str, str]
) -> AsyncIterator[Running]:
    async with running_app(
        dataclasses.replace(settings, redis_url=None), database_url, national_admin_headers
    ) as running:
        yield running


async def _redis_reachable(url: str) -> str | None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: skip with the reason
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
async def on_redis(
    settings: Settings, database_url: str, national_admin_headers: dict[str, str]
) -> AsyncIterator[Running]:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set: the Redis job queue needs a Redis server")
    problem = await _redis_reachable(url)
    if problem:
        pytest.skip(f"Redis at {url} is not reachable ({problem})")
    async with running_app(
        dataclasses.replace(settings, redis_url=url), database_url, national_admin_headers
    ) as running:
        yield running


async def _create_and_wait_active(running: Running) -> dict[str, Any]:
    region = await territory_id(running.client, "karaganda")
    payload = school_payload(region, kind="college", levels=["technical_vocational"])
    created = await running.client.post("/api/organisations", json=payload)
    assert created.status_code == 202, created.text
    body = created.json()
    assert (body["status"], body["schema_version"], body["provisioned_at"]) == ("provisioning", None, None)
    assert body["schema_name"] == f"t_{payload['bin']}"
    final = await wait_for_status(running.client, body["id"], {"active", "failed"})
    assert final["status"] == "active", final
    assert final["schema_version"] == head_revision(TENANT_DIR)
    assert final["provisioned_at"] is not None and final["status_reason"] is None
    return body


async def _job_result(queue: Any, keys: list[str], organisation_id: str) -> Any:
    [key] = [k.split()[1] for k in keys if k.split()[0] == organisation_id]
    deadline = time.monotonic() + 10
    while True:
        job = await queue.job(key)
        if job is not None and job.status == "complete":
            return job.result
        assert time.monotonic() < deadline, f"job {key} not complete: {job}"
        await asyncio.sleep(0.05)


async def test_create_is_provisioned_by_the_postgres_queue(on_postgres: Running, database_url: str) -> None:
    from saq.queue.postgres import PostgresQueue

    assert isinstance(on_postgres.queue, PostgresQueue)
    body = await _create_and_wait_active(on_postgres)
    assert await _job_result(on_postgres.queue, on_postgres.job_keys, body["id"]) == "active"
    assert catalog(database_url, body["schema_name"]).version == [(head_revision(TENANT_DIR),)]


async def test_create_is_provisioned_by_the_redis_queue(on_redis: Running, database_url: str) -> None:
    from saq.queue.redis import RedisQueue

    assert isinstance(on_redis.queue, RedisQueue)
    body = await _create_and_wait_active(on_redis)
    assert await _job_result(on_redis.queue, on_redis.job_keys, body["id"]) == "active"
    assert catalog(database_url, body["schema_name"]).version == [(head_revision(TENANT_DIR),)]


async def test_bad_bin_is_refused_and_nothing_is_written(on_postgres: Running, database_url: str) -> None:
    region = await territory_id(on_postgres.client, "karaganda")
    good = fresh_bin()
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    for wrong in (bad, "12345", "abcdefghijkl"):
        answer = await on_postgres.client.post(
            "/api/organisations",
            json=school_payload(region, kind="college", levels=["technical_vocational"], bin=wrong),
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "bin"
        assert psql(database_url, "SELECT count(*) FROM public.organisation WHERE bin = %s", (wrong,)) == [(0,)]
        assert not schema_exists(database_url, f"t_{wrong.lower()}")


async def test_failure_is_reported_then_fixed_and_retried(on_postgres: Running, database_url: str) -> None:
    client = on_postgres.client
    region = await territory_id(client, "karaganda")
    payload = school_payload(region, kind="college", levels=["technical_vocational"])
    schema = f"t_{payload['bin']}"
    # Something already sits in the tenant's schema under a table's name.
    psql(database_url, f"CREATE SCHEMA {schema}; CREATE VIEW {schema}.settings AS SELECT 'x'::text AS key")

    created = await client.post("/api/organisations", json=payload)
    assert created.status_code == 202, created.text
    organisation_id = created.json()["id"]
    failed = await wait_for_status(client, organisation_id, {"active", "failed"})
    assert failed["status"] == "failed"
    assert failed["status_reason"] == (
        f"SchemaMismatch: {schema}.settings is a view, where a table belongs; drop or rename it and provision again"
    )
    assert failed["schema_version"] is None
    assert (await client.get(f"/api/organisations/{organisation_id}")).json()["status"] == "failed"

    psql(database_url, f"DROP VIEW {schema}.settings")
    retried = await client.post(f"/api/organisations/{organisation_id}/provision")
    assert retried.status_code == 202, retried.text
    assert (retried.json()["status"], retried.json()["status_reason"]) == ("provisioning", None)
    done = await wait_for_status(client, organisation_id, {"active", "failed"})
    assert (done["status"], done["status_reason"], done["schema_version"]) == (
        "active",
        None,
        head_revision(TENANT_DIR),
    )
    assert "settings" in catalog(database_url, schema).tables

    again = await client.post(f"/api/organisations/{organisation_id}/provision")
    assert again.status_code == 409 and again.json()["field"] == "status"


async def test_archive_exports_drops_and_refuses_twice(on_postgres: Running, db: Any, database_url: str) -> None:
    client = on_postgres.client
    body = await _create_and_wait_active(on_postgres)
    organisation_id, schema = body["id"], body["schema_name"]
    async with db.tenant_context(schema) as session:
        session.add(Setting(key="archived-setting-marker", value={"kept": True}))

    answer = await client.post(f"/api/organisations/{organisation_id}/archive")
    assert answer.status_code == 202, answer.text
    archived = await wait_for_status(client, organisation_id, {"archived"})
    assert archived["status"] == "archived"

    assert not schema_exists(database_url, schema)
    [(path, archived_at)] = psql(
        database_url, "SELECT archive_path, archived_at FROM public.organisation WHERE id = %s", (organisation_id,)
    )
    assert archived_at is not None
    # Only the service's user may read a dump, or list the folder that holds them.
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(path).parent.stat().st_mode) == 0o700
    dump = Path(path).read_text()
    for table in ("settings", "audit_log", "alembic_version"):
        assert f"CREATE TABLE {schema}.{table} (" in dump, table
    assert "archived-setting-marker" in dump
    assert head_revision(TENANT_DIR) in dump

    twice = await client.post(f"/api/organisations/{organisation_id}/archive")
    assert twice.status_code == 409
    assert twice.json() == {
        "status": 409,
        "message": "The organisation is already archived.",
        "field": "status",
        "clause": None,
    }
    # The record itself stays, marked archived.
    assert (await client.get(f"/api/organisations/{organisation_id}")).json()["status"] == "archived"
    missing = await client.post("/api/organisations/00000000-0000-0000-0000-000000000000/archive")
    assert missing.status_code == 404
