"""How many jobs the worker runs at once, and the connections that takes (docs/performance.md,
"Provisioning through the API"): eight by default, and PostgreSQL's queue has a connection for
each running job besides the one its listener keeps."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from api.jobs import Jobs, build_queue, pg_queue_pool_size
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
