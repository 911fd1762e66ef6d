"""The job queue itself: PostgreSQL's or Redis's, named after the database, sized for the worker,
and on Redis a worker's queue that waits out an outage instead of spinning (api.jobs puts jobs on
it and runs the worker)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from saq import Queue, Worker
from saq.job import Job
from saq.queue.redis import RedisQueue
from sqlalchemy import make_url

from api.db import database_unavailable, libpq_dsn
from api.redis_state import (
    RETRY_AFTER_S,
    UNREACHABLE,
    DropUnreachableRecords,
    RedisHealth,
    RedisUnavailable,
    make_client,
)
from api.settings import Settings


class InProcessWorker(Worker):
    # The web server owns the process's signals; the worker is stopped by the app's lifespan.
    SIGNALS: list[Any] = []


# The worker's polls wait at most this long for a job (a blocking Redis read), so its client's
# command timeout can stay short too.
DEQUEUE_WAIT_S = 1.0

logging.getLogger("saq").addFilter(DropUnreachableRecords())


class WorkerRedisQueue(RedisQueue):
    """The worker's side of the Redis queue: a failed poll (Redis down) waits and reports through
    `health` instead of failing at once, which made SAQ's workers spin; `on_back` runs once Redis
    answers again."""

    health: RedisHealth
    on_back: Callable[[], Awaitable[None]] | None = None
    _missed = False  # a poll failed since `on_back` last ran

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        if self.health.skip():
            await asyncio.sleep(RETRY_AFTER_S / 2)
            return None
        try:
            job = await super().dequeue(timeout=timeout, poll_interval=poll_interval)
        except UNREACHABLE as exc:
            self.health.failed(exc)
            self._missed = True
            await asyncio.sleep(RETRY_AFTER_S / 2)
            return None
        self.health.succeeded()
        if self._missed:  # once per outage, whichever of the concurrent polls gets through first
            self._missed = False
            if self.on_back is not None:
                background(self.on_back())
        return job


_background_tasks: set[asyncio.Task[Any]] = set()


def background(work: Awaitable[Any]) -> None:
    task = asyncio.ensure_future(work)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


def queue_unreachable(exc: BaseException) -> bool:
    return isinstance(exc, RedisUnavailable) or database_unavailable(exc)


def queue_name(database_url: str) -> str:
    # Named after the database, so deployments (and test runs) sharing one Redis never take
    # each other's jobs.
    return f"metodist-{make_url(database_url).database or 'default'}"


def build_queue(settings: Settings, database_url: str) -> Queue:
    """The queue jobs are put on (a worker gets its own client: `Jobs.start`)."""
    name = queue_name(database_url)
    if settings.redis_url:
        return RedisQueue(make_client(settings.redis_url), name=name)
    return Queue.from_url(libpq_dsn(database_url), name=name, min_size=1, max_size=pg_queue_pool_size(settings))


def pg_queue_pool_size(settings: Settings) -> int:
    """PostgreSQL's queue has one pool for the web's enqueues and the worker. Its listener holds a
    connection for good, and each running job marks itself done and queues its follow-ups through
    the pool: a connection per job besides the listener's, and one for the web and the upkeep
    (it was four in all, for what is now eight jobs at once)."""
    return settings.worker_concurrency + 2


def worker_queue_for(settings: Settings, database_url: str, queue: Queue) -> Queue:
    if not settings.redis_url:
        return queue  # PostgreSQL's queue: one pool for both
    # Its command timeout outlasts the blocking poll (`DEQUEUE_WAIT_S`) with room for a busy
    # event loop: nobody waits on the worker's polls, and a false alarm would pause it.
    worker_queue = WorkerRedisQueue(
        make_client(settings.redis_url, command_timeout_s=DEQUEUE_WAIT_S + 9), name=queue_name(database_url)
    )
    worker_queue.health = RedisHealth("job queue", consequence="jobs wait until it is back")
    return worker_queue
