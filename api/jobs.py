"""Background jobs (SAQ): provisioning and archiving tenants, keeping spare schemas built.

The queue lives in Redis when REDIS_URL is set, else in PostgreSQL itself, so the embedded
single-process run needs nothing else. The worker runs inside the server process by default.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from saq import CronJob, Queue, Worker
from sqlalchemy import make_url

from api.db import Database, libpq_dsn
from api.logs import current_request_id
from api.metrics import JOB_DURATION
from api.settings import Settings
from tenants.provisioning import archive_organisation, provision_organisation
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
    """Runs or resumes an onboarding import (api.domain.onboarding.services.run_job)."""
    from api.domain.onboarding.services import run_job

    return await run_job(ctx["db"], ctx["settings"], UUID(job_id))


async def archive_job(ctx: dict[str, Any], *, organisation_id: str) -> str | None:
    path = await archive_organisation(
        ctx["db"], ctx["database_url"], UUID(organisation_id), ctx["settings"].archive_dir
    )
    return str(path) if path else None


class _InProcessWorker(Worker):
    # The web server owns the process's signals; the worker is stopped by the app's lifespan.
    SIGNALS: list[Any] = []


def build_queue(settings: Settings, database_url: str) -> Queue:
    # Named after the database, so deployments (and test runs) sharing one Redis never take
    # each other's jobs.
    name = f"metodist-{make_url(database_url).database or 'default'}"
    if settings.redis_url:
        return Queue.from_url(settings.redis_url, name=name)
    return Queue.from_url(libpq_dsn(database_url), name=name, min_size=1, max_size=4)


@dataclass
class Jobs:
    """The application's handle on background work."""

    queue: Queue
    db: Database
    settings: Settings
    database_url: str
    _worker: Worker | None = None
    _task: asyncio.Task[None] | None = None

    async def enqueue_provisioning(self, organisation_id: UUID) -> None:
        await self.queue.enqueue(
            "provision_job", organisation_id=str(organisation_id), timeout=600, retries=1, meta=_meta()
        )

    async def enqueue_import(self, job_id: UUID) -> None:
        """One run per import at a time: the run itself holds an advisory lock on the job, so a
        second queued run (a restart re-queuing it) ends at once; the rows say where to resume."""
        await self.queue.enqueue("import_job", job_id=str(job_id), timeout=6 * 3600, retries=1)

    async def enqueue_archive(self, organisation_id: UUID) -> bool:
        """False when this organisation's archiving is already queued or running.

        One job key per organisation: the queue keeps a second one out while the first is
        incomplete (both SAQ queues). `scheduled` is now, not 0, so that once a run has ended
        (failed, say) a new request can queue it again: PostgreSQL's queue replaces a finished
        job only by a later-scheduled one.
        """
        job = await self.queue.enqueue(
            "archive_job",
            key=f"archive:{organisation_id}",
            scheduled=int(time.time()),
            organisation_id=str(organisation_id),
            timeout=3600,
            retries=1,
            meta=_meta(),
        )
        return job is not None

    async def enqueue_compliance(self, organisation_id: UUID) -> None:
        """Recompute the organisation's findings soon (coalesced: api/domain/compliance/jobs.py)."""
        from api.domain.compliance.jobs import enqueue_recompute

        await enqueue_recompute(self.queue, organisation_id)

    async def start(self, *, run_worker: bool) -> None:
        await self.queue.connect()
        if not run_worker:
            return

        from api.domain.compliance.jobs import compliance_nightly_job, compliance_recompute_job
        from api.domain.reviews.jobs import review_notifications_job

        async def startup(ctx: dict[str, Any]) -> None:
            ctx.update(db=self.db, settings=self.settings, database_url=self.database_url)

        self._worker = _InProcessWorker(
            self.queue,
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
            startup=startup,
            before_process=_before_job,
            after_process=_after_job,
            timers={"schedule": 1, "worker_info": 10, "sweep": 60, "abort": 1},
        )
        self._task = asyncio.create_task(self._worker.start())
        await enqueue_replenish(self.queue, self.settings)

    async def stop(self) -> None:
        if self._worker is not None:
            await self._worker.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.queue.disconnect()
