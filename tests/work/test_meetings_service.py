"""Meetings: agenda, attendance, quorum (configurable per body), numbered decisions, cl. 25."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from api.audit import AuditEntry
from api.domain.bodies.models import Council
from api.domain.meetings.models import Decision, Meeting
from api.domain.meetings.schemas import (
    AgendaItemCreate,
    AgendaItemUpdate,
    AttendanceEntry,
    DecisionCreate,
    MeetingCreate,
    MeetingUpdate,
)
from api.domain.meetings.services import MeetingFilter, MeetingService
from api.errors import Conflict, DomainError, Forbidden
from api.paging import Paging
from api.roles import Role
from tests.work.helpers import KZ, School, actor, context, quarters, school_year_of

NOW = datetime.datetime.now(KZ)


def leader_of(school: School) -> Any:
    return actor(school.org, Role.ASSOCIATION_LEADER, staff_id=school.leader, user_id=school.teacher_users[0])


async def new_meeting(db: Any, school: School, **overrides: Any) -> Any:
    data = {
        "body_kind": "association",
        "body_id": school.association_id,
        "starts_at": NOW - datetime.timedelta(hours=1),
        "agenda": [AgendaItemCreate(title="Results of the term")],
    } | overrides
    async with db.tenant_context(school.schema) as session:
        return (await MeetingService(context(session, school.org, leader_of(school))).create(MeetingCreate(**data))).id


async def test_leader_creates_a_meeting_and_it_is_audited(db: Any, school: School) -> None:
    meeting_id = await new_meeting(db, school, place="Room 12", title="Meeting No. 1")
    async with db.tenant_session(school.schema) as session:
        read = await MeetingService(context(session, school.org, leader_of(school))).read(meeting_id)
        assert read.body_name == "Mathematics teachers"
        assert [a.title for a in read.agenda] == ["Results of the term"]
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.entity_id == str(meeting_id)))
        assert entry is not None and entry.action == "meeting.create"
        assert entry.after["place"] == "Room 12" and entry.actor_id == school.teacher_users[0]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"body_kind": "choir"}, "body_kind"),
        ({"body_id": "00000000-0000-7000-8000-000000000000"}, "body_id"),
        ({"ends_at": NOW - datetime.timedelta(hours=2)}, "ends_at"),
        ({"agenda": [AgendaItemCreate(title="   ")]}, "agenda[0].title"),
    ],
)
async def test_bad_meeting_is_refused_and_writes_nothing(
    db: Any, school: School, override: dict[str, Any], field: str
) -> None:
    import uuid

    if "body_id" in override:
        override = {"body_id": uuid.UUID(override["body_id"])}
    async with db.tenant_session(school.schema) as session:
        before = await session.scalar(select(func.count()).select_from(Meeting))
    with pytest.raises(DomainError) as refused:
        await new_meeting(db, school, **override)
    assert refused.value.field == field
    async with db.tenant_session(school.schema) as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == before


async def test_a_teacher_who_keeps_nothing_cannot_create_meetings(db: Any, school: School) -> None:
    teacher = actor(school.org, Role.TEACHER, staff_id=school.teachers[1])
    async with db.tenant_session(school.schema) as session:
        with pytest.raises(Forbidden):
            await MeetingService(context(session, school.org, teacher)).create(
                MeetingCreate(body_kind="association", body_id=school.association_id, starts_at=NOW)
            )
    # The leader of one association does not keep another association's meetings.
    async with db.tenant_session(school.schema) as session:
        with pytest.raises(Forbidden):
            await MeetingService(context(session, school.org, leader_of(school))).create(
                MeetingCreate(body_kind="association", body_id=school.second_association_id, starts_at=NOW)
            )


async def test_decision_needs_more_than_half_of_members(db: Any, school: School) -> None:
    meeting_id = await new_meeting(db, school)
    members = school.association_members  # five: more than half is three
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        await service.set_attendance(
            meeting_id,
            [
                AttendanceEntry(members[0], True),
                AttendanceEntry(members[1], True),
                AttendanceEntry(members[2], False, "ill"),
                AttendanceEntry(school.outsider, True),
            ],  # a guest
        )
    async with db.tenant_session(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        quorum = await service.quorum(meeting_id)
        assert (quorum.members, quorum.present_members, quorum.required, quorum.met) == (5, 2, 3, False)
        with pytest.raises(DomainError) as refused:
            await service.add_decision(meeting_id, DecisionCreate(text="Approve the plan of open lessons"))
        assert refused.value.field == "attendance"
        assert "No quorum: 2 of 5 members present, 3 needed" in refused.value.message
    async with db.tenant_session(school.schema) as session:
        assert (
            await session.scalar(select(func.count()).select_from(Decision).where(Decision.meeting_id == meeting_id))
            == 0
        )
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        await service.set_attendance(
            meeting_id,
            [AttendanceEntry(members[0], True), AttendanceEntry(members[1], True), AttendanceEntry(members[2], True)],
        )
        first = await service.add_decision(meeting_id, DecisionCreate(text="Approve the plan of open lessons"))
        second = await service.add_decision(meeting_id, DecisionCreate(text="Hold a seminar in March"))
        assert (first.number, second.number) == (1, 2)
        read = await service.read(meeting_id)
        assert [(a.present, a.absence_reason) for a in read.attendance] == [(True, None)] * 3


async def test_quorum_rule_is_the_bodys_own(db: Any, school: School) -> None:
    """The council requires two thirds: with three members, two present is enough, one is not."""
    async with db.tenant_context(school.schema) as session:
        await session.execute(update(Council).where(Council.id == school.council_id).values(quorum_rule="two_thirds"))
    secretary = actor(school.org, Role.COUNCIL_SECRETARY, staff_id=school.teachers[2])
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, secretary))
        meeting = await service.create(MeetingCreate(body_kind="council", body_id=school.council_id, starts_at=NOW))
        await service.set_attendance(meeting.id, [AttendanceEntry(school.teachers[2], True)])
        quorum = await service.quorum(meeting.id)
        assert (quorum.rule, quorum.required, quorum.met) == ("two_thirds", 2, False)
        with pytest.raises(DomainError, match="No quorum"):
            await service.add_decision(meeting.id, DecisionCreate(text="Recommend the guidelines"))
        await service.set_attendance(
            meeting.id, [AttendanceEntry(school.teachers[2], True), AttendanceEntry(school.teachers[3], True)]
        )
        decision = await service.add_decision(meeting.id, DecisionCreate(text="Recommend the guidelines"))
        assert decision.number == 1
    async with db.tenant_context(school.schema) as session:
        await session.execute(
            update(Council).where(Council.id == school.council_id).values(quorum_rule="more_than_half")
        )


@pytest.mark.parametrize("case", ["twice", "reason while present", "unknown person"])
async def test_bad_attendance_is_refused(db: Any, school: School, case: str) -> None:
    import uuid

    meeting_id = await new_meeting(db, school)
    entries = {
        "twice": [AttendanceEntry(school.teachers[0], True), AttendanceEntry(school.teachers[0], False)],
        "reason while present": [AttendanceEntry(school.teachers[0], True, "late")],
        "unknown person": [AttendanceEntry(uuid.uuid4(), True)],
    }[case]
    async with db.tenant_session(school.schema) as session:
        with pytest.raises(DomainError) as refused:
            await MeetingService(context(session, school.org, leader_of(school))).set_attendance(meeting_id, entries)
        assert refused.value.field and refused.value.field.startswith("attendance")


async def test_agenda_order_documents_and_linked_decisions(db: Any, school: School) -> None:
    import uuid

    document_id = uuid.uuid4()
    meeting_id = await new_meeting(db, school)
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        review = await service.add_agenda_item(
            meeting_id, AgendaItemCreate(title="Working programme, grade 7", document_id=document_id)
        )
        opening = await service.add_agenda_item(meeting_id, AgendaItemCreate(title="Opening", position=1))
        read = await service.read(meeting_id)
        assert [(a.position, a.title) for a in read.agenda] == [
            (1, "Opening"),
            (2, "Results of the term"),
            (3, "Working programme, grade 7"),
        ]
        assert read.agenda[2].document_id == document_id
        await service.update_agenda_item(meeting_id, review.id, AgendaItemUpdate(position=1))
        assert [a.title for a in (await service.read(meeting_id)).agenda][0] == "Working programme, grade 7"
        await service.set_attendance(meeting_id, [AttendanceEntry(s, True) for s in school.association_members])
        decision = await service.add_decision(meeting_id, DecisionCreate(text="Recommend it", agenda_item_id=review.id))
        with pytest.raises(DomainError) as wrong_item:
            await service.add_decision(meeting_id, DecisionCreate(text="x", agenda_item_id=uuid.uuid4()))
        assert wrong_item.value.field == "agenda_item_id"
        with pytest.raises(Conflict, match="Decisions 1 refer"):
            await service.remove_agenda_item(meeting_id, review.id)
        await service.remove_agenda_item(meeting_id, opening.id)
        assert [a.position for a in (await service.read(meeting_id)).agenda] == [1, 2]
        assert decision.agenda_item_id == review.id


async def test_only_the_last_decision_may_be_removed(db: Any, school: School) -> None:
    meeting_id = await new_meeting(db, school)
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        await service.set_attendance(meeting_id, [AttendanceEntry(s, True) for s in school.association_members])
        first = await service.add_decision(meeting_id, DecisionCreate(text="One"))
        second = await service.add_decision(meeting_id, DecisionCreate(text="Two"))
        with pytest.raises(Conflict):
            await service.remove_decision(meeting_id, first.id)
        await service.remove_decision(meeting_id, second.id)
        third = await service.add_decision(meeting_id, DecisionCreate(text="Three"))
        assert third.number == 2


async def test_minutes_and_archive(db: Any, school: School) -> None:
    meeting_id = await new_meeting(db, school)
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        updated = await service.update(meeting_id, MeetingUpdate(minutes="  Heard: the head of the association.  "))
        assert updated.minutes == "Heard: the head of the association."
        with pytest.raises(DomainError) as nothing:
            await service.update(meeting_id, MeetingUpdate())
        assert nothing.value.message == "Nothing to change."
        await service.archive(meeting_id)
        with pytest.raises(Conflict):
            await service.update(meeting_id, MeetingUpdate(place="Hall"))
        listed = await service.list(MeetingFilter(body_id=school.association_id), Paging(1, 200))
        assert meeting_id not in {m.id for m in listed.items}


async def test_teachers_read_their_own_bodies_only(db: Any, school: School) -> None:
    meeting_id = await new_meeting(db, school)
    member = actor(school.org, Role.TEACHER, staff_id=school.teachers[1])
    stranger = actor(school.org, Role.TEACHER, staff_id=school.teachers[6])  # in the other association
    async with db.tenant_session(school.schema) as session:
        assert (await MeetingService(context(session, school.org, member)).read(meeting_id)).id == meeting_id
        with pytest.raises(Forbidden):
            await MeetingService(context(session, school.org, stranger)).read(meeting_id)
        seen = await MeetingService(context(session, school.org, stranger)).list(MeetingFilter(), Paging(1, 200))
        assert all(m.body_id != school.association_id for m in seen.items)
        head = actor(school.org, Role.HEAD)
        everything = await MeetingService(context(session, school.org, head)).list(MeetingFilter(), Paging(1, 200))
        assert meeting_id in {m.id for m in everything.items}


async def test_association_meets_once_a_quarter(db: Any, school: School) -> None:
    """Cl. 25: compliant with a meeting in this quarter of the calendar; the other association is not."""
    today = datetime.datetime.now(KZ).date()
    year = school_year_of(today)
    terms = quarters(year - 1) + quarters(year) + quarters(year + 1)
    term = [t for t in terms if t[1] <= today][-1]
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, leader_of(school)))
        held = await service.create(
            MeetingCreate(
                body_kind="association",
                body_id=school.association_id,
                starts_at=datetime.datetime.combine(term[1], datetime.time(8), tzinfo=KZ),
            )
        )
        await service.update(held.id, MeetingUpdate(minutes="Results of the quarter discussed."))
        report = await service.quarter_compliance(today)
    assert report.clause == "25" and report.term_number == term[0] and report.term_starts_on == term[1]
    rows = {r.association_id: r for r in report.associations}
    assert rows[school.association_id].compliant and rows[school.association_id].meetings >= 1
    assert not rows[school.second_association_id].compliant and rows[school.second_association_id].meetings == 0


async def test_a_year_without_a_calendar_takes_the_default_one(db: Any, school: School) -> None:
    """A school year the organisation has not entered is bounded by the default calendar of
    Kazakhstan's school year (quarters for a school), not refused; the report says which."""
    async with db.tenant_session(school.schema) as session:
        report = await MeetingService(context(session, school.org, leader_of(school))).quarter_compliance(
            datetime.date(2001, 1, 1)
        )
    # 1 January falls in the winter holidays, which belong to the second quarter of 2000/2001.
    assert (report.calendar, report.school_year, report.term_kind, report.term_number) == (
        "default",
        2000,
        "quarter",
        2,
    )
    assert report.term_starts_on == datetime.date(2000, 11, 3) and report.term_ends_on == datetime.date(2001, 1, 7)


