"""How the worker spends its time during a wave of new organisations (docs/performance.md,
"Provisioning through the API"): eight jobs at once by default; PostgreSQL's queue has a
connection for each running job besides the one its listener keeps; and on that queue an
organisation waiting for its schema goes before findings to recompute."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import psycopg
import pytest

from api.job_queue import build_queue, pg_queue_pool_size
from api.jobs import Jobs
from api.settings import Settings


def test_the_worker_runs_eight_jobs_at_once_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METODIST_WORKER_CONCURRENCY", raising=False)
    assert Settings.from_env().worker_concurrency == 8 == Settings().worker_concurrency
    monkeypatch.setenv("METODIST_WORKER_CONCURRENCY", "3")
    assert Settings.from_env().worker_concurrency == 3


def test_the_database_pool_holds_the_provisioning_jobs_by_default() -> None:
    # A provisioning job holds two connections while it runs (its advisory lock's and its
    # work's); the pool opens up to twice its size (api.db.create_engine).
    defaults = Settings()
    assert 2 * defaults.worker_concurrency <= 2 * defaults.pool_size


@pytest.mark.parametrize("concurrency", [2, 8, 12])
async def test_postgresql_queue_has_a_connection_per_job_besides_its_listener(
    settings: Settings, database_url: str, db: Any, concurrency: int
) -> None:
    own = dataclasses.replace(settings, redis_url=None, worker_concurrency=concurrency, periodic_jobs=False)
    jobs = Jobs(build_queue(own, database_url), db, own, database_url)
    await jobs.start(run_worker=False)
    try:
        pool = jobs.queue.pool  # type: ignore[attr-defined]
        assert pool.max_size == pg_queue_pool_size(own) == concurrency + 2
    finally:
        await jobs.stop()


async def test_postgresql_queue_provisions_before_it_recomputes_findings(
    settings: Settings, database_url: str, db: Any
) -> None:
    from saq import Queue

    from api.db import libpq_dsn
    from api.domain.compliance.jobs import enqueue_recompute

    own = dataclasses.replace(settings, redis_url=None, periodic_jobs=False)
    # A queue of this test's own, so no worker of another test takes its jobs.
    queue = Queue.from_url(libpq_dsn(database_url), name=f"ordering-{uuid.uuid4().hex}", min_size=1, max_size=4)
    jobs = Jobs(queue, db, own, database_url)
    await jobs.start(run_worker=False)
    try:
        recompute = await enqueue_recompute(queue, uuid.uuid4())
        assert recompute is not None
        # Due now, and due before the provisioning queued after it.
        with psycopg.connect(libpq_dsn(database_url), autocommit=True) as conn:
            conn.execute("UPDATE saq_jobs SET scheduled = 1 WHERE key = %s", (recompute.key,))
        organisation_id = uuid.uuid4()
        await jobs.enqueue_provisioning(organisation_id)
        first = await queue.dequeue(timeout=5)
        second = await queue.dequeue(timeout=5)
        assert first is not None and first.function == "provision_job"
        assert first.kwargs == {"organisation_id": str(organisation_id)}
        assert second is not None and second.function == "compliance_recompute_job"
    finally:
        await jobs.stop()
