"""Background jobs (SAQ): provisioning and archiving tenants, keeping spare schemas built.

The queue lives in Redis when REDIS_URL is set, else in PostgreSQL itself, so the embedded
single-process run needs nothing else. The worker runs inside the server process by default.

With Redis unreachable (api.redis_state): queueing a job answers 503 at once (an organisation is
not registered while its provisioning could not be queued); the worker waits, polling once a
second, instead of spinning on failed polls; when Redis answers again it re-queues organisations
left `provisioning` (provisioning is idempotent), and the process starts even while Redis is down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import structlog
from saq import CronJob, Queue, Worker
from saq.queue.redis import RedisQueue
from sqlalchemy import select

from api.db import Database
from api.domain.organisations.provisioning import archive_organisation, provision_organisation
from api.errors import log_unhandled
from api.job_queue import (
    DEQUEUE_WAIT_S,
    InProcessWorker,
    WorkerRedisQueue,
    background,
    queue_unreachable,
    worker_queue_for,
)
from api.logs import current_request_id
from api.metrics import JOB_DURATION
from api.redis_state import (
    RedisHealth,
    RedisUnavailable,
)
from api.settings import Settings
from tenants.spares import replenish

log = structlog.get_logger()

# At most one replenishing job queued or running: SAQ ignores an enqueue whose key is taken.
_REPLENISH_KEY = "replenish-spares"


def _meta() -> dict[str, Any]:
    """What a job carries from where it was queued: the request's id, so its log lines join the request's."""
    request_id = current_request_id()
    return {"request_id": request_id} if request_id else {}


async def enqueue_replenish(queue: Queue, settings: Settings, *, delay_s: int = 0) -> None:
    if settings.tenant_spares > 0:
        await queue.enqueue(
            "replenish_spares_job",
            key=_REPLENISH_KEY,
            scheduled=int(time.time()) + delay_s,
            timeout=1800,
            retries=1,
            meta=_meta(),
        )


_STARTED = "metodist.started"


async def _before_job(ctx: dict[str, Any]) -> None:
    """The job's log lines carry the request id it was queued with (or the job's own key)."""
    job = ctx["job"]
    structlog.contextvars.bind_contextvars(request_id=job.meta.get("request_id") or f"job:{job.key}", job=job.function)
    ctx[_STARTED] = time.perf_counter()


async def _after_job(ctx: dict[str, Any]) -> None:
    job = ctx["job"]
    seconds = time.perf_counter() - ctx.pop(_STARTED, time.perf_counter())
    outcome = "failed" if ctx.get("exception") is not None else "complete"
    JOB_DURATION.labels(job.function, outcome).observe(seconds)
    log.info("job", function=job.function, outcome=outcome, duration_ms=round(seconds * 1000, 2))
    structlog.contextvars.unbind_contextvars("request_id", "job")


async def provision_job(ctx: dict[str, Any], *, organisation_id: str) -> str:
    status = await provision_organisation(ctx["db"], UUID(organisation_id))
    if str(status) == "active":
        # Its first check against the Rules, so its findings exist before anyone changes anything.
        from api.domain.compliance.jobs import enqueue_recompute

        await enqueue_recompute(ctx["worker"].queue, UUID(organisation_id))
    # The organisation may have taken a spare: its replacement is built once the wave is over
    # (the replenisher yields while others wait), so the run is scheduled a little later.
    await enqueue_replenish(ctx["worker"].queue, ctx["settings"], delay_s=5)
    return str(status)


async def replenish_spares_job(ctx: dict[str, Any]) -> str:
    done = await replenish(ctx["db"], ctx["settings"].tenant_spares)
    note = " (another run busy)" if done.busy else " (organisations waiting: later)" if done.yielded else ""
    return f"built {done.built}, dropped {done.dropped}, {done.at_head} at head{note}"


async def import_job(ctx: dict[str, Any], *, job_id: str) -> str:
    """Runs or resumes an onboarding import (api.domain.onboarding.runs.run_job)."""
    from api.domain.onboarding.runs import run_job

    return await run_job(ctx["db"], ctx["settings"], UUID(job_id))


async def archive_job(ctx: dict[str, Any], *, organisation_id: str) -> str | None:
    path = await archive_organisation(
        ctx["db"], ctx["database_url"], UUID(organisation_id), ctx["settings"].archive_dir
    )
    # An archived organisation leaves the compliance figures: its findings and its share go.
    from api.domain.compliance.engine import recompute

    await recompute(ctx["db"], UUID(organisation_id))
    return str(path) if path else None


@dataclass
class Jobs:
    """The application's handle on background work."""

    queue: Queue
    db: Database
    settings: Settings
    database_url: str
    _worker: Worker | None = None
    _task: asyncio.Task[None] | None = None
    _worker_queue: Queue | None = None
    health: RedisHealth = field(
        default_factory=lambda: RedisHealth("job queue", consequence="queueing a job answers 503")
    )

    async def _put(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """Runs a queue call; with Redis, unreachable means RedisUnavailable (503) at once."""
        if not self.settings.redis_url:
            return await work()
        return await self.health.call(work)

    async def check_reachable(self) -> None:
        """Raises RedisUnavailable when jobs cannot be queued now: checked before writing what a
        job must follow, so nothing is written that could not be."""
        if isinstance(self.queue, RedisQueue):
            redis = self.queue.redis
            await self._put(lambda: redis.ping())

    async def enqueue_provisioning(self, organisation_id: UUID) -> None:
        # Retried (after 2 s, then longer, up to a minute) only when the run raised: the database
        # was away. An organisation's own failure is recorded on it, not raised.
        await self._put(
            lambda: self.queue.enqueue(
                "provision_job",
                organisation_id=str(organisation_id),
                timeout=600,
                retries=6,
                retry_delay=2.0,
                retry_backoff=60,
                meta=_meta(),
            )
        )

    async def enqueue_import(self, job_id: UUID) -> None:
        """One run per import at a time: the run itself holds an advisory lock on the job, so a
        second queued run (a restart re-queuing it) ends at once; the rows say where to resume."""
        await self._put(
            lambda: self.queue.enqueue("import_job", job_id=str(job_id), timeout=6 * 3600, retries=1, meta=_meta())
        )

    async def enqueue_provisioning_soon(self, organisation_id: UUID) -> None:
        """Queues provisioning of a just-committed (so acknowledged) organisation. Should the queue
        fail in between (Redis away, PostgreSQL restarting), it is queued again in the background,
        backing off, until the queue takes it; a process stopped meanwhile re-queues it at start."""
        try:
            await self.enqueue_provisioning(organisation_id)
        except Exception as exc:
            if not queue_unreachable(exc):
                raise
            log.warning(
                "provisioning not queued yet: queue unreachable; retrying", organisation_id=str(organisation_id)
            )
            background(self._enqueue_until_queued(organisation_id))

    async def _enqueue_until_queued(self, organisation_id: UUID, give_up_after_s: float = 600) -> None:
        delay, deadline = 1.0, time.monotonic() + give_up_after_s
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            try:
                await self.enqueue_provisioning(organisation_id)
            except Exception as exc:
                if not queue_unreachable(exc):
                    log_unhandled("provisioning could not be queued", exc, organisation_id=str(organisation_id))
                    return
                delay = min(delay * 2, 30)
                continue
            log.info("provisioning queued after the queue came back", organisation_id=str(organisation_id))
            return

    async def resume_interrupted_provisioning(self) -> None:
        """Organisations left `provisioning` (a stopped process, Redis away) are queued again (it is idempotent)."""
        from api.domain.organisations.models import Organisation
        from api.domain.organisations.rules import OrgStatus

        async with self.db.session() as session:
            waiting = (
                await session.scalars(select(Organisation.id).where(Organisation.status == OrgStatus.PROVISIONING))
            ).all()
        await self._requeue("provisioning", waiting, self.enqueue_provisioning, "done when it is back")

    async def resume_interrupted_imports(self) -> None:
        """Imports a stopped process left queued or running are queued again: they resume from their rows."""
        from api.domain.onboarding.runs import interrupted

        async with self.db.session() as session:
            waiting = await interrupted(session)
        await self._requeue("imports", waiting, self.enqueue_import, "`metodist import resume` continues one")

    async def _requeue(
        self, what: str, waiting: Sequence[UUID], enqueue: Callable[[UUID], Awaitable[None]], otherwise: str
    ) -> None:
        try:
            for item in waiting:
                await enqueue(item)
        except RedisUnavailable:
            log.warning(f"interrupted {what} not re-queued: redis unreachable; {otherwise}")
            return
        if waiting:
            log.info(f"re-queued interrupted {what}", count=len(waiting))

    async def enqueue_archive(self, organisation_id: UUID) -> bool:
        """False when this organisation's archiving is already queued or running.

        One job key per organisation: the queue keeps a second one out while the first is
        incomplete (both SAQ queues). `scheduled` is now, not 0, so that once a run has ended
        (failed, say) a new request can queue it again: PostgreSQL's queue replaces a finished
        job only by a later-scheduled one.
        """
        job = await self._put(
            lambda: self.queue.enqueue(
                "archive_job",
                key=f"archive:{organisation_id}",
                scheduled=int(time.time()),
                organisation_id=str(organisation_id),
                timeout=3600,
                retries=1,
                meta=_meta(),
            )
        )
        return job is not None

    async def enqueue_compliance(self, organisation_id: UUID) -> None:
        """Recompute the organisation's findings soon (coalesced: api/domain/compliance/jobs.py),
        after a change that has committed: the change stands whatever happens here; when the
        job cannot be queued, the nightly pass catches up."""
        from api.domain.compliance.jobs import enqueue_recompute

        try:
            await self._put(lambda: enqueue_recompute(self.queue, organisation_id))
        except RedisUnavailable:
            pass  # Redis's health check has said it is away
        except Exception as exc:
            log_unhandled("compliance.enqueue_failed", exc, organisation_id=str(organisation_id))

    async def start(self, *, run_worker: bool) -> None:
        await self.queue.connect()
        if not run_worker:
            return

        from api.domain.compliance.jobs import compliance_nightly_job, compliance_recompute_job
        from api.domain.reviews.jobs import review_notifications_job

        async def startup(ctx: dict[str, Any]) -> None:
            ctx.update(db=self.db, settings=self.settings, database_url=self.database_url)

        worker_queue = worker_queue_for(self.settings, self.database_url, self.queue)
        if isinstance(worker_queue, WorkerRedisQueue):
            worker_queue.on_back = self.resume_interrupted_provisioning
            await worker_queue.connect()
            self._worker_queue = worker_queue
        self._worker = InProcessWorker(
            worker_queue,
            functions=[
                provision_job,
                archive_job,
                replenish_spares_job,
                import_job,
                compliance_recompute_job,
                compliance_nightly_job,
            ],
            cron_jobs=(
                [
                    # Reminders before review due dates, overdue notices and the daily digests.
                    CronJob(review_notifications_job, cron="*/5 * * * *", unique=True, timeout=600),
                    # Spares of an older head (after a deploy) replaced, those claimed rebuilt.
                    CronJob(replenish_spares_job, cron="*/10 * * * *", unique=True, timeout=1800),
                    # Every organisation checked against the Rules each night (00:30 UTC, 05:30 in Kazakhstan).
                    CronJob(compliance_nightly_job, cron="30 0 * * *", unique=True, timeout=6 * 3600),
                ]
                if self.settings.periodic_jobs
                else []
            ),
            concurrency=self.settings.worker_concurrency,
            dequeue_timeout=DEQUEUE_WAIT_S,
            startup=startup,
            before_process=_before_job,
            after_process=_after_job,
            timers={"schedule": 1, "worker_info": 10, "sweep": 60, "abort": 1},
        )
        self._task = asyncio.create_task(self._worker.start())
        try:
            await self._put(lambda: enqueue_replenish(self.queue, self.settings))
        except RedisUnavailable:
            pass  # the periodic run, or the next organisation's provisioning, queues it

    async def stop(self) -> None:
        if self._worker is not None:
            await self._worker.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._worker_queue is not None:
            await self._worker_queue.disconnect()
        await self.queue.disconnect()
