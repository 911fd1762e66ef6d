"""The periodic work of reviews: reminders before due dates, overdue notices, email delivery
(per event at once, digests once a day). One pass over every active organisation, each in its own
transaction and a few at a time, so one tenant's trouble never holds up another's mail.

`review_notifications_job` has the SAQ job signature; the application's job registry
(api/jobs.py) schedules it, e.g. every five minutes.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from api.clock import utc_now
from api.db import Database
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from api.domain.reviews import notifications
from api.errors import log_unhandled
from api.settings import Settings


async def run_review_notifications(
    db: Database, settings: Settings, now: datetime.datetime | None = None
) -> dict[str, int]:
    now = now or utc_now()
    totals = {"organisations": 0, "reminders": 0, "sent": 0, "failed": 0, "skipped": 0, "digests": 0}
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Organisation.id, Organisation.schema_name).where(Organisation.status == OrgStatus.ACTIVE)
            )
        ).all()
    # Organisations are independent: a few at a time, bounded like the job worker itself.
    bound = asyncio.Semaphore(max(1, settings.worker_concurrency))

    async def one(organisation_id: UUID, schema: str) -> None:
        async with bound:
            try:
                async with db.tenant_context(schema) as session:
                    reminded = await notifications.remind(session, organisation_id, now, settings.review_reminder_days)
                    delivered = await notifications.deliver(session, settings, now)
                # Counted only after the awaits: `totals[k] += await …` would read before waiting.
                totals["reminders"] += reminded
                for key, value in delivered.items():
                    totals[key] += value
                totals["organisations"] += 1
            except Exception as exc:  # one tenant's failure is logged and the others go on
                log_unhandled("review notifications failed", exc, organisation=str(organisation_id))

    await asyncio.gather(*(one(organisation_id, schema) for organisation_id, schema in rows))
    return totals


async def review_notifications_job(ctx: dict[str, Any]) -> dict[str, int]:
    return await run_review_notifications(ctx["db"], ctx["settings"])
