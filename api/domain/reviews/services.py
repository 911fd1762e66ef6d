"""The review service: routes, submitting, deciding, resubmitting.

Long because it is the one application service of the review aggregate (api.domain.reviews.aggregate):
every transition loads, locks, calls and persists the round the same way, side by side. Each
loads the aggregate, calls it, persists what changed, writes the audit log and the
notifications — all in the caller's transaction.

Concurrency: every transition takes the round's row lock (SELECT … FOR UPDATE) before it reads
the round's state, and writes the round back only if its `lock_version` is still the one it
read. Two deciders of one stage are therefore serialised: the second sees the first's decision
and gets 409 naming who decided. The unique indexes on decisions are the last line of defence.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from uuid_utils.compat import uuid7

from api import audit
from api.clock import utc_now
from api.context import Caller, TenantContext
from api.domain.documents.models import Document, DocumentVersion
from api.domain.documents.rules import CLAUSE_OF_KIND, DocumentKind, DocumentStatus
from api.domain.meetings.models import AgendaItem, Meeting
from api.domain.meetings.quorum import quorum_of_meeting
from api.domain.reviews import aggregate as agg
from api.domain.reviews import notifications
from api.domain.reviews.models import (
    ReviewDecision,
    ReviewMissingStage,
    ReviewRound,
    ReviewRoute,
    ReviewStage,
    ReviewStageMember,
)
from api.domain.reviews.rules import (
    APPROVERS_ALLOWED,
    DEFAULT_ROUTES,
    Outcome,
    RouteDescription,
    Selector,
    StageKind,
    StageTemplate,
    check_route,
    default_route,
)
from api.domain.reviews.schemas import DecisionRequest
from api.domain.reviews.structure import check_named_body, keepers_of, missing_label, resolve, unit_chain
from api.errors import Conflict, DomainError, Forbidden, NotFound


def fingerprint(document_id: UUID, data: DecisionRequest) -> str:
    """What a decision request asks for, so a repeated Idempotency-Key can be told apart."""
    payload = {"document_id": str(document_id), **json.loads(msgspec.json.encode(data))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def decider_of(caller: Caller) -> agg.Decider:
    """The caller as the aggregate sees who decides: approval goes by `org_roles` (a territory role
    there never names an approver) and a unit's conclusion by ("unit_head", unit) in `unit_roles`."""
    return agg.Decider(caller.user_id, caller.staff_id, caller.name, caller.org_roles, caller.unit_roles)


class IdempotencyMismatch(DomainError):
    status = 422


