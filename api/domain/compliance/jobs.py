"""Recomputing findings in the background, on the application's job queue (api/jobs.py).

After a change: the tenant session of a request that wrote an audit entry enqueues its
organisation once it has committed (`api.tenancy`). Jobs are coalesced per organisation: the key
names the organisation and a window of `WINDOW_S` seconds, and the job is scheduled for the
window's end, so every change of a window waits in one job, which runs after all of them have
committed; a change in the next window makes the next job. Staleness after a change is the window
plus the job's run, seconds. A nightly pass (a cron job on the same queue) checks every active
organisation, so the date moving on (a term closing, a term of office ending) is seen too, then
rebuilds the rollups from the check runs and keeps the day's snapshot for trends (`rollups`).
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from saq import Queue

from api.clock import today
from api.domain.compliance import rollups
from api.domain.compliance.engine import organisations_to_check, recompute
from api.errors import log_unhandled

WINDOW_S = 5
# PostgreSQL's queue runs due jobs by priority first (lower first; everything else is 0): findings
# wait while organisations wait for their schemas. During a wave each organisation's first check
# came due while later schools' provisioning was still queued, and took 8 % of the worker's time
# before the wave was through (docs/performance.md). Redis's queue has no priorities.
PRIORITY = 1


def job_key(organisation_id: UUID, now: float | None = None) -> tuple[str, int]:
    window = int((now if now is not None else time.time()) // WINDOW_S)
    return f"compliance:{organisation_id}:{window}", (window + 1) * WINDOW_S


async def enqueue_recompute(queue: Queue, organisation_id: UUID) -> Any:
    """The job queued, or None when this organisation's job of this window is already queued."""
    key, scheduled = job_key(organisation_id)
    return await queue.enqueue(
        "compliance_recompute_job",
        key=key,
        scheduled=scheduled,
        organisation_id=str(organisation_id),
        timeout=300,
        retries=2,
        priority=PRIORITY,
    )


async def compliance_recompute_job(ctx: dict[str, Any], *, organisation_id: str) -> str:
    outcome = await recompute(ctx["db"], UUID(organisation_id))
    return f"{outcome.findings} findings ({outcome.rule_set}){'; ' + outcome.skipped if outcome.skipped else ''}"


async def compliance_nightly_job(ctx: dict[str, Any]) -> str:
    """Every active organisation, one at a time (each reads one schema and writes its rows)."""
    checked = failed = 0
    for organisation_id in await organisations_to_check(ctx["db"]):
        try:
            await recompute(ctx["db"], organisation_id)
            checked += 1
        except Exception as exc:  # one broken schema must not stop the pass; it is logged and retried tomorrow
            failed += 1
            log_unhandled("compliance.recompute_failed", exc, organisation_id=str(organisation_id))
    kept = await close_the_day(ctx["db"])
    return f"checked {checked}, failed {failed}; snapshot of {kept} rows"


async def close_the_day(db: Any) -> int:
    """Rollups rebuilt from the check runs, then kept as today's snapshot."""
    async with db.session() as session, session.begin():
        await rollups.rebuild(session)
        return await rollups.snapshot(session, today())
