"""Cl. 25 over the meetings of a tenant: which associations met in a term.

One computation, used by the engine's check (`api.domain.compliance.checks.quarterly_meetings`,
every closed term of the school year) and by the per-term report of
`GET …/compliance/association-meetings`. It reads only meetings and associations, so it lives here,
below the compliance package, which imports it.
"""

from __future__ import annotations

import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import KZ_TIME, date_of, utc_now
from api.domain.bodies.models import Association
from api.domain.meetings.models import Attendance, Meeting
from api.domain.meetings.schemas import QuarterCompliance, QuarterComplianceReport
from api.domain.meetings.terms import Quarter

ASSOCIATION = "association"


async def term_rows(
    session: AsyncSession, term: Quarter, *, now: datetime.datetime | None = None
) -> list[QuarterCompliance]:
    """Each association held to `term`, with its held and planned meetings in the term's window.

    A meeting counts when it was held: it has started and its minutes or its attendance are
    recorded (a meeting scheduled ahead, or one nobody recorded, proves nothing). An association
    is held only to terms it existed in: one recorded after the term ended is left out
    (docs/rules.md, cl. 25)."""
    start = datetime.datetime.combine(term.starts_on, datetime.time.min, tzinfo=KZ_TIME)
    end = datetime.datetime.combine(term.ends_on + datetime.timedelta(days=1), datetime.time.min, tzinfo=KZ_TIME)
    now = now or utc_now()
    associations = (
        await session.scalars(select(Association).where(Association.archived_at.is_(None)).order_by(Association.name))
    ).all()
    attended = exists(select(Attendance.id).where(Attendance.meeting_id == Meeting.id))
    held = and_(Meeting.starts_at <= now, or_(Meeting.minutes.is_not(None), attended))
    counts = {
        body_id: (int(n_held or 0), int(n_all or 0))
        for body_id, n_held, n_all in (
            await session.execute(
                select(Meeting.body_id, func.count().filter(held), func.count())
                .where(
                    Meeting.body_kind == ASSOCIATION,
                    Meeting.archived_at.is_(None),
                    Meeting.starts_at >= start,
                    Meeting.starts_at < end,
                )
                .group_by(Meeting.body_id)
            )
        ).all()
    }
    rows = []
    for a in associations:
        recorded_on = date_of(a.created_at)
        if recorded_on > term.ends_on:
            continue  # it did not exist in that term
        n_held, n_all = counts.get(a.id, (0, 0))
        rows.append(QuarterCompliance(a.id, a.name, n_held, n_held >= 1, n_all - n_held, recorded_on))
    return rows


async def term_report(session: AsyncSession, term: Quarter) -> QuarterComplianceReport:
    rows = await term_rows(session, term)
    return QuarterComplianceReport(
        term.school_year, term.kind, term.number, term.starts_on, term.ends_on, "25", rows, term.calendar
    )
