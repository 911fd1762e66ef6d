"""The review aggregate through its services, on a real tenant schema: the cl. 19 route in a
university, returns and resumption, approval, and decisions refused with nothing written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from sqlalchemy import select

from api.audit import AuditEntry
from api.domain.documents.models import Document, DocumentVersion
from api.domain.documents.rules import DocumentKind
from api.domain.documents.schemas import DocumentCreate
from api.domain.reviews.models import ReviewDecision
from api.errors import Conflict, DomainError, Forbidden
from tests.reviews import world as w
from tests.reviews.conftest import Desk

pytestmark = pytest.mark.asyncio


async def _curriculum(desk: Desk) -> tuple[Any, Any]:
    doc = await desk.create(
        "author",
        DocumentCreate(
            kind=DocumentKind.WORKING_CURRICULUM,
            title="Working curriculum 6B01",
            author_staff_ids=[desk.world["author"].staff_id, desk.world["coauthor"].staff_id],
            school_year=2025,
            follows_model="Model curriculum 2024",
        ),
    )
    version = await desk.upload("author", doc, w.pdf("v1"), "curriculum.pdf")
    return doc, version


def _meeting(world: w.World, body: str) -> dict[str, Any]:
    meeting, item = world.meetings[body]
    return {"meeting_id": meeting, "agenda_item_id": item}


async def test_working_curriculum_route_in_a_university(uni_desk: Desk, uni: w.World, db: Any) -> None:
    doc, v1 = await _curriculum(uni_desk)
    round_ = await uni_desk.submit("author", doc, v1)
    timeline = await uni_desk.timeline("author", doc)
    stages = timeline.rounds[0].stages
    assert [s.selector for s in stages] == [
        "commission",
        "department",
        "unit_councils",
        "unit_councils",
        "um_office",
        "all_councils",
        "approval",
    ]
    assert all(s.clause == "19" for s in stages)
    # Nearest unit council first: the faculty's, then the institute's.
    assert [s.members[0].name for s in stages[2:4]] == ["Faculty Council", "Institute Council"]
    assert {m.name for m in stages[5].members} == {"Org Council", "Faculty Council", "Institute Council"}
    assert stages[-1].approver_roles == ["head"]

    # The version is locked by submission.
    async with db.tenant_session(uni.schema) as s:
        assert (await s.get(DocumentVersion, v1)).locked_at is not None

    ids = [s.id for s in stages]
    # Out of order: the department may not decide before the commission.
    with pytest.raises(Conflict, match="not current"):
        await uni_desk.decide(
            "dep_chair", doc, stage_id=ids[1], version_id=v1, outcome="positive", **_meeting(uni, "department_body")
        )
    # Wrong person: the department's chair cannot record the commission's conclusion.
    with pytest.raises(Forbidden):
        await uni_desk.decide(
            "dep_chair", doc, stage_id=ids[0], version_id=v1, outcome="positive", **_meeting(uni, "cycle_commission")
        )
    # A collegial body decides at a meeting of its own.
    with pytest.raises(DomainError, match="not a meeting of"):
        await uni_desk.decide(
            "cc_chair", doc, stage_id=ids[0], version_id=v1, outcome="positive", **_meeting(uni, "department_body")
        )
    assert await w.count(db, uni.schema, ReviewDecision, ReviewDecision.round_id == round_.id) == 0

    await uni_desk.decide(
        "cc_secretary", doc, stage_id=ids[0], version_id=v1, outcome="positive", **_meeting(uni, "cycle_commission")
    )
    # The department returns it for revision.
    await uni_desk.decide(
        "dep_chair",
        doc,
        stage_id=ids[1],
        version_id=v1,
        outcome="return",
        remarks="Hours of practice are missing.",
        **_meeting(uni, "department_body"),
    )
    async with db.tenant_session(uni.schema) as s:
        assert (await s.get(Document, doc)).status == "returned"
    with pytest.raises(Conflict, match="with its authors"):
        await uni_desk.decide(
            "fac_chair", doc, stage_id=ids[2], version_id=v1, outcome="positive", **_meeting(uni, "faculty_council")
        )

    # Cl. 19: a positive conclusion of every body on what is approved. A conclusion on version 1
    # says nothing of version 2, so the new version goes through the whole route again, starting
    # with the commission that already said yes to version 1.
    v2 = await uni_desk.upload("coauthor", doc, w.pdf("v2"), "curriculum-v2.pdf", note="Practice hours added")
    await uni_desk.submit("coauthor", doc, v2)
    restarted = (await uni_desk.timeline("author", doc)).rounds[0]
    assert restarted.submission == 2 and restarted.current_position == 0
    assert [s.status for s in restarted.stages] == ["active"] + ["waiting"] * 6
    # The earlier conclusions stay in the history, each with the submission and version it was on.
    assert [(d.submission, d.version_number, d.outcome) for d in restarted.stages[0].decisions] == [(1, 1, "positive")]
    assert [(d.submission, d.outcome) for d in restarted.stages[1].decisions] == [(1, "return")]
    assert not any(m.decided for m in restarted.stages[0].members)
    with pytest.raises(Conflict, match="not current"):
        await uni_desk.decide(
            "dep_chair", doc, stage_id=ids[1], version_id=v2, outcome="positive", **_meeting(uni, "department_body")
        )
    with pytest.raises(Conflict, match="version under review"):
        await uni_desk.decide(
            "cc_chair", doc, stage_id=ids[0], version_id=v1, outcome="positive", **_meeting(uni, "cycle_commission")
        )
    await uni_desk.decide(
        "cc_chair", doc, stage_id=ids[0], version_id=v2, outcome="positive", **_meeting(uni, "cycle_commission")
    )
    await uni_desk.decide(
        "dep_chair", doc, stage_id=ids[1], version_id=v2, outcome="positive", **_meeting(uni, "department_body")
    )
    await uni_desk.decide(
        "fac_chair", doc, stage_id=ids[2], version_id=v2, outcome="positive", **_meeting(uni, "faculty_council")
    )
    await uni_desk.decide(
        "inst_secretary", doc, stage_id=ids[3], version_id=v2, outcome="positive", **_meeting(uni, "institute_council")
    )
    # The office is headed, not a collegial body: its head decides without a meeting.
    await uni_desk.decide("office_head", doc, stage_id=ids[4], version_id=v2, outcome="positive")

    # All councils: the approval waits until every one of them has said yes.
    councils = {"org_council": "org_chair", "faculty_council": "fac_secretary", "institute_council": "inst_chair"}
    for body, who in councils.items():
        with pytest.raises(Conflict, match="not current"):
            await uni_desk.decide("head", doc, stage_id=ids[6], version_id=v2, outcome="positive")
        await uni_desk.decide(
            who,
            doc,
            stage_id=ids[5],
            version_id=v2,
            outcome="positive",
            body_id=uni.bodies[body][1],
            **_meeting(uni, body),
        )
    # A deputy head may not approve a working curriculum (cl. 19 names the head).
    with pytest.raises(Forbidden, match="head"):
        await uni_desk.decide("deputy", doc, stage_id=ids[6], version_id=v2, outcome="positive")
    await uni_desk.decide("head", doc, stage_id=ids[6], version_id=v2, outcome="positive")

    async with db.tenant_session(uni.schema) as s:
        document = await s.get(Document, doc)
        assert document.status == "approved" and document.approved_version_id == v2
        actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(round_.id)))).all()
    assert actions.count("review.decide") == 11 and "review.approve" in actions and "review.return" in actions
    # Every stage of the approved version concluded on that version (cl. 19).
    approved_round = (await uni_desk.timeline("author", doc)).rounds[0]
    for stage in approved_round.stages:
        on_v2 = [d for d in stage.decisions if d.submission == approved_round.submission]
        assert on_v2 and all(d.version_id == v2 and d.outcome == "positive" for d in on_v2), stage.label

    # A later version needs its own round, starting from the first stage.
    v3 = await uni_desk.upload("author", doc, w.pdf("v3"), "curriculum-v3.pdf", note="Electives updated")
    second = await uni_desk.submit("author", doc, v3)
    assert second.number == 2 and second.current_position == 0


async def test_negative_conclusion_at_all_councils_sends_the_document_back_through_its_whole_route(
    uni_desk: Desk, uni: w.World, db: Any
) -> None:
    doc, v1 = await _curriculum(uni_desk)
    await uni_desk.submit("author", doc, v1)
    ids = [s.id for s in (await uni_desk.timeline("author", doc)).rounds[0].stages]
    steps = [
        ("cc_chair", "cycle_commission"),
        ("dep_chair", "department_body"),
        ("fac_chair", "faculty_council"),
        ("inst_chair", "institute_council"),
    ]
    for index, (who, body) in enumerate(steps):
        await uni_desk.decide(who, doc, stage_id=ids[index], version_id=v1, outcome="positive", **_meeting(uni, body))
    await uni_desk.decide("office_head", doc, stage_id=ids[4], version_id=v1, outcome="positive")
    await uni_desk.decide(
        "org_chair",
        doc,
        stage_id=ids[5],
        version_id=v1,
        outcome="positive",
        body_id=uni.bodies["org_council"][1],
        **_meeting(uni, "org_council"),
    )
    with pytest.raises(Conflict, match="already given its conclusion"):
        await uni_desk.decide(
            "org_secretary",
            doc,
            stage_id=ids[5],
            version_id=v1,
            outcome="positive",
            body_id=uni.bodies["org_council"][1],
            **_meeting(uni, "org_council"),
        )
    with pytest.raises(DomainError, match="remarks"):
        await uni_desk.decide(
            "fac_chair",
            doc,
            stage_id=ids[5],
            version_id=v1,
            outcome="negative",
            body_id=uni.bodies["faculty_council"][1],
            **_meeting(uni, "faculty_council"),
        )
    await uni_desk.decide(
        "fac_chair",
        doc,
        stage_id=ids[5],
        version_id=v1,
        outcome="negative",
        remarks="No.",
        body_id=uni.bodies["faculty_council"][1],
        **_meeting(uni, "faculty_council"),
    )
    # A negative conclusion is told apart from a return for revision: in the document's status,
    # the round's and the stage's.
    rejected = await uni_desk.timeline("author", doc)
    assert rejected.status == "rejected" and rejected.rounds[0].status == "rejected"
    assert rejected.rounds[0].stages[5].status == "rejected"
    with pytest.raises(Conflict, match="after a negative conclusion"):
        await uni_desk.decide(
            "inst_chair",
            doc,
            stage_id=ids[5],
            version_id=v1,
            outcome="positive",
            body_id=uni.bodies["institute_council"][1],
            **_meeting(uni, "institute_council"),
        )
    v2 = await uni_desk.upload("author", doc, w.pdf("v2b"), "c.pdf", note="Reworked")
    await uni_desk.submit("author", doc, v2)
    timeline = await uni_desk.timeline("author", doc)
    assert timeline.status == "in_review"
    assert [s.status for s in timeline.rounds[0].stages] == ["active"] + ["waiting"] * 6
    # The approval waits until every body, the all-councils stage included, has concluded on v2.
    with pytest.raises(Conflict, match="not current"):
        await uni_desk.decide(
            "org_chair",
            doc,
            stage_id=ids[5],
            version_id=v2,
            outcome="positive",
            body_id=uni.bodies["org_council"][1],
            **_meeting(uni, "org_council"),
        )
    for index, (who, body) in enumerate(steps):
        await uni_desk.decide(who, doc, stage_id=ids[index], version_id=v2, outcome="positive", **_meeting(uni, body))
    await uni_desk.decide("office_head", doc, stage_id=ids[4], version_id=v2, outcome="positive")
    stage = (await uni_desk.timeline("author", doc)).rounds[0].stages[5]
    assert stage.status == "active" and not any(m.decided for m in stage.members)
    # Every council decides the new version again; the organisation council's earlier yes was for v1.
    for body, who in {
        "org_council": "org_chair",
        "faculty_council": "fac_chair",
        "institute_council": "inst_chair",
    }.items():
        await uni_desk.decide(
            who,
            doc,
            stage_id=ids[5],
            version_id=v2,
            outcome="positive",
            body_id=uni.bodies[body][1],
            **_meeting(uni, body),
        )
    await uni_desk.decide("head", doc, stage_id=ids[6], version_id=v2, outcome="positive")
    assert (await uni_desk.timeline("author", doc)).status == "approved"


async def test_a_council_concludes_only_at_a_meeting_with_its_quorum(uni_desk: Desk, uni: w.World, db: Any) -> None:
    """A body's conclusion taken at a meeting needs that meeting's quorum (the body's own rule;
    more than half of its members where its regulation is silent), as its other decisions do."""
    from api.domain.meetings.models import AgendaItem, Attendance, Meeting
    from api.domain.meetings.quorum import quorum_of_meeting

    doc, v1 = await _curriculum(uni_desk)
    await uni_desk.submit("author", doc, v1)
    ids = [s.id for s in (await uni_desk.timeline("author", doc)).rounds[0].stages]
    commission = uni.bodies["cycle_commission"][1]
    # A meeting of the commission where its two members (chair, secretary) were recorded absent.
    async with db.tenant_context(uni.schema) as session:
        meeting = Meeting(
            body_kind="commission", body_id=commission, title="Inquorate", starts_at=datetime.datetime.now(datetime.UTC)
        )
        session.add(meeting)
        await session.flush()
        item = AgendaItem(meeting_id=meeting.id, position=1, title="Curriculum", document_id=doc)
        session.add(item)
        for who in ("cc_chair", "cc_secretary"):
            session.add(Attendance(meeting_id=meeting.id, staff_id=uni[who].staff_id, present=False))
        await session.flush()
        meeting_id, item_id = meeting.id, item.id
    async with db.tenant_session(uni.schema) as session:
        quorum = await quorum_of_meeting(session, await session.get(Meeting, meeting_id))
    assert (quorum.met, quorum.present_members, quorum.members, quorum.rule) == (False, 0, 2, "more_than_half")

    with pytest.raises(DomainError, match=r"No quorum: 0 of 2 members present, 2 needed") as refused:
        await uni_desk.decide(
            "cc_chair",
            doc,
            stage_id=ids[0],
            version_id=v1,
            outcome="positive",
            meeting_id=meeting_id,
            agenda_item_id=item_id,
        )
    assert refused.value.field == "meeting_id"
    assert await w.count(db, uni.schema, ReviewDecision, ReviewDecision.stage_id == ids[0]) == 0

    # One of two present is not more than half; both present is.
    async with db.tenant_context(uni.schema) as session:
        row = await session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == meeting_id, Attendance.staff_id == uni["cc_chair"].staff_id
            )
        )
        row.present = True
    with pytest.raises(DomainError, match=r"No quorum: 1 of 2 members present, 2 needed"):
        await uni_desk.decide(
            "cc_chair",
            doc,
            stage_id=ids[0],
            version_id=v1,
            outcome="positive",
            meeting_id=meeting_id,
            agenda_item_id=item_id,
        )
    async with db.tenant_context(uni.schema) as session:
        row = await session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == meeting_id, Attendance.staff_id == uni["cc_secretary"].staff_id
            )
        )
        row.present = True
    await uni_desk.decide(
        "cc_chair",
        doc,
        stage_id=ids[0],
        version_id=v1,
        outcome="positive",
        meeting_id=meeting_id,
        agenda_item_id=item_id,
    )
    assert await w.count(db, uni.schema, ReviewDecision, ReviewDecision.stage_id == ids[0]) == 1


async def test_a_body_with_a_stricter_quorum_rule_holds_its_conclusions_to_it(
    uni_desk: Desk, uni: w.World, db: Any
) -> None:
    """The quorum is configurable per body: a department whose regulation asks for all members."""
    from api.domain.bodies.models import Commission
    from api.domain.meetings.models import Attendance

    doc, v1 = await _curriculum(uni_desk)
    await uni_desk.submit("author", doc, v1)
    ids = [s.id for s in (await uni_desk.timeline("author", doc)).rounds[0].stages]
    await uni_desk.decide(
        "cc_chair", doc, stage_id=ids[0], version_id=v1, outcome="positive", **_meeting(uni, "cycle_commission")
    )
    department = uni.bodies["department_body"][1]
    meeting_id = uni.meetings["department_body"][0]
    async with db.tenant_context(uni.schema) as session:
        (await session.get(Commission, department)).quorum_rule = "all"
        attendance = (await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))).all()
        assert len(attendance) >= 2
        attendance[0].present = False
    try:
        with pytest.raises(DomainError, match="No quorum"):
            await uni_desk.decide(
                "dep_chair", doc, stage_id=ids[1], version_id=v1, outcome="positive", **_meeting(uni, "department_body")
            )
    finally:
        async with db.tenant_context(uni.schema) as session:
            (await session.get(Commission, department)).quorum_rule = "more_than_half"
            for row in (await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))).all():
                row.present = True
    await uni_desk.decide(
        "dep_chair", doc, stage_id=ids[1], version_id=v1, outcome="positive", **_meeting(uni, "department_body")
    )