class ReviewService:
    def __init__(self, context: TenantContext, *, clock: Any = utc_now) -> None:
        self.context = context
        self.session = context.session
        self.organisation_id = context.organisation_id
        self.org_kind = context.tenant.kind
        self.caller = context.caller
        self.clock = clock

    # --- routes -------------------------------------------------------------------------------

    async def route(self, kind: DocumentKind) -> RouteDescription:
        row = await self.session.scalar(select(ReviewRoute).where(ReviewRoute.document_kind == kind.value))
        stages = default_route(kind) if row is None else [msgspec.convert(s, StageTemplate) for s in row.stages]
        return RouteDescription(kind, CLAUSE_OF_KIND[kind], stages, row is not None, sorted(APPROVERS_ALLOWED[kind]))

    def _require_admin(self) -> None:
        if not self.caller.administers:
            raise Forbidden("Only the organisation's administrator adjusts review routes.")

    async def set_route(self, kind: DocumentKind, stages: list[StageTemplate]) -> RouteDescription:
        self._require_admin()
        checked = check_route(kind, stages)
        for index, stage in enumerate(checked):
            if stage.selector is Selector.BODY:
                assert stage.body_kind is not None and stage.body_id is not None
                await check_named_body(self.session, stage.body_kind, stage.body_id, f"stages[{index}].body_id")
        encoded = [msgspec.to_builtins(s) for s in checked]
        row = await self.session.scalar(
            select(ReviewRoute).where(ReviewRoute.document_kind == kind.value).with_for_update()
        )
        before = {"stages": row.stages} if row else {"stages": [msgspec.to_builtins(s) for s in DEFAULT_ROUTES[kind]]}
        if row is None:
            row = ReviewRoute(document_kind=kind.value, stages=encoded, updated_by=self.caller.user_id)
            self.session.add(row)
        else:
            row.stages = encoded
            row.updated_by = self.caller.user_id
        await self.session.flush()
        await self.context.audit.record("review_route.update", "review_route", kind.value, before, {"stages": encoded})
        return await self.route(kind)

    async def reset_route(self, kind: DocumentKind) -> RouteDescription:
        self._require_admin()
        row = await self.session.scalar(select(ReviewRoute).where(ReviewRoute.document_kind == kind.value))
        if row is not None:
            before = {"stages": row.stages}
            await self.session.delete(row)
            await self.session.flush()
            await self.context.audit.record("review_route.reset", "review_route", kind.value, before, None)
        return await self.route(kind)

    async def plan(self, document: Document) -> list[tuple[ReviewStage, tuple[agg.Member, ...]]]:
        """The route instantiated for this document today (not stored)."""
        return (await self.route_plan(document))[0]

    async def route_plan(
        self, document: Document
    ) -> tuple[list[tuple[ReviewStage, tuple[agg.Member, ...]]], list[ReviewMissingStage]]:
        """The route instantiated for this document today, and the stages of the clause's route it
        goes without because the organisation lacks their body (neither is stored here). A route
        never drops a stage silently: the author and the approver see the missing ones before
        submitting and deciding, and the round records them (`review_missing_stage`)."""
        kind = DocumentKind(document.kind)
        description = await self.route(kind)
        chain = await unit_chain(self.session, document)
        planned = []
        missing: list[ReviewMissingStage] = []
        for index, template in enumerate(description.stages):
            found = await resolve(self.session, template, document, chain, self.org_kind)
            if not found:
                missing.append(
                    ReviewMissingStage(
                        id=uuid7(),
                        position=index,
                        selector=template.selector.value,
                        clause=template.clause,
                        label=missing_label(template),
                        body_kind=template.body_kind,
                        body_id=template.body_id,
                    )
                )
            planned.extend(found)
        stages: list[tuple[ReviewStage, tuple[agg.Member, ...]]] = []
        for position, p in enumerate(planned):
            stage = ReviewStage(
                id=uuid7(),
                position=position,
                kind=p.kind.value,
                selector=p.selector.value,
                clause=p.clause,
                label=p.label,
                approver_roles=list(p.approver_roles),
                due_days=p.due_days,
                status="waiting",
            )
            stages.append((stage, p.members))
        return stages, missing

    # --- loading the aggregate ----------------------------------------------------------------

    async def _lock_round(self, round_id: UUID) -> ReviewRound:
        row = await self.session.scalar(
            select(ReviewRound)
            .where(ReviewRound.id == round_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise NotFound("Review round not found.", field="round_id")
        return row

    async def _load(
        self, row: ReviewRound, with_keepers_for: UUID | None = None
    ) -> tuple[agg.ReviewRound, dict[UUID, ReviewStage]]:
        stage_rows = (
            await self.session.scalars(
                select(ReviewStage).where(ReviewStage.round_id == row.id).order_by(ReviewStage.position)
            )
        ).all()
        member_rows = (
            await self.session.scalars(
                select(ReviewStageMember)
                .where(ReviewStageMember.stage_id.in_([s.id for s in stage_rows]))
                .order_by(ReviewStageMember.created_at, ReviewStageMember.id)
            )
        ).all()
        decision_rows = (
            await self.session.scalars(
                select(ReviewDecision).where(ReviewDecision.round_id == row.id).order_by(ReviewDecision.decided_at)
            )
        ).all()
        stages = []
        for s in stage_rows:
            members = []
            for m in member_rows:
                if m.stage_id != s.id:
                    continue
                member = agg.Member(m.body_kind, m.body_id, m.name, collegial=m.collegial)
                if s.id == with_keepers_for:
                    member = agg.Member(
                        m.body_kind, m.body_id, m.name, await keepers_of(self.session, member), m.collegial
                    )
                members.append(member)
            stages.append(
                agg.Stage(
                    id=s.id,
                    position=s.position,
                    kind=StageKind(s.kind),
                    clause=s.clause,
                    label=s.label,
                    members=tuple(members),
                    approver_roles=tuple(s.approver_roles or ()),
                    due_days=s.due_days,
                    status=agg.StageStatus(s.status),
                    activated_at=s.activated_at,
                    due_at=s.due_at,
                )
            )
        decisions = [
            agg.Decision(
                id=d.id,
                stage_id=d.stage_id,
                submission=d.submission,
                version_id=d.version_id,
                outcome=Outcome(d.outcome),
                remarks=d.remarks,
                decided_by=d.decided_by,
                decided_by_staff_id=d.decided_by_staff_id,
                decided_by_name=d.decided_by_name,
                decided_at=d.decided_at,
                parallel=d.parallel,
                body_kind=d.body_kind,
                body_id=d.body_id,
                meeting_id=d.meeting_id,
                agenda_item_id=d.agenda_item_id,
            )
            for d in decision_rows
        ]
        found = agg.ReviewRound(
            id=row.id,
            document_id=row.document_id,
            number=row.number,
            version_id=row.version_id,
            submission=row.submission,
            status=agg.RoundStatus(row.status),
            current_position=row.current_position,
            stages=stages,
            decisions=decisions,
            lock_version=row.lock_version,
        )
        return found, {s.id: s for s in stage_rows}

    async def _save(
        self, row: ReviewRound, state: agg.ReviewRound, stage_rows: dict[UUID, ReviewStage], read_lock_version: int
    ) -> None:
        """Writes the round back only if nobody changed it since it was read (optimistic check
        on top of the row lock: a code path that forgot the lock still cannot overwrite)."""
        values: dict[str, Any] = {
            "version_id": state.version_id,
            "submission": state.submission,
            "status": state.status.value,
            "current_position": state.current_position,
            "lock_version": state.lock_version,
            "finished_at": self.clock() if state.status is agg.RoundStatus.APPROVED else None,
        }
        result = await self.session.execute(
            update(ReviewRound)
            .where(ReviewRound.id == row.id, ReviewRound.lock_version == read_lock_version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "The review round changed while this request was handled; reload and try again.", field="round_id"
            )
        for key, value in values.items():
            setattr(row, key, value)
        for stage in state.stages:
            stage_row = stage_rows[stage.id]
            stage_row.status = stage.status.value
            stage_row.activated_at = stage.activated_at
            stage_row.due_at = stage.due_at

    async def _record_events(
        self, document: Document, events: list[agg.Event], stage_rows: dict[UUID, ReviewStage]
    ) -> None:
        for event in events:
            payload = audit.to_json({k: v for k, v in event.__dict__.items() if k != "decision"})
            if isinstance(event, agg.Decided):
                payload["decision"] = audit.to_json(event.decision.__dict__)
            action = {
                agg.Submitted: "review.submit",
                agg.StageActivated: "review.stage_activate",
                agg.Decided: "review.decide",
                agg.StagePassed: "review.stage_pass",
                agg.ReturnedToAuthors: "review.return",
                agg.Approved: "review.approve",
            }[type(event)]
            await self.context.audit.record(action, "review_round", event.round_id, None, payload)
        await notifications.notify(self.session, self.organisation_id, document, events, stage_rows)

    # --- submitting -----------------------------------------------------------------------------

    async def submit(self, document: Document, version: DocumentVersion) -> ReviewRound:
        """Submits `version` (already checked to be the authors' and of this document, both rows
        locked by the caller): a first round, a resubmission after a return, or a new round after
        approval."""
        clause = CLAUSE_OF_KIND[DocumentKind(document.kind)]
        if version.locked_at is not None:
            raise Conflict(
                "This version is locked: it was already submitted. Upload a new version.",
                field="version_id",
                clause=clause,
            )
        latest = await self.session.scalar(
            select(ReviewRound)
            .where(ReviewRound.document_id == document.id)
            .order_by(ReviewRound.number.desc())
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        now = self.clock()
        if latest is not None:
            current_version = await self.session.get(DocumentVersion, latest.version_id)
            assert current_version is not None
            if version.number < current_version.number:
                raise Conflict(
                    "A version older than the one last reviewed cannot be submitted.", field="version_id", clause=clause
                )
        if latest is not None and latest.status != agg.RoundStatus.APPROVED.value:
            state, stage_rows = await self._load(latest)
            read_lock = state.lock_version
            state.resubmit(version_id=version.id, now=now)
            await self._save(latest, state, stage_rows, read_lock)
            result = latest
        else:
            planned, missing = await self.route_plan(document)
            stages = [
                agg.Stage(
                    id=s.id,
                    position=s.position,
                    kind=StageKind(s.kind),
                    clause=s.clause,
                    label=s.label,
                    members=members,
                    approver_roles=tuple(s.approver_roles),
                    due_days=s.due_days,
                )
                for s, members in planned
            ]
            state = agg.ReviewRound.start(
                id=uuid7(),
                document_id=document.id,
                number=(latest.number + 1) if latest else 1,
                version_id=version.id,
                stages=stages,
                now=now,
                clause=clause,
            )
            result = ReviewRound(
                id=state.id,
                document_id=document.id,
                number=state.number,
                version_id=version.id,
                submission=state.submission,
                status=state.status.value,
                current_position=state.current_position,
                lock_version=state.lock_version,
                submitted_by=self.caller.user_id,
            )
            self.session.add(result)
            await self.session.flush()
            stage_rows = {}
            for s, (planned_row, _) in zip(state.stages, planned, strict=True):
                planned_row.round_id = result.id
                planned_row.status = s.status.value
                planned_row.activated_at = s.activated_at
                planned_row.due_at = s.due_at
                self.session.add(planned_row)
                stage_rows[s.id] = planned_row
            await self.session.flush()
            for s in state.stages:
                for m in s.members:
                    self.session.add(
                        ReviewStageMember(
                            stage_id=s.id, body_kind=m.body_kind, body_id=m.body_id, name=m.name, collegial=m.collegial
                        )
                    )
            for gap in missing:
                gap.round_id = result.id
                self.session.add(gap)
            if missing:
                await self.session.flush()
                await self.context.audit.record(
                    "review.stages_missing",
                    "review_round",
                    result.id,
                    None,
                    {"missing_stages": [audit.snapshot(g) for g in missing]},
                )
        version.locked_at = now
        document.status = DocumentStatus.IN_REVIEW.value
        await self.session.flush()
        await self.context.audit.record(
            "document.version.lock", "document_version", version.id, None, {"locked_at": now, "round_id": result.id}
        )
        await self._record_events(document, state.events, stage_rows)
        await self.session.flush()
        return result

    # --- deciding -------------------------------------------------------------------------------

    async def decide(
        self, document: Document, data: DecisionRequest, idempotency_key: str | None = None
    ) -> tuple[ReviewDecision, bool]:
        """Records a decision; returns it and whether it was a replay of an earlier identical request."""
        stage_row = await self.session.get(ReviewStage, data.stage_id)
        if stage_row is None:
            raise NotFound("This stage is not part of the document's review.", field="stage_id")
        round_row = await self._lock_round(stage_row.round_id)
        if round_row.document_id != document.id:
            raise NotFound("This stage is not part of the document's review.", field="stage_id")
        fp = fingerprint(document.id, data)
        if idempotency_key is not None:
            if not 1 <= len(idempotency_key) <= 200:
                raise DomainError("The Idempotency-Key is 1 to 200 characters.", field="Idempotency-Key")
            earlier = await self.session.scalar(
                select(ReviewDecision).where(
                    ReviewDecision.decided_by == self.caller.user_id
                    if self.caller.user_id
                    else ReviewDecision.decided_by.is_(None),
                    ReviewDecision.idempotency_key == idempotency_key,
                )
            )
            if earlier is not None:
                if earlier.request_fingerprint != fp:
                    raise IdempotencyMismatch(
                        "This Idempotency-Key was already used for a different decision; use a new key.",
                        field="Idempotency-Key",
                    )
                return earlier, True
        state, stage_rows = await self._load(round_row, with_keepers_for=data.stage_id)
        read_lock = state.lock_version
        latest_number = await self.session.scalar(
            select(func.max(ReviewRound.number)).where(ReviewRound.document_id == document.id)
        )
        meeting = await self._meeting_ref(data)
        if round_row.number != latest_number:
            raise Conflict("This review round has ended; decisions go to the current round.", field="stage_id")
        decision = state.decide(
            decision_id=uuid7(),
            stage_id=data.stage_id,
            version_id=data.version_id,
            outcome=data.outcome,
            remarks=data.remarks,
            decider=decider_of(self.caller),
            now=self.clock(),
            body_id=data.body_id,
            meeting=meeting,
        )
        row = ReviewDecision(
            id=decision.id,
            round_id=round_row.id,
            stage_id=decision.stage_id,
            submission=decision.submission,
            version_id=decision.version_id,
            parallel=decision.parallel,
            body_kind=decision.body_kind,
            body_id=decision.body_id,
            outcome=decision.outcome.value,
            remarks=decision.remarks,
            decided_by=decision.decided_by,
            decided_by_staff_id=decision.decided_by_staff_id,
            decided_by_name=decision.decided_by_name,
            decided_at=decision.decided_at,
            meeting_id=decision.meeting_id,
            agenda_item_id=decision.agenda_item_id,
            idempotency_key=idempotency_key,
            request_fingerprint=fp,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            # Reached only by a writer that bypassed the round lock: name who got there first.
            winner = await self.session.scalar(
                select(ReviewDecision)
                .where(
                    ReviewDecision.round_id == round_row.id,
                    ReviewDecision.stage_id == decision.stage_id,
                    ReviewDecision.submission == decision.submission,
                )
                .order_by(ReviewDecision.decided_at)
                .limit(1)
            )
            who = f"{winner.decided_by_name} at {winner.decided_at:%Y-%m-%d %H:%M} UTC" if winner else "someone else"
            raise Conflict(f"This stage has already been decided by {who}.", field="stage_id") from None
        await self._save(round_row, state, stage_rows, read_lock)
        if state.status is agg.RoundStatus.APPROVED:
            document.status = DocumentStatus.APPROVED.value
            document.approved_version_id = state.version_id
            document.approved_at = decision.decided_at
        elif state.status is agg.RoundStatus.RETURNED:
            document.status = DocumentStatus.RETURNED.value
        elif state.status is agg.RoundStatus.REJECTED:
            document.status = DocumentStatus.REJECTED.value
        await self.session.flush()
        await self._record_events(document, state.events, stage_rows)
        await self.session.flush()
        return row, False

    async def _meeting_ref(self, data: DecisionRequest) -> agg.MeetingRef | None:
        if data.meeting_id is None:
            if data.agenda_item_id is not None:
                raise DomainError("An agenda item is named with its meeting.", field="meeting_id")
            return None
        meeting = await self.session.get(Meeting, data.meeting_id)
        if meeting is None:
            raise DomainError("No such meeting in the organisation.", field="meeting_id")
        item = None
        if data.agenda_item_id is not None:
            item = await self.session.get(AgendaItem, data.agenda_item_id)
            if item is None or item.meeting_id != meeting.id:
                raise DomainError("The agenda item is not on this meeting's agenda.", field="agenda_item_id")
        quorum = await quorum_of_meeting(self.session, meeting)
        return agg.MeetingRef(
            meeting.id,
            meeting.body_kind,
            meeting.body_id,
            item.id if item else None,
            item.document_id if item else None,
            meeting.archived_at is not None,
            quorum_met=quorum.met,
            present_members=quorum.present_members,
            members=quorum.members,
            required=quorum.required,
        )

    async def load_round(self, round_row: ReviewRound) -> agg.ReviewRound:
        state, _ = await self._load(round_row)
        return state