async def test_only_a_held_meeting_counts_for_cl_25(db: Any, school: School) -> None:
    """Cl. 25: associations meet once a quarter. A meeting scheduled ahead has not been held, and a
    past one nobody recorded proves nothing: only minutes or attendance make it held."""
    from api.domain.bodies.models import Association, BodyMembership

    today = datetime.datetime.now(KZ).date()
    now = datetime.datetime.now(KZ)
    async with db.tenant_context(school.schema) as session:
        association = Association(name="Primary grades teachers", kind="primary_grades")
        session.add(association)
        await session.flush()
        session.add(
            BodyMembership(
                body_kind="association",
                body_id=association.id,
                staff_id=school.teachers[0],
                starts_on=today - datetime.timedelta(days=400),
            )
        )
        association_id = association.id
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, actor(school.org, Role.DEPUTY_HEAD)))
        await service.create(
            MeetingCreate(
                body_kind="association",
                body_id=association_id,
                starts_at=now + datetime.timedelta(hours=1),
                title="Planned",
            )
        )
        unrecorded = await service.create(
            MeetingCreate(
                body_kind="association", body_id=association_id, starts_at=now - datetime.timedelta(minutes=30)
            )
        )
        row = {r.association_id: r for r in (await service.quarter_compliance(today)).associations}[association_id]
        unrecorded_id = unrecorded.id
    assert (row.meetings, row.planned_meetings, row.compliant) == (0, 2, False)
    async with db.tenant_context(school.schema) as session:
        service = MeetingService(context(session, school.org, actor(school.org, Role.DEPUTY_HEAD)))
        await service.set_attendance(unrecorded_id, [AttendanceEntry(staff_id=school.teachers[0], present=True)])
        row = {r.association_id: r for r in (await service.quarter_compliance(today)).associations}[association_id]
    assert (row.meetings, row.planned_meetings, row.compliant) == (1, 1, True)


