"""Reading review work: the reviewer's inbox, the author's view and timeline, a body's agenda,
and the catalogue of approved methodological products (cl. 13.4)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import utc_now
from api.context import Caller
from api.domain.bodies import registry
from api.domain.documents.models import Document, DocumentVersion
from api.domain.documents.rules import CLAUSE_OF_KIND, DocumentKind
from api.domain.documents.schemas import DocumentSummary
from api.domain.reviews import aggregate as agg
from api.domain.reviews.models import ReviewDecision, ReviewMissingStage, ReviewRound, ReviewStage, ReviewStageMember
from api.domain.reviews.schemas import (
    DecisionRead,
    InboxItem,
    MemberRead,
    MissingStageRead,
    RoundRead,
    StageRead,
    Timeline,
)
from api.domain.reviews.structure import keepers_of
from api.domain.structure.models import Staff
from api.paging import Page, Paging, paged
from api.responses import response_of


async def is_reviewer_of(session: AsyncSession, who: Caller, document_id: UUID) -> bool:
    """Members and keepers of a body on the document's route, and its approvers, read it."""
    rows = (
        await session.execute(
            select(ReviewStage.kind, ReviewStage.approver_roles, ReviewStageMember.body_kind, ReviewStageMember.body_id)
            .join(ReviewRound, ReviewRound.id == ReviewStage.round_id)
            .outerjoin(ReviewStageMember, ReviewStageMember.stage_id == ReviewStage.id)
            .where(ReviewRound.document_id == document_id)
        )
    ).all()
    if not rows:
        return False
    if any(kind == "approval" and who.org_roles & set(roles or []) for kind, roles, _, _ in rows):
        return True
    if who.staff_id is None:
        return any(body_id is not None and ("unit_head", body_id) in who.unit_roles for _, _, _, body_id in rows)
    mine = await registry.bodies_of_staff(session, who.staff_id)
    mine_ids = {body_id for _, body_id in mine}
    heads = set(await session.scalars(select(Staff.heads_unit_id).where(Staff.id == who.staff_id)))
    return any(body_id is not None and (body_id in mine_ids or body_id in heads) for _, _, _, body_id in rows)


def missing_read(row: ReviewMissingStage) -> MissingStageRead:
    return response_of(MissingStageRead, row)


async def missing_stages(session: AsyncSession, round_ids: list[UUID]) -> dict[UUID, list[MissingStageRead]]:
    """The stages each round goes without, in the order of the route."""
    found: dict[UUID, list[MissingStageRead]] = defaultdict(list)
    if round_ids:
        for row in await session.scalars(
            select(ReviewMissingStage)
            .where(ReviewMissingStage.round_id.in_(round_ids))
            .order_by(ReviewMissingStage.position)
        ):
            found[row.round_id].append(missing_read(row))
    return found


async def version_numbers(session: AsyncSession, ids: set[UUID]) -> dict[UUID, int]:
    if not ids:
        return {}
    return dict(
        (
            await session.execute(
                select(DocumentVersion.id, DocumentVersion.number).where(DocumentVersion.id.in_(list(ids)))
            )
        ).all()
    )


# --- inbox ------------------------------------------------------------------------------------


async def inbox(session: AsyncSession, who: Caller, now: datetime.datetime | None = None) -> list[InboxItem]:
    """What waits for the caller's bodies and roles, oldest first."""
    now = now or utc_now()
    rows = (
        await session.execute(
            select(ReviewStage, ReviewRound, Document)
            .join(ReviewRound, ReviewRound.id == ReviewStage.round_id)
            .join(Document, Document.id == ReviewRound.document_id)
            .where(ReviewStage.status == "active", ReviewRound.status == "in_review")
            .order_by(ReviewStage.activated_at, ReviewStage.id)
        )
    ).all()
    if not rows:
        return []
    stage_ids = [s.id for s, _, _ in rows]
    members: dict[UUID, list[ReviewStageMember]] = defaultdict(list)
    for m in await session.scalars(select(ReviewStageMember).where(ReviewStageMember.stage_id.in_(stage_ids))):
        members[m.stage_id].append(m)
    decided: set[tuple[UUID, int, UUID | None]] = set(
        (d.stage_id, d.submission, d.body_id)
        for d in await session.scalars(select(ReviewDecision).where(ReviewDecision.stage_id.in_(stage_ids)))
    )
    versions = await version_numbers(session, {r.version_id for _, r, _ in rows})
    gaps = await missing_stages(session, list({r.id for _, r, _ in rows}))
    keeper_cache: dict[UUID, frozenset[UUID]] = {}
    items = []
    for stage, round_, document in rows:
        mine: list[MemberRead] = []
        if stage.kind == "approval":
            if not who.org_roles & set(stage.approver_roles or []):
                continue
        else:
            for m in members[stage.id]:
                if (stage.id, round_.submission, m.body_id) in decided:
                    continue
                if m.body_id not in keeper_cache:
                    keeper_cache[m.body_id] = await keepers_of(
                        session, agg.Member(m.body_kind, m.body_id, m.name, collegial=m.collegial)
                    )
                entitled = who.staff_id is not None and who.staff_id in keeper_cache[m.body_id]
                entitled = entitled or (m.body_kind == "unit" and ("unit_head", m.body_id) in who.unit_roles)
                if entitled:
                    mine.append(response_of(MemberRead, m))
            if not mine:
                continue
        items.append(
            InboxItem(
                document_id=document.id,
                document_title=document.title,
                document_kind=DocumentKind(document.kind),
                round_id=round_.id,
                stage_id=stage.id,
                stage_position=stage.position,
                stage_label=stage.label,
                stage_kind=stage.kind,
                clause=stage.clause,
                version_id=round_.version_id,
                version_number=versions.get(round_.version_id, 0),
                waiting_since=stage.activated_at or stage.created_at,
                due_at=stage.due_at,
                overdue=stage.due_at is not None and stage.due_at < now,
                bodies=mine,
                missing_stages=gaps.get(round_.id, []),
            )
        )
    return items


