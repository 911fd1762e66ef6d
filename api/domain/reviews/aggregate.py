"""The review round: the aggregate that holds a document's way through its route.

Pure domain code: no database, no HTTP. The service loads a round's state into a `ReviewRound`,
calls one method — `start`, `decide`, `resubmit` — and persists what changed together with the
events the method recorded (for the audit log and notifications). Every rule of the route lives
here: a decision only for the current stage of the current round, by someone entitled to
record it, never twice; a return or negative conclusion sends the document back to its authors,
and the next version goes through the whole route again: every stage concludes on the version
that is approved (cl. 18-21 require a positive conclusion of every body on what is approved, and
a conclusion on version 1 says nothing of version 2); approval ends the round.

One round covers one approval: versions submitted after a return continue the round (each is a
new *submission*, whose decisions are told apart by their submission number, so earlier ones stay
in the history); a version submitted after approval starts a new round.

Long because it is one aggregate: the round, its stages, members and decisions and the events its
methods record are one consistency boundary, and its rules (`decide` above all) are read and
changed together with `check_invariants`; apart, a rule would be changed without the others.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from uuid import UUID

from api.domain.bodies.rules import NO_QUORUM
from api.domain.reviews.rules import Outcome, StageKind
from api.errors import Conflict, DomainError, Forbidden, NotFound


class RoundStatus(enum.StrEnum):
    IN_REVIEW = "in_review"
    RETURNED = "returned"  # with the authors after a return for revision (remarks to address)
    REJECTED = "rejected"  # with the authors after a negative conclusion
    APPROVED = "approved"

    @property
    def with_authors(self) -> bool:
        return self in (RoundStatus.RETURNED, RoundStatus.REJECTED)


class StageStatus(enum.StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    PASSED = "passed"
    RETURNED = "returned"  # returned the document for revision
    REJECTED = "rejected"  # gave a negative conclusion


@dataclass(frozen=True)
class Member:
    """A body that reviews at a stage. `keepers` are the staff who may record its conclusion
    (chair and secretary, an association's leader, an office's head); `collegial` bodies decide at
    a meeting, which the decision names."""

    body_kind: str
    body_id: UUID
    name: str
    keepers: frozenset[UUID] = frozenset()
    collegial: bool = True


@dataclass
class Stage:
    id: UUID
    position: int
    kind: StageKind
    clause: str
    label: str
    members: tuple[Member, ...] = ()
    approver_roles: tuple[str, ...] = ()
    due_days: int = 14
    status: StageStatus = StageStatus.WAITING
    activated_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None

    def member(self, body_id: UUID | None) -> Member | None:
        if body_id is None:
            return self.members[0] if len(self.members) == 1 else None
        return next((m for m in self.members if m.body_id == body_id), None)


@dataclass(frozen=True)
class Decision:
    id: UUID
    stage_id: UUID
    submission: int
    version_id: UUID
    outcome: Outcome
    remarks: str | None
    decided_by: UUID | None  # the shared user who recorded it
    decided_by_staff_id: UUID | None
    decided_by_name: str
    decided_at: datetime.datetime
    parallel: bool = False
    body_kind: str | None = None
    body_id: UUID | None = None
    meeting_id: UUID | None = None
    agenda_item_id: UUID | None = None


@dataclass(frozen=True)
class Decider:
    """Who records a decision: their account, staff record and the roles they hold in the
    organisation (`org_roles`) and at its units (`unit_roles`: (role, unit_id))."""

    user_id: UUID | None
    staff_id: UUID | None
    name: str
    org_roles: frozenset[str] = frozenset()
    unit_roles: frozenset[tuple[str, UUID]] = frozenset()


@dataclass(frozen=True)
class MeetingRef:
    """The meeting (and agenda item) where a body took its decision, as the service found them."""

    meeting_id: UUID
    body_kind: str
    body_id: UUID
    agenda_item_id: UUID | None
    agenda_document_id: UUID | None = None
    archived: bool = False
    # The meeting's quorum (api.domain.meetings.quorum): members present against the body's
    # members on the day of the meeting, and what the body's rule requires.
    quorum_met: bool = False
    present_members: int = 0
    members: int = 0
    required: int = 1


# --- events: what happened, for the audit log and the notifications -----------------------------


@dataclass(frozen=True)
class Event:
    round_id: UUID
    document_id: UUID
    at: datetime.datetime


@dataclass(frozen=True)
class Submitted(Event):
    version_id: UUID
    submission: int
    restarted: bool = False  # a new version after a return: the route starts again at its first stage


@dataclass(frozen=True)
class StageActivated(Event):
    stage_id: UUID
    position: int
    due_at: datetime.datetime | None


@dataclass(frozen=True)
class Decided(Event):
    decision: Decision


@dataclass(frozen=True)
class StagePassed(Event):
    stage_id: UUID
    position: int


@dataclass(frozen=True)
class ReturnedToAuthors(Event):
    stage_id: UUID
    position: int
    outcome: Outcome
    remarks: str | None


@dataclass(frozen=True)
class Approved(Event):
    version_id: UUID


# --- the aggregate ------------------------------------------------------------------------------


def _who(decision: Decision) -> str:
    when = decision.decided_at.astimezone(datetime.UTC)
    return f"{decision.decided_by_name or 'another user'} on {when:%Y-%m-%d %H:%M} UTC"


@dataclass
class ReviewRound:
    id: UUID
    document_id: UUID
    number: int
    version_id: UUID
    submission: int
    status: RoundStatus
    current_position: int | None
    stages: list[Stage]
    decisions: list[Decision] = field(default_factory=list)
    lock_version: int = 1
    events: list[Event] = field(default_factory=list)

    # --- reading ------------------------------------------------------------------------------

    @property
    def current_stage(self) -> Stage | None:
        if self.current_position is None:
            return None
        return self.stages[self.current_position]

    def stage(self, stage_id: UUID) -> Stage:
        found = next((s for s in self.stages if s.id == stage_id), None)
        if found is None:
            raise NotFound("This stage is not part of the document's review round.", field="stage_id")
        return found

    def decisions_of(self, stage: Stage, submission: int | None = None) -> list[Decision]:
        wanted = self.submission if submission is None else submission
        return [d for d in self.decisions if d.stage_id == stage.id and d.submission == wanted]

    def pending_members(self, stage: Stage) -> list[Member]:
        decided = {d.body_id for d in self.decisions_of(stage)}
        return [m for m in stage.members if m.body_id not in decided]

    # --- transitions --------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        id: UUID,
        document_id: UUID,
        number: int,
        version_id: UUID,
        stages: list[Stage],
        now: datetime.datetime,
        clause: str,
    ) -> ReviewRound:
        """Submits a version: the round begins at its first stage."""
        if not stages or stages[-1].kind is not StageKind.APPROVAL:
            raise DomainError("The route has no final approval.", field="stages", clause=clause)
        for stage in stages:
            if stage.kind is StageKind.ALL_COUNCILS and not stage.members:
                raise DomainError(
                    "The organisation has no methodological council to give the conclusion this route requires.",
                    field="stages",
                    clause=clause,
                )
            if stage.kind is StageKind.REVIEW and len(stage.members) != 1:
                raise DomainError("A review stage is held by exactly one body.", field="stages", clause=stage.clause)
        ordered = sorted(stages, key=lambda s: s.position)
        for stage in ordered:
            stage.status = StageStatus.WAITING
        found = cls(id, document_id, number, version_id, 1, RoundStatus.IN_REVIEW, 0, ordered)
        found.events.append(Submitted(id, document_id, now, version_id, 1))
        found._activate(ordered[0], now)
        return found

    def _activate(self, stage: Stage, now: datetime.datetime) -> None:
        stage.status = StageStatus.ACTIVE
        stage.activated_at = now
        stage.due_at = now + datetime.timedelta(days=stage.due_days)
        self.current_position = stage.position
        self.events.append(StageActivated(self.id, self.document_id, now, stage.id, stage.position, stage.due_at))

    def _check_already_decided(self, stage: Stage, member: Member | None) -> None:
        done = self.decisions_of(stage)
        if stage.kind is StageKind.ALL_COUNCILS:
            mine = [d for d in done if member is not None and d.body_id == member.body_id]
            if mine:
                raise Conflict(
                    f"{member.name} has already given its conclusion at this stage: recorded by {_who(mine[0])}.",  # type: ignore[union-attr]
                    field="stage_id",
                )
        elif done:
            raise Conflict(f"This stage has already been decided by {_who(done[0])}.", field="stage_id")

    def decide(
        self,
        *,
        decision_id: UUID,
        stage_id: UUID,
        version_id: UUID,
        outcome: Outcome,
        remarks: str | None,
        decider: Decider,
        now: datetime.datetime,
        body_id: UUID | None = None,
        meeting: MeetingRef | None = None,
    ) -> Decision:
        outcome = Outcome(outcome)
        stage = self.stage(stage_id)
        member: Member | None = None
        if stage.kind is not StageKind.APPROVAL:
            member = stage.member(body_id)
            if member is None:
                if body_id is None:
                    raise DomainError("Name the council whose conclusion this is (body_id).", field="body_id")
                raise DomainError("This body does not review at this stage.", field="body_id")
        elif body_id is not None:
            raise DomainError("An approval stage is decided by a role holder, not by a body.", field="body_id")
        # Who got there first is the most useful answer to a late or concurrent decider.
        self._check_already_decided(stage, member)
        if self.status is RoundStatus.APPROVED:
            raise Conflict("This review round has ended: the document was approved.", field="stage_id")
        if self.status is RoundStatus.REJECTED:
            raise Conflict(
                "The document is with its authors after a negative conclusion; it is decided again after "
                "a new version is submitted.",
                field="stage_id",
            )
        if self.status is RoundStatus.RETURNED:
            raise Conflict(
                "The document is with its authors for revision; it is decided again after a new version is submitted.",
                field="stage_id",
            )
        current = self.current_stage
        if current is None or stage.id != current.id:
            where = f" The current stage is {current.position + 1}: {current.label}." if current else ""
            if stage.status is StageStatus.PASSED:
                raise Conflict(f"This stage has already been passed.{where}", field="stage_id", clause=stage.clause)
            raise Conflict(
                f"Stages are decided in order: this stage is not current.{where}", field="stage_id", clause=stage.clause
            )
        if version_id != self.version_id:
            raise Conflict("The decision must be on the version under review; this one is not.", field="version_id")
        cleaned = (remarks or "").strip() or None
        if outcome is not Outcome.POSITIVE and cleaned is None:
            raise DomainError("A return or a negative conclusion needs remarks for the authors.", field="remarks")
        if stage.kind is StageKind.APPROVAL:
            if not decider.org_roles & set(stage.approver_roles):
                needed = " or ".join(r.replace("_", " ") for r in stage.approver_roles)
                raise Forbidden(
                    f"Only the {needed} of the organisation approves this document.",
                    field="stage_id",
                    clause=stage.clause,
                )
        else:
            assert member is not None
            entitled = decider.staff_id is not None and decider.staff_id in member.keepers
            if member.body_kind == "unit":
                entitled = entitled or ("unit_head", member.body_id) in decider.unit_roles
            if not entitled:
                who = "its chair or secretary" if member.collegial else "its head"
                raise Forbidden(
                    f"The conclusion of {member.name} is recorded by {who}.", field="stage_id", clause=stage.clause
                )
            if member.collegial:
                if meeting is None:
                    raise DomainError(f"Name the meeting of {member.name} where this was decided.", field="meeting_id")
                if (meeting.body_kind, meeting.body_id) != (member.body_kind, member.body_id):
                    raise DomainError(f"The meeting is not a meeting of {member.name}.", field="meeting_id")
                if meeting.archived:
                    raise DomainError("The meeting is archived.", field="meeting_id")
                if meeting.agenda_item_id is None:
                    raise DomainError("Name the agenda item where this was decided.", field="agenda_item_id")
                if meeting.agenda_document_id not in (None, self.document_id):
                    raise DomainError("The agenda item is about another document.", field="agenda_item_id")
                # A body concludes at a meeting that has its quorum, as its own decisions need one.
                if not meeting.quorum_met:
                    if meeting.members == 0:
                        raise DomainError(
                            "No quorum: the body has no members, so it cannot decide.", field="meeting_id"
                        )
                    raise DomainError(
                        NO_QUORUM.format(
                            present=meeting.present_members, members=meeting.members, required=meeting.required
                        ),
                        field="meeting_id",
                    )
        decision = Decision(
            id=decision_id,
            stage_id=stage.id,
            submission=self.submission,
            version_id=version_id,
            outcome=outcome,
            remarks=cleaned,
            decided_by=decider.user_id,
            decided_by_staff_id=decider.staff_id,
            decided_by_name=decider.name,
            decided_at=now,
            parallel=stage.kind is StageKind.ALL_COUNCILS,
            body_kind=member.body_kind if member else None,
            body_id=member.body_id if member else None,
            meeting_id=meeting.meeting_id if (meeting and member and member.collegial) else None,
            agenda_item_id=meeting.agenda_item_id if (meeting and member and member.collegial) else None,
        )
        self.decisions.append(decision)
        self.events.append(Decided(self.id, self.document_id, now, decision))
        self.lock_version += 1
        if outcome is not Outcome.POSITIVE:
            rejected = outcome is Outcome.NEGATIVE
            stage.status = StageStatus.REJECTED if rejected else StageStatus.RETURNED
            self.status = RoundStatus.REJECTED if rejected else RoundStatus.RETURNED
            self.events.append(
                ReturnedToAuthors(self.id, self.document_id, now, stage.id, stage.position, outcome, cleaned)
            )
            return decision
        if stage.kind is StageKind.ALL_COUNCILS and self.pending_members(stage):
            return decision  # the stage passes only when every council has said yes
        stage.status = StageStatus.PASSED
        self.events.append(StagePassed(self.id, self.document_id, now, stage.id, stage.position))
        if stage.position == self.stages[-1].position:
            self.status = RoundStatus.APPROVED
            self.current_position = None
            self.events.append(Approved(self.id, self.document_id, now, self.version_id))
        else:
            self._activate(self.stages[stage.position + 1], now)
        return decision

    def resubmit(self, *, version_id: UUID, now: datetime.datetime) -> None:
        """A new version after a return or a negative conclusion: the route starts again at its
        first stage, so every body concludes on the version that will be approved (cl. 18-21)."""
        if self.status is RoundStatus.IN_REVIEW:
            raise Conflict(
                "The document is already under review; wait for the current stage to decide.", field="version_id"
            )
        if self.status is RoundStatus.APPROVED:
            raise Conflict("This round has ended in approval; a later version starts a new round.", field="version_id")
        if version_id == self.version_id:
            raise Conflict("This version was already reviewed and returned: upload a new version.", field="version_id")
        stage = self.current_stage
        assert stage is not None and stage.status in (StageStatus.RETURNED, StageStatus.REJECTED)
        self.version_id = version_id
        self.submission += 1
        self.status = RoundStatus.IN_REVIEW
        self.lock_version += 1
        for each in self.stages:
            each.status = StageStatus.WAITING
            each.activated_at = None
            each.due_at = None
        self.events.append(Submitted(self.id, self.document_id, now, version_id, self.submission, restarted=True))
        self._activate(self.stages[0], now)


def check_invariants(round_: ReviewRound) -> None:
    """What must hold of every round, whatever happened to it (the property tests call this)."""
    for submission in {d.submission for d in round_.decisions}:
        for stage in round_.stages:
            made = round_.decisions_of(stage, submission)
            if stage.kind is StageKind.ALL_COUNCILS:
                bodies = [d.body_id for d in made]
                assert len(bodies) == len(set(bodies)), "a council decided twice at one stage"
            else:
                assert len(made) <= 1, "a stage decided twice in one submission"
    for stage in round_.stages:
        if stage.status is StageStatus.PASSED:
            # A stage passes on positive conclusions of the submission that passed it.
            passing = [d for d in round_.decisions if d.stage_id == stage.id and d.outcome is Outcome.POSITIVE]
            assert passing, "a stage passed without a positive conclusion"
            if stage.kind is StageKind.ALL_COUNCILS:
                by_submission: dict[int, set[UUID | None]] = {}
                for d in passing:
                    by_submission.setdefault(d.submission, set()).add(d.body_id)
                assert any(v == {m.body_id for m in stage.members} for v in by_submission.values()), (
                    "the all-councils stage passed without every council"
                )
    if round_.status is RoundStatus.APPROVED:
        assert all(s.status is StageStatus.PASSED for s in round_.stages), "approved with a stage not passed"
        approval = round_.decisions_of(round_.stages[-1])
        assert approval and approval[-1].outcome is Outcome.POSITIVE and approval[-1].version_id == round_.version_id
        # Cl. 18-21: every body concluded positively on the very version that was approved.
        for stage in round_.stages:
            made = round_.decisions_of(stage)
            assert made and all(d.outcome is Outcome.POSITIVE and d.version_id == round_.version_id for d in made), (
                "approved without a positive conclusion of this stage on the approved version"
            )
            if stage.kind is StageKind.ALL_COUNCILS:
                assert {d.body_id for d in made} == {m.body_id for m in stage.members}, (
                    "approved without every council's conclusion on the approved version"
                )
    if round_.current_position is not None:
        assert all(s.status is StageStatus.PASSED for s in round_.stages[: round_.current_position]), (
            "a later stage is current while an earlier one has not passed"
        )
        assert all(s.status is StageStatus.WAITING for s in round_.stages[round_.current_position + 1 :]), (
            "a stage after the current one has started"
        )