async def test_compliance_does_not_look_before_an_association_existed(db: Any, school: School) -> None:
    """An association recorded after a quarter ended is not flagged for that quarter; one that
    existed then and did not meet is."""
    from api.domain.bodies.models import Association

    today = datetime.datetime.now(KZ).date()
    year = school_year_of(today)
    terms = [t for t in quarters(year - 1) + quarters(year) if t[2] < today]
    previous = terms[-1]
    async with db.tenant_context(school.schema) as session:
        old = Association(
            name="Boarding educators",
            kind="boarding_educators",
            created_at=datetime.datetime.combine(
                previous[1] - datetime.timedelta(days=30), datetime.time(9), tzinfo=KZ
            ),
        )
        new = Association(name="Preschool educators", kind="preschool_educators")
        session.add_all([old, new])
        await session.flush()
        old_id, new_id = old.id, new.id
    async with db.tenant_session(school.schema) as session:
        service = MeetingService(context(session, school.org, actor(school.org, Role.DEPUTY_HEAD)))
        earlier = await service.quarter_compliance(previous[1])
        current = await service.quarter_compliance(today)
    assert earlier.term_starts_on == previous[1]
    earlier_rows = {r.association_id: r for r in earlier.associations}
    assert new_id not in earlier_rows
    assert old_id in earlier_rows and not earlier_rows[old_id].compliant
    assert earlier_rows[old_id].recorded_on == previous[1] - datetime.timedelta(days=30)
    current_rows = {r.association_id: r for r in current.associations}
    assert new_id in current_rows and not current_rows[new_id].compliant