# --- the author's view -----------------------------------------------------------------------


async def summaries(session: AsyncSession, documents: list[Document], now: datetime.datetime) -> list[DocumentSummary]:
    ids = [d.id for d in documents]
    latest = (
        dict(
            (
                await session.execute(
                    select(DocumentVersion.document_id, func.max(DocumentVersion.number))
                    .where(DocumentVersion.document_id.in_(ids))
                    .group_by(DocumentVersion.document_id)
                )
            ).all()
        )
        if ids
        else {}
    )
    current: dict[UUID, ReviewStage] = {}
    if ids:
        for stage, document_id in (
            await session.execute(
                select(ReviewStage, ReviewRound.document_id)
                .join(ReviewRound, ReviewRound.id == ReviewStage.round_id)
                .where(
                    ReviewRound.document_id.in_(ids),
                    ReviewRound.status != "approved",
                    ReviewStage.position == ReviewRound.current_position,
                )
            )
        ).all():
            current[document_id] = stage
    out = []
    for d in documents:
        stage = current.get(d.id)
        out.append(
            DocumentSummary(
                id=d.id,
                kind=DocumentKind(d.kind),
                clause=CLAUSE_OF_KIND[DocumentKind(d.kind)],
                title=d.title,
                status=d.status,
                school_year=d.school_year,
                latest_version=latest.get(d.id),
                approved_version_id=d.approved_version_id,
                created_at=d.created_at,
                current_stage=stage.label if stage else None,
                current_stage_clause=stage.clause if stage else None,
                due_at=stage.due_at if stage and stage.status == "active" else None,
                overdue=bool(stage and stage.status == "active" and stage.due_at and stage.due_at < now),
            )
        )
    return out


async def list_documents(
    session: AsyncSession,
    clause,
    *,
    kind: DocumentKind | None,
    status: str | None,  # type: ignore[no-untyped-def]
    paging: Paging,
) -> Page[DocumentSummary]:
    stmt = select(Document)
    if clause is not None:
        stmt = stmt.where(clause)
    if kind is not None:
        stmt = stmt.where(Document.kind == kind.value)
    if status is not None:
        stmt = stmt.where(Document.status == status)
    rows, total = await paged(session, stmt.order_by(Document.created_at.desc(), Document.id), paging)
    return Page.of(await summaries(session, rows, utc_now()), total, paging)


async def timeline(session: AsyncSession, document: Document, now: datetime.datetime | None = None) -> Timeline:
    now = now or utc_now()
    rounds = (
        await session.scalars(
            select(ReviewRound).where(ReviewRound.document_id == document.id).order_by(ReviewRound.number)
        )
    ).all()
    round_ids = [r.id for r in rounds]
    stages = (
        (
            await session.scalars(
                select(ReviewStage).where(ReviewStage.round_id.in_(round_ids)).order_by(ReviewStage.position)
            )
        ).all()
        if round_ids
        else []
    )
    members: dict[UUID, list[ReviewStageMember]] = defaultdict(list)
    decisions: dict[UUID, list[ReviewDecision]] = defaultdict(list)
    if stages:
        for m in await session.scalars(
            select(ReviewStageMember)
            .where(ReviewStageMember.stage_id.in_([s.id for s in stages]))
            .order_by(ReviewStageMember.created_at)
        ):
            members[m.stage_id].append(m)
        for d in await session.scalars(
            select(ReviewDecision).where(ReviewDecision.round_id.in_(round_ids)).order_by(ReviewDecision.decided_at)
        ):
            decisions[d.stage_id].append(d)
    versions = await version_numbers(
        session, {r.version_id for r in rounds} | {d.version_id for ds in decisions.values() for d in ds}
    )
    gaps = await missing_stages(session, round_ids)
    out_rounds = []
    for r in rounds:
        out_stages = []
        for s in (s for s in stages if s.round_id == r.id):
            current_decided = {d.body_id for d in decisions[s.id] if d.submission == r.submission}
            out_stages.append(
                response_of(
                    StageRead,
                    s,
                    members=[response_of(MemberRead, m, decided=m.body_id in current_decided) for m in members[s.id]],
                    overdue=s.status == "active"
                    and r.status == "in_review"
                    and s.due_at is not None
                    and s.due_at < now,
                    decisions=[decision_read(d, versions) for d in decisions[s.id]],
                )
            )
        out_rounds.append(
            response_of(
                RoundRead,
                r,
                version_number=versions.get(r.version_id),
                started_at=r.created_at,
                stages=out_stages,
                missing_stages=gaps.get(r.id, []),
            )
        )
    return Timeline(document.id, document.title, document.status, out_rounds)


async def decision_of(session: AsyncSession, row: ReviewDecision) -> DecisionRead:
    """A decision just recorded (or replayed), with the number of the version it was about."""
    number = await session.scalar(select(DocumentVersion.number).where(DocumentVersion.id == row.version_id))
    return decision_read(row, {row.version_id: number} if number else None)


def decision_read(d: ReviewDecision, versions: dict[UUID, int] | None = None) -> DecisionRead:
    return response_of(DecisionRead, d, version_number=(versions or {}).get(d.version_id))
