"""What waits for a body's conclusion: the agenda of its next meeting, and building it."""

from __future__ import annotations

import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import utc_now
from api.domain.documents.models import Document
from api.domain.documents.rules import DocumentKind
from api.domain.meetings.models import AgendaItem, Meeting
from api.domain.reviews.models import ReviewDecision, ReviewRound, ReviewStage, ReviewStageMember
from api.domain.reviews.queries import version_numbers
from api.domain.reviews.schemas import (
    AgendaEntry,
)
from api.errors import NotFound


async def pending_before(
    session: AsyncSession, body_kind: str, body_id: UUID, now: datetime.datetime | None = None
) -> list[AgendaEntry]:
    """Documents waiting for this body's conclusion, oldest first: the agenda of its next meeting."""
    now = now or utc_now()
    rows = (
        await session.execute(
            select(ReviewStage, ReviewRound, Document)
            .join(ReviewStageMember, ReviewStageMember.stage_id == ReviewStage.id)
            .join(ReviewRound, ReviewRound.id == ReviewStage.round_id)
            .join(Document, Document.id == ReviewRound.document_id)
            .where(
                ReviewStage.status == "active",
                ReviewRound.status == "in_review",
                ReviewStageMember.body_kind == body_kind,
                ReviewStageMember.body_id == body_id,
            )
            .order_by(ReviewStage.activated_at, ReviewStage.id)
        )
    ).all()
    versions = await version_numbers(session, {r.version_id for _, r, _ in rows})
    out = []
    for stage, round_, document in rows:
        done = await session.scalar(
            select(func.count())
            .select_from(ReviewDecision)
            .where(
                ReviewDecision.stage_id == stage.id,
                ReviewDecision.submission == round_.submission,
                ReviewDecision.body_id == body_id,
            )
        )
        if done:
            continue
        out.append(
            AgendaEntry(
                document_id=document.id,
                document_title=document.title,
                document_kind=DocumentKind(document.kind),
                clause=stage.clause,
                stage_id=stage.id,
                stage_label=stage.label,
                version_id=round_.version_id,
                version_number=versions.get(round_.version_id, 0),
                waiting_since=stage.activated_at or stage.created_at,
                due_at=stage.due_at,
                overdue=stage.due_at is not None and stage.due_at < now,
            )
        )
    return out


async def agenda_to_build(session: AsyncSession, meeting_id: UUID) -> tuple[Meeting, list[AgendaEntry], list[UUID]]:
    """The meeting, the documents pending before its body that are not on its agenda yet, and
    those that already are (each document goes on an agenda once)."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("Meeting not found.", field="meeting_id")
    present = set(
        await session.scalars(
            select(AgendaItem.document_id).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.document_id.is_not(None)
            )
        )
    )
    to_add, skipped = [], []
    for entry in await pending_before(session, meeting.body_kind, meeting.body_id):
        if entry.document_id in present:
            skipped.append(entry.document_id)
        else:
            to_add.append(entry)
    return meeting, to_add, skipped
