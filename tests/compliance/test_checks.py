"""Each check of the compliance engine, per clause: a compliant case and a non-compliant one."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from api.domain.bodies.models import Association, Council, InterSchoolAssociation, LeaderTerm
from api.domain.compliance.checks import CHECKS, CheckContext, Found
from api.domain.documents.models import Document, DocumentVersion
from api.domain.meetings.models import Meeting
from api.domain.organisations.models import Organisation
from api.domain.plans.models import PlanItem, WorkPlan
from api.domain.plans.rules import Direction
from api.domain.reviews.models import ReviewMissingStage, ReviewRound
from api.domain.structure.models import Staff, StaffSubject, Subject
from tests.work.helpers import KZ, SCHOOL_YEAR, TODAY


async def run(db: Any, org: Organisation, name: str, on: datetime.date = TODAY) -> list[Found]:
    async with db.tenant_context(org.schema_name) as session:
        return await CHECKS[name].run(CheckContext(session, org.id, org.kind, on))


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=KZ)


async def add(db: Any, org: Organisation, *rows: Any) -> None:
    async with db.tenant_context(org.schema_name) as session:
        session.add_all(rows)


async def approved_plan(
    db: Any, org: Organisation, association_id: uuid.UUID, directions: list[Direction], version: int = 1
) -> None:
    async with db.tenant_context(org.schema_name) as session:
        plan = WorkPlan(
            association_id=association_id,
            school_year=SCHOOL_YEAR,
            version=version,
            status="approved",
            approved_at=at(TODAY),
        )
        session.add(plan)
        await session.flush()
        for n, d in enumerate(directions):
            session.add(PlanItem(plan_id=plan.id, position=n, title=f"Item {n}", direction=d.value, starts_on=TODAY))


# --- cl. 7 ---------------------------------------------------------------------------------------


async def test_cl7_the_approved_plans_cover_the_eight_directions(db: Any, bare_school: Organisation) -> None:
    a, b = Association(name="Maths", kind="subject"), Association(name="Class teachers", kind="class_teachers")
    await add(db, bare_school, a, b)
    directions = list(Direction)
    await approved_plan(db, bare_school, a.id, directions[:4])
    await approved_plan(db, bare_school, b.id, directions[4:7])
    [found] = await run(db, bare_school, "plan_directions")
    assert found.clause == "7" and found.subject_kind == "organisation"
    assert found.evidence["missing_directions"] == ["methodological_products"] and found.values["missing"] == "8"
    # A submitted plan does not count; an approved one does.
    c = Association(name="Primary grades", kind="primary_grades")
    await add(db, bare_school, c)
    await add(db, bare_school, WorkPlan(association_id=c.id, school_year=SCHOOL_YEAR, status="submitted"))
    assert len(await run(db, bare_school, "plan_directions")) == 1
    d = Association(name="Boarding educators", kind="boarding_educators")
    await add(db, bare_school, d)
    await approved_plan(db, bare_school, d.id, directions[7:])
    assert await run(db, bare_school, "plan_directions") == []


# --- cl. 14 --------------------------------------------------------------------------------------


async def test_cl14_a_deputy_head_for_academic_work_is_assigned(db: Any, bare_school: Organisation) -> None:
    await add(db, bare_school, Staff(full_name="Not a deputy", positions=["teacher"]))
    [found] = await run(db, bare_school, "deputy_head")
    assert found.clause == "14" and found.api_path == f"/api/organisations/{bare_school.id}/staff"
    archived = Staff(full_name="Former deputy", positions=["deputy_head"], archived_at=at(TODAY))
    await add(db, bare_school, archived)
    assert len(await run(db, bare_school, "deputy_head")) == 1  # an archived one is no deputy
    await add(db, bare_school, Staff(full_name="Deputy", positions=["teacher", "deputy_head"]))
    assert await run(db, bare_school, "deputy_head") == []


async def test_cl14_a_faculty_has_its_methodological_council(db: Any, bare_school: Organisation) -> None:
    from api.domain.structure.models import Unit

    faculty, division = Unit(name="Faculty of physics", kind="faculty"), Unit(name="Division", kind="division")
    await add(db, bare_school, faculty, division)
    [found] = await run(db, bare_school, "unit_councils")
    assert (found.clause, found.subject_id, found.subject_kind) == ("14", faculty.id, "unit")
    await add(db, bare_school, Council(name="Faculty council", kind="methodological", unit_id=faculty.id))
    assert await run(db, bare_school, "unit_councils") == []


# --- cl. 18–21 -----------------------------------------------------------------------------------


async def _reviewed(db: Any, org: Organisation, title: str, *, missing: tuple[str, str] | None) -> uuid.UUID:
    async with db.tenant_context(org.schema_name) as session:
        doc = Document(kind="working_programme", title=title, status="approved", author_staff_ids=[])
        session.add(doc)
        await session.flush()
        version = DocumentVersion(document_id=doc.id, number=1, filename="p.pdf", format="pdf", size=1, sha256="0" * 64)
        session.add(version)
        await session.flush()
        rnd = ReviewRound(document_id=doc.id, number=1, version_id=version.id, status="approved", current_position=None)
        session.add(rnd)
        await session.flush()
        if missing is not None:
            session.add(
                ReviewMissingStage(
                    round_id=rnd.id,
                    position=1,
                    selector=missing[0],
                    clause=missing[1],
                    label="Methodological council of the organisation",
                )
            )
        return doc.id


async def test_cl18_21_a_dropped_stage_is_a_finding(db: Any, bare_school: Organisation) -> None:
    await _reviewed(db, bare_school, "Complete route", missing=None)
    assert await run(db, bare_school, "review_route_complete") == []
    doc_id = await _reviewed(db, bare_school, "Programme without a council", missing=("organisation_council", "20"))
    [found] = await run(db, bare_school, "review_route_complete")
    assert (found.clause, found.subject_kind, found.subject_id) == ("20", "document", doc_id)
    assert found.web_path == f"/organisations/{bare_school.id}/documents/{doc_id}"
    assert found.api_path == f"/api/organisations/{bare_school.id}/documents/{doc_id}"
    assert found.evidence["selector"] == "organisation_council"


# --- cl. 25 --------------------------------------------------------------------------------------


async def test_cl25_every_closed_quarter_has_a_held_meeting(db: Any, bare_school: Organisation) -> None:
    """Against the default calendar (the school has none): checked on 1 May of last school year,
    quarters 1–3 are closed. Only held meetings count; an association recorded later is not held
    to the quarters before it existed."""
    year = SCHOOL_YEAR - 1
    on = datetime.date(year + 1, 5, 1)
    regular = Association(name="Regular", kind="subject", created_at=at(datetime.date(year, 8, 20)))
    lapsed = Association(name="Lapsed", kind="subject", created_at=at(datetime.date(year, 8, 20)))
    late = Association(name="Late", kind="subject", created_at=at(datetime.date(year + 1, 2, 1)))
    await add(db, bare_school, regular, lapsed, late)
    q1, q2, q3 = datetime.date(year, 10, 1), datetime.date(year, 12, 1), datetime.date(year + 1, 2, 10)
    await add(
        db,
        bare_school,
        *(Meeting(body_kind="association", body_id=regular.id, starts_at=at(d), minutes="Held.") for d in (q1, q2, q3)),
        Meeting(body_kind="association", body_id=lapsed.id, starts_at=at(q1), minutes="Held."),
        Meeting(body_kind="association", body_id=lapsed.id, starts_at=at(q2)),  # never recorded: not held
    )
    found = await run(db, bare_school, "quarterly_meetings", on)
    missed = sorted((f.subject_name, f.evidence["term"]) for f in found)
    assert missed == [("Lapsed", 2), ("Lapsed", 3), ("Late", 3)]
    lapsed_q2 = next(f for f in found if f.subject_name == "Lapsed" and f.evidence["term"] == 2)
    assert lapsed_q2.evidence["calendar"] == "default" and lapsed_q2.evidence["planned_meetings"] == 1
    assert lapsed_q2.since == datetime.date(year + 1, 1, 8)  # the day after the quarter's window (holidays included)
    assert {f.clause for f in found} == {"25"}


# --- cl. 26 --------------------------------------------------------------------------------------


async def test_cl26_a_subject_of_three_teachers_has_an_association(db: Any, bare_school: Organisation) -> None:
    chemistry = Subject(code=f"cmp-chem-{uuid.uuid4().hex[:6]}", name_kk="Химия", name_ru="Химия", name_en="Chemistry")
    physics = Subject(code=f"cmp-phys-{uuid.uuid4().hex[:6]}", name_kk="Физика", name_ru="Физика", name_en="Physics")
    await add(db, bare_school, chemistry, physics)
    people = [Staff(full_name=f"T{n}", positions=["teacher"]) for n in range(5)]
    await add(db, bare_school, *people)
    await add(
        db,
        bare_school,
        *(StaffSubject(staff_id=p.id, subject_id=chemistry.id) for p in people[:3]),
        *(StaffSubject(staff_id=p.id, subject_id=physics.id) for p in people[3:]),
    )
    [found] = await run(db, bare_school, "subject_associations")
    assert (found.clause, found.subject_id, found.evidence["teachers"]) == ("26", chemistry.id, 3)  # physics has two
    await add(db, bare_school, Association(name="Chemistry teachers", kind="subject", subject_id=chemistry.id))
    assert await run(db, bare_school, "subject_associations") == []


# --- cl. 29 --------------------------------------------------------------------------------------


async def test_cl29_every_association_has_an_approved_annual_plan(db: Any, bare_school: Organisation) -> None:
    a = Association(name="Maths", kind="subject")
    await add(db, bare_school, a)
    await add(db, bare_school, WorkPlan(association_id=a.id, school_year=SCHOOL_YEAR, status="submitted"))
    [found] = await run(db, bare_school, "annual_plans")
    assert (found.clause, found.subject_id, found.evidence["plan_status"]) == ("29", a.id, "submitted")
    assert found.web_path == f"/organisations/{bare_school.id}/associations/{a.id}"
    await approved_plan(db, bare_school, a.id, [Direction.CERTIFICATION], version=2)
    assert await run(db, bare_school, "annual_plans") == []


# --- cl. 30 --------------------------------------------------------------------------------------


async def test_cl30_leaders_serve_at_most_a_year_and_are_in_office(db: Any, bare_school: Organisation) -> None:
    """The database refuses a term over a year (leader_term_at_most_one_year); the check finds a
    body with no term in force (the last one ended) and an inter-school leader not appointed."""
    ok, none, never = (Association(name=n, kind="subject") for n in ("Led", "Leaderless", "Never led"))
    inter = InterSchoolAssociation(name="Inter-school", kind="subject", territory_id=uuid.uuid4())
    await add(db, bare_school, ok, none, never, inter)
    start = TODAY - datetime.timedelta(days=30)
    leaders = [Staff(full_name=n, positions=["teacher"]) for n in ("A", "B")]
    await add(db, bare_school, *leaders)
    await add(
        db,
        bare_school,
        LeaderTerm(
            body_kind="association",
            body_id=ok.id,
            staff_id=leaders[0].id,
            full_name="A",
            method="elected",
            starts_on=start,
            ends_on=start + datetime.timedelta(days=364),
        ),
        LeaderTerm(
            body_kind="association",
            body_id=none.id,
            staff_id=leaders[1].id,
            full_name="B",
            method="elected",
            starts_on=start - datetime.timedelta(days=400),
            ends_on=start - datetime.timedelta(days=40),
        ),
        LeaderTerm(
            body_kind="inter_school_association",
            body_id=inter.id,
            member_organisation_id=uuid.uuid4(),
            member_staff_id=uuid.uuid4(),
            full_name="D",
            method="elected",
            starts_on=start,
            ends_on=start + datetime.timedelta(days=300),
        ),
    )
    found = {(f.subject_name, f.evidence["issue"]) for f in await run(db, bare_school, "leader_terms")}
    assert found == {("Leaderless", "no_leader"), ("Never led", "no_leader"), ("Inter-school", "not_appointed")}
    leaderless = next(f for f in await run(db, bare_school, "leader_terms") if f.subject_name == "Leaderless")
    assert leaderless.since == start - datetime.timedelta(days=39) and leaderless.clause == "30"


async def test_cl30_compliant_leaders_give_no_finding(db: Any, bare_school: Organisation) -> None:
    a = Association(name="Led", kind="subject")
    inter = InterSchoolAssociation(name="Inter-school", kind="subject", territory_id=uuid.uuid4())
    await add(db, bare_school, a, inter)
    start = TODAY - datetime.timedelta(days=10)
    end = start + datetime.timedelta(days=364)
    leader = Staff(full_name="A", positions=["teacher"])
    await add(db, bare_school, leader)
    await add(
        db,
        bare_school,
        LeaderTerm(
            body_kind="association",
            body_id=a.id,
            staff_id=leader.id,
            full_name="A",
            method="elected",
            starts_on=start,
            ends_on=end,
        ),
        LeaderTerm(
            body_kind="inter_school_association",
            body_id=inter.id,
            member_organisation_id=uuid.uuid4(),
            member_staff_id=uuid.uuid4(),
            full_name="D",
            method="appointed",
            starts_on=start,
            ends_on=end,
        ),
    )
    assert await run(db, bare_school, "leader_terms") == []


# --- cl. 32 --------------------------------------------------------------------------------------


async def test_cl32_a_methodological_council_apart_from_the_pedagogical_one(db: Any, bare_school: Organisation) -> None:
    await add(db, bare_school, Council(name="Pedagogical council", kind="pedagogical"))
    [found] = await run(db, bare_school, "methodological_council")
    assert found.clause == "32" and found.evidence == {"pedagogical_council": True}
    await add(db, bare_school, Council(name="Methodological council", kind="methodological"))
    assert await run(db, bare_school, "methodological_council") == []
