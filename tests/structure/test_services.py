"""The rules of the structure and the bodies, each with a passing and a refused case."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from api.clock import today
from api.crud import PlainFilter
from api.domain.bodies.associations import AssociationService
from api.domain.bodies.councils import CouncilService
from api.domain.bodies.inter_school import InterSchoolService
from api.domain.bodies.models import Association, Council, LeaderTerm, SectorUnion
from api.domain.bodies.registry import BodyKind, QuorumRule, bodies_of_staff, get_body, list_bodies
from api.domain.bodies.rules import AssociationKind, CommissionKind, LeaderMethod, UnionMemberKind
from api.domain.bodies.schemas import (
    AssociationCreate,
    CommissionCreate,
    CouncilCreate,
    CouncilUpdate,
    InterSchoolCreate,
    InterSchoolLeaderCreate,
    InterSchoolMemberCreate,
    LeaderCreate,
    LeaderEnd,
    MemberInput,
    PedagogicalCouncilCreate,
    UnionCreate,
    UnionMemberCreate,
)
from api.domain.bodies.services import BodiesService, BodyFilter
from api.domain.bodies.unions import UnionService
from api.domain.organisations.rules import OrgKind
from api.domain.structure.calendar import CalendarService, current_term
from api.domain.structure.models import AcademicTerm, Subject, Unit
from api.domain.structure.rules import Position, UnitKind
from api.domain.structure.schemas import CalendarCreate, StaffCreate, StaffUpdate, SubjectCreate, TermInput, UnitCreate
from api.domain.structure.services import SubjectService, UnitService
from api.domain.structure.staff import StaffService
from api.errors import Conflict, DomainError, Forbidden
from api.paging import Paging
from tests.structure.conftest import Region, admin_of, context_of, district_methodist, make_org, teacher_of
from tests.structure.helpers import audit_count, count, new_staff, new_subject

D = datetime.date


# --- cl. 10: unit kinds depend on the organisation's kind ---------------------------------------


async def test_cl10_unit_kinds_follow_the_organisation_kind(db: Any, region: Region) -> None:
    school, university = region.school, region.university
    async with db.tenant_context(school.schema) as session:
        unit = await UnitService(context_of(school, session, admin_of(school))).create(
            UnitCreate("МО начальных классов", UnitKind.ASSOCIATION)
        )
        assert unit.kind == "association"
    async with db.tenant_context(university.schema) as session:
        units = UnitService(context_of(university, session, admin_of(university)))
        faculty = await units.create(UnitCreate("Faculty of Physics", UnitKind.FACULTY))
        department = await units.create(UnitCreate("Department of Optics", UnitKind.DEPARTMENT, parent_id=faculty.id))
        assert department.parent_id == faculty.id
        tree = await units.tree()
        assert [(n.name, [c.name for c in n.children]) for n in tree if n.id == faculty.id] == [
            ("Faculty of Physics", ["Department of Optics"])
        ]

    before = await audit_count(db, school)
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await UnitService(context_of(school, session, admin_of(school))).create(
                UnitCreate("Faculty", UnitKind.FACULTY)
            )
    assert (refused.value.clause, refused.value.field) == ("10", "kind")
    assert "school has no units of kind faculty" in refused.value.message
    assert await audit_count(db, school) == before

    with pytest.raises(DomainError) as misplaced:
        async with db.tenant_context(university.schema) as session:
            await UnitService(context_of(university, session, admin_of(university))).create(
                UnitCreate("Faculty under a department", UnitKind.FACULTY, parent_id=department.id)
            )
    assert (misplaced.value.clause, misplaced.value.field) == ("10", "parent_id")


async def test_unit_cannot_move_under_itself_and_archive_needs_empty_unit(db: Any, region: Region) -> None:
    uni = region.university
    admin = admin_of(uni)
    async with db.tenant_context(uni.schema) as session:
        units = UnitService(context_of(uni, session, admin))
        institute = await units.create(UnitCreate("Institute", UnitKind.INSTITUTE))
        faculty = await units.create(UnitCreate("Faculty", UnitKind.FACULTY, parent_id=institute.id))
    with pytest.raises(Conflict):
        async with db.tenant_context(uni.schema) as session:
            await UnitService(context_of(uni, session, admin)).archive(institute.id)
    async with db.tenant_context(uni.schema) as session:
        units = UnitService(context_of(uni, session, admin))
        await units.archive(faculty.id)
        assert (await units.archive(institute.id)).archived_at is not None


async def test_only_shapers_change_the_structure(db: Any, region: Region) -> None:
    school = region.school
    with pytest.raises(Forbidden):
        async with db.tenant_context(school.schema) as session:
            await UnitService(context_of(school, session, teacher_of(school, uuid.uuid4(), None))).create(
                UnitCreate("x", UnitKind.ASSOCIATION)
            )


# --- subjects, staff, calendar -----------------------------------------------------------------


async def test_school_catalogue_is_seeded_once_and_colleges_start_empty(db: Any, region: Region) -> None:
    # A college of its own: the shared one gets subjects from other tests, in whatever order they run.
    college = await make_org(db, OrgKind.COLLEGE, region.district, "Structure College, empty catalogue")
    school2 = region.school2
    async with db.tenant_context(school2.schema) as session:
        subjects = SubjectService(context_of(school2, session, admin_of(school2)))
        seeded, total = await subjects.list(PlainFilter(), Paging(1, 200))
        assert total >= 25 and "mathematics" in {s.code for s in seeded}
        maths = next(s for s in seeded if s.code == "mathematics")
        await subjects.archive(maths.id)
    async with db.tenant_context(school2.schema) as session:
        again, _ = await SubjectService(context_of(school2, session, admin_of(school2))).list(
            PlainFilter(), Paging(1, 200)
        )
        assert "mathematics" not in {s.code for s in again}  # not seeded a second time
    async with db.tenant_context(college.schema) as session:
        _, college_total = await SubjectService(context_of(college, session, admin_of(college))).list(
            PlainFilter(), Paging(1, 200)
        )
    assert college_total == 0


async def test_staff_positions_cl31_supervised_subjects_need_deputy_head(db: Any, region: Region) -> None:
    school = region.school
    admin = admin_of(school)
    maths = await new_subject(db, school, admin, "Maths")
    async with db.tenant_context(school.schema) as session:
        deputy = await StaffService(context_of(school, session, admin)).create(
            StaffCreate(
                "Deputy Head",
                [Position.TEACHER, Position.DEPUTY_HEAD],
                user_id=uuid.uuid4(),
                supervised_subject_ids=[maths],
            )
        )
        assert deputy.supervised_subject_ids == [maths]
    before = await audit_count(db, school)
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await StaffService(context_of(school, session, admin)).create(
                StaffCreate("Plain Teacher", [Position.TEACHER], supervised_subject_ids=[maths])
            )
    assert (refused.value.field, refused.value.clause) == ("supervised_subject_ids", "31")
    with pytest.raises(Conflict) as taken:
        async with db.tenant_context(school.schema) as session:
            await StaffService(context_of(school, session, admin)).create(
                StaffCreate("Same account", [Position.TEACHER], user_id=deputy.user_id)
            )
    assert taken.value.field == "user_id"
    assert await audit_count(db, school) == before


async def test_staff_update_changes_subjects_and_is_audited(db: Any, region: Region) -> None:
    school = region.school
    admin = admin_of(school)
    a, b = await new_subject(db, school, admin, "A"), await new_subject(db, school, admin, "B")
    person = await new_staff(db, school, admin, subject_ids=[a])
    async with db.tenant_context(school.schema) as session:
        updated = await StaffService(context_of(school, session, admin)).update(
            person, StaffUpdate(subject_ids=[b], qualification_category="expert")
        )
    assert updated.subject_ids == [b] and updated.qualification_category == "expert"
    from api.audit import AuditEntry

    async with db.tenant_context(school.schema) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity_id == str(person)).order_by(AuditEntry.seq.desc()).limit(1)
        )
    assert entry is not None and entry.action == "staff.update" and entry.actor_id == admin.user_id
    assert entry.before["subject_ids"] == [str(a)] and entry.after["subject_ids"] == [str(b)]


async def test_calendar_quarters_for_schools_semesters_for_colleges(db: Any, region: Region) -> None:
    school, college = region.school, region.college
    async with db.tenant_context(school.schema) as session:
        terms = await CalendarService(context_of(school, session, admin_of(school))).create(CalendarCreate(2031))
        assert [(t.kind, t.number) for t in terms] == [("quarter", n) for n in (1, 2, 3, 4)]
        assert (await current_term(session, D(2031, 11, 20))).number == 2
        assert await current_term(session, D(2031, 10, 30)) is None  # autumn holidays
    async with db.tenant_context(college.schema) as session:
        terms = await CalendarService(context_of(college, session, admin_of(college))).create(CalendarCreate(2031))
        assert [(t.kind, t.number) for t in terms] == [("semester", 1), ("semester", 2)]
    with pytest.raises(DomainError) as overlapping:
        async with db.tenant_context(school.schema) as session:
            await CalendarService(context_of(school, session, admin_of(school))).create(
                CalendarCreate(
                    2032,
                    [
                        TermInput(1, D(2032, 9, 1), D(2032, 11, 1)),
                        TermInput(2, D(2032, 10, 20), D(2032, 12, 25)),
                        TermInput(3, D(2033, 1, 8), D(2033, 3, 18)),
                        TermInput(4, D(2033, 3, 30), D(2033, 5, 25)),
                    ],
                )
            )
    assert overlapping.value.field == "terms[1]"
    with pytest.raises(DomainError) as semesters_in_school:
        async with db.tenant_context(school.schema) as session:
            await CalendarService(context_of(school, session, admin_of(school))).create(
                CalendarCreate(
                    2033, [TermInput(1, D(2033, 9, 1), D(2033, 12, 31)), TermInput(2, D(2034, 1, 10), D(2034, 5, 25))]
                )
            )
    assert semesters_in_school.value.field == "terms"
    async with db.tenant_context(school.schema) as session:
        assert await session.scalar(select(AcademicTerm.id).where(AcademicTerm.school_year.in_([2032, 2033]))) is None


# --- cl. 25, 26: associations ------------------------------------------------------------------


async def test_cl25_association_kinds_in_a_school(db: Any, region: Region) -> None:
    school = region.school
    async with db.tenant_context(school.schema) as session:
        row = await AssociationService(context_of(school, session, admin_of(school))).create(
            AssociationCreate("МО классных руководителей", AssociationKind.CLASS_TEACHERS)
        )
        assert row.kind == "class_teachers"
    with pytest.raises(DomainError) as no_subject:
        async with db.tenant_context(school.schema) as session:
            await AssociationService(context_of(school, session, admin_of(school))).create(
                AssociationCreate("МО", AssociationKind.SUBJECT)
            )
    assert (no_subject.value.clause, no_subject.value.field) == ("25", "subject_id")


async def test_cl25_universities_and_cabinets_form_no_school_associations(db: Any, region: Region) -> None:
    for place in (region.university, region.cabinet):
        before = await count(db, place, Association)
        with pytest.raises(DomainError) as refused:
            async with db.tenant_context(place.schema) as session:
                await AssociationService(context_of(place, session, admin_of(place))).create(
                    AssociationCreate("Primary grades", AssociationKind.PRIMARY_GRADES)
                )
        assert refused.value.clause == "25"
        assert await count(db, place, Association) == before


async def test_cl26_three_teachers_of_the_subject(db: Any, region: Region) -> None:
    school = region.school
    admin = admin_of(school)
    subject = await new_subject(db, school, admin, "Chemistry")
    for _ in range(2):
        await new_staff(db, school, admin, subject_ids=[subject])
    before_audit, before_rows = await audit_count(db, school), await count(db, school, Association)
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await AssociationService(context_of(school, session, admin)).create(
                AssociationCreate("МО химии", AssociationKind.SUBJECT, subject_id=subject)
            )
    error = refused.value
    assert (error.status, error.clause, error.field) == (422, "26", "subject_id")
    assert "in this school: 2." in error.message and "inter-school association" in error.message
    assert str(region.cabinet.id) in error.message  # the district cabinet to turn to
    assert (await audit_count(db, school), await count(db, school, Association)) == (before_audit, before_rows)

    await new_staff(db, school, admin, subject_ids=[subject])
    async with db.tenant_context(school.schema) as session:
        row = await AssociationService(context_of(school, session, admin)).create(
            AssociationCreate("МО химии", AssociationKind.SUBJECT, subject_id=subject)
        )
    assert row.subject_id == subject


async def test_cl26_counts_only_live_teachers_and_colleges_are_not_bound(db: Any, region: Region) -> None:
    school, college = region.school, region.college
    admin = admin_of(school)
    subject = await new_subject(db, school, admin, "Biology")
    staff = [await new_staff(db, school, admin, subject_ids=[subject]) for _ in range(3)]
    async with db.tenant_context(school.schema) as session:
        await StaffService(context_of(school, session, admin)).archive(staff[0])
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await AssociationService(context_of(school, session, admin)).create(
                AssociationCreate("МО", AssociationKind.SUBJECT, subject_id=subject)
            )
    assert refused.value.clause == "26"
    college_subject = await new_subject(db, college, admin_of(college), "Welding")
    async with db.tenant_context(college.schema) as session:
        row = await AssociationService(context_of(college, session, admin_of(college))).create(
            AssociationCreate("Welding teachers", AssociationKind.SUBJECT, subject_id=college_subject)
        )
    assert row.id


# --- cl. 30: leaders for at most one year ------------------------------------------------------


async def _association_with_members(db: Any, region: Region, n: int = 2) -> tuple[Any, list[Any]]:
    school = region.school
    admin = admin_of(school)
    people = [await new_staff(db, school, admin) for _ in range(n)]
    async with db.tenant_context(school.schema) as session:
        row = await AssociationService(context_of(school, session, admin)).create(
            AssociationCreate(
                f"МО {uuid.uuid4().hex[:4]}",
                AssociationKind.PRIMARY_GRADES,
                members=[MemberInput(p, starts_on=today() - datetime.timedelta(days=60)) for p in people],
            )
        )
    return row, people


async def test_cl30_leader_term_at_most_one_year_and_history_kept(db: Any, region: Region) -> None:
    school = region.school
    admin = admin_of(school)
    association, (first, second) = await _association_with_members(db, region)
    start = today() - datetime.timedelta(days=30)
    async with db.tenant_context(school.schema) as session:
        bodies = BodiesService(context_of(school, session, admin))
        term = await bodies.add_leader(
            association.id,
            LeaderCreate(
                first, LeaderMethod.ELECTED, start, start.replace(year=start.year + 1) - datetime.timedelta(days=1)
            ),
        )
        assert term.full_name and term.method == "elected"
        info = await get_body(session, BodyKind.ASSOCIATION, association.id)
        assert info.chair_staff_id == first and info.keepers == (first,)

    before = await audit_count(db, school)
    with pytest.raises(DomainError) as too_long:
        async with db.tenant_context(school.schema) as session:
            await BodiesService(context_of(school, session, admin)).add_leader(
                association.id, LeaderCreate(second, LeaderMethod.ELECTED, D(2030, 9, 1), D(2031, 9, 1))
            )
    assert (too_long.value.clause, too_long.value.field) == ("30", "ends_on")
    assert "2031-08-31" in too_long.value.message
    with pytest.raises(Conflict) as overlap:
        async with db.tenant_context(school.schema) as session:
            await BodiesService(context_of(school, session, admin)).add_leader(
                association.id,
                LeaderCreate(second, LeaderMethod.APPOINTED, today(), today() + datetime.timedelta(days=100)),
            )
    assert overlap.value.field == "starts_on"
    assert await audit_count(db, school) == before

    async with db.tenant_context(school.schema) as session:
        bodies = BodiesService(context_of(school, session, admin))
        await bodies.end_leader(BodyKind.ASSOCIATION, association.id, term.id, LeaderEnd(today()))
        await bodies.add_leader(
            association.id,
            LeaderCreate(second, LeaderMethod.APPOINTED, today(), today() + datetime.timedelta(days=200)),
        )
        history = await bodies.leaders(BodyKind.ASSOCIATION, association.id)
        assert [h.staff_id for h in history] == [second, first]
        assert (await get_body(session, BodyKind.ASSOCIATION, association.id)).chair_staff_id == second


async def test_cl30_the_database_refuses_a_longer_term_too(db: Any, region: Region) -> None:
    from sqlalchemy.exc import IntegrityError

    association, (first, _) = await _association_with_members(db, region)
    with pytest.raises(IntegrityError, match="leader_term_at_most_one_year"):
        async with db.tenant_context(region.school.schema) as session:
            session.add(
                LeaderTerm(
                    body_kind="association",
                    body_id=association.id,
                    staff_id=first,
                    full_name="x",
                    method="elected",
                    starts_on=D(2030, 9, 1),
                    ends_on=D(2031, 9, 1),
                )
            )
            await session.flush()


async def test_cl30_leader_comes_from_the_members(db: Any, region: Region) -> None:
    school = region.school
    association, _ = await _association_with_members(db, region)
    outsider = await new_staff(db, school, admin_of(school))
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await BodiesService(context_of(school, session, admin_of(school))).add_leader(
                association.id,
                LeaderCreate(outsider, LeaderMethod.ELECTED, today(), today() + datetime.timedelta(days=10)),
            )
    assert (refused.value.clause, refused.value.field) == ("30", "staff_id")


async def test_cl30_a_leaders_term_does_not_start_before_their_membership(db: Any, region: Region) -> None:
    """Cl. 30: the leader is elected from the association's teachers, so on the day the term
    starts they are its member; a term reaching back before they joined is refused."""
    school = region.school
    admin = admin_of(school)
    newcomer = await new_staff(db, school, admin)
    async with db.tenant_context(school.schema) as session:
        association = await AssociationService(context_of(school, session, admin)).create(
            AssociationCreate(
                f"МО {uuid.uuid4().hex[:4]}",
                AssociationKind.CLASS_TEACHERS,
                members=[MemberInput(newcomer, starts_on=today() - datetime.timedelta(days=10))],
            )
        )
    before = await audit_count(db, school)
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await BodiesService(context_of(school, session, admin)).add_leader(
                association.id,
                LeaderCreate(
                    newcomer,
                    LeaderMethod.ELECTED,
                    today() - datetime.timedelta(days=40),
                    today() + datetime.timedelta(days=300),
                ),
            )
    assert (refused.value.clause, refused.value.field) == ("30", "starts_on")
    assert "before their membership" in refused.value.message
    assert await audit_count(db, school) == before
    async with db.tenant_context(school.schema) as session:
        term = await BodiesService(context_of(school, session, admin)).add_leader(
            association.id,
            LeaderCreate(
                newcomer,
                LeaderMethod.ELECTED,
                today() - datetime.timedelta(days=10),
                today() + datetime.timedelta(days=300),
            ),
        )
    assert term.starts_on == today() - datetime.timedelta(days=10)


# --- cl. 14, 32: councils ----------------------------------------------------------------------


async def test_cl32_councils_are_not_the_pedagogical_council(db: Any, region: Region) -> None:
    from api.domain.organisations.rules import OrgKind
    from tests.structure.conftest import make_org

    place = await make_org(db, OrgKind.SCHOOL, region.district, "Council School")
    admin = admin_of(place)
    chair, secretary, teacher = [await new_staff(db, place, admin) for _ in range(3)]
    term_end = today() + datetime.timedelta(days=365)
    async with db.tenant_context(place.schema) as session:
        councils = CouncilService(context_of(place, session, admin))
        council = await councils.create_council(
            CouncilCreate(
                "Методический совет",
                chair_staff_id=chair,
                secretary_staff_id=secretary,
                members=[MemberInput(chair, ends_on=term_end), MemberInput(secretary, ends_on=term_end)],
            )
        )
        pedagogical = await councils.create_pedagogical_council(
            PedagogicalCouncilCreate(
                "Педагогический совет", chair_staff_id=teacher, members=[MemberInput(teacher), MemberInput(chair)]
            )
        )
        assert council.id != pedagogical.id
        info = await get_body(session, BodyKind.COUNCIL, council.id)
        assert (info.chair_staff_id, info.secretary_staff_id, set(info.staff_ids)) == (
            chair,
            secretary,
            {chair, secretary},
        )
        assert (
            await get_body(session, BodyKind.PEDAGOGICAL_COUNCIL, pedagogical.id)
        ).quorum_rule is QuorumRule.TWO_THIRDS
        with pytest.raises(Exception):  # noqa: B017 - the council is not addressable as the other kind
            await get_body(session, BodyKind.PEDAGOGICAL_COUNCIL, council.id)

    before = await audit_count(db, place)
    with pytest.raises(DomainError) as doubled:
        async with db.tenant_context(place.schema) as session:
            await CouncilService(context_of(place, session, admin)).update_council(
                BodyKind.COUNCIL, council.id, CouncilUpdate(acts_as_pedagogical_council=True)
            )
    assert (doubled.value.clause, doubled.value.field) == ("32", "acts_as_pedagogical_council")
    with pytest.raises(DomainError) as doubled_at_birth:
        async with db.tenant_context(region.college.schema) as session:
            await CouncilService(context_of(region.college, session, admin_of(region.college))).create_council(
                CouncilCreate("Совет", acts_as_pedagogical_council=True)
            )
    assert doubled_at_birth.value.clause == "32"
    with pytest.raises(Conflict):
        async with db.tenant_context(place.schema) as session:
            await CouncilService(context_of(place, session, admin)).create_pedagogical_council(
                PedagogicalCouncilCreate("Второй")
            )
    assert await audit_count(db, place) == before


async def test_cl14_unit_councils_follow_the_organisation_council_and_members_have_terms(
    db: Any, region: Region
) -> None:
    uni = region.university
    admin = admin_of(uni)
    async with db.tenant_context(uni.schema) as session:
        faculty = await UnitService(context_of(uni, session, admin)).create(
            UnitCreate("Faculty of Law", UnitKind.FACULTY)
        )
    member = await new_staff(db, uni, admin)
    with pytest.raises(DomainError) as first_the_organisation:
        async with db.tenant_context(uni.schema) as session:
            await CouncilService(context_of(uni, session, admin)).create_council(
                CouncilCreate("Faculty council", unit_id=faculty.id)
            )
    assert (first_the_organisation.value.clause, first_the_organisation.value.field) == ("14", "unit_id")
    with pytest.raises(DomainError) as no_term:
        async with db.tenant_context(uni.schema) as session:
            await CouncilService(context_of(uni, session, admin)).create_council(
                CouncilCreate("University council", members=[MemberInput(member)])
            )
    assert (no_term.value.clause, no_term.value.field) == ("14", "members[0].ends_on")
    async with db.tenant_context(uni.schema) as session:
        councils = CouncilService(context_of(uni, session, admin))
        await councils.create_council(
            CouncilCreate(
                "University council", members=[MemberInput(member, ends_on=today() + datetime.timedelta(days=700))]
            )
        )
        unit_council = await councils.create_council(CouncilCreate("Faculty council", unit_id=faculty.id))
        assert unit_council.unit_id == faculty.id
        assert (await session.scalar(select(Council.kind).where(Council.id == unit_council.id))) == "methodological"


async def test_commissions_and_departments_are_bodies_of_their_units(db: Any, region: Region) -> None:
    college = region.college
    admin = admin_of(college)
    async with db.tenant_context(college.schema) as session:
        units = UnitService(context_of(college, session, admin))
        cycle = await units.create(UnitCreate("Cycle commission of IT", UnitKind.CYCLE_COMMISSION))
        division = await units.create(UnitCreate("Day division", UnitKind.DIVISION))
    head = await new_staff(db, college, admin)
    async with db.tenant_context(college.schema) as session:
        row = await CouncilService(context_of(college, session, admin)).create_commission(
            CommissionCreate(
                "ЦК информатики",
                CommissionKind.CYCLE_COMMISSION,
                cycle.id,
                chair_staff_id=head,
                members=[MemberInput(head)],
            )
        )
        info = await get_body(session, BodyKind.COMMISSION, row.id)
        assert info.chair_staff_id == head and info.staff_ids == (head,)
        assert {(r.kind, r.id) for r in await list_bodies(session, kinds=(BodyKind.COMMISSION,))} >= {
            (BodyKind.COMMISSION, row.id)
        }
    with pytest.raises(DomainError) as wrong_unit:
        async with db.tenant_context(college.schema) as session:
            await CouncilService(context_of(college, session, admin)).create_commission(
                CommissionCreate("x", CommissionKind.DEPARTMENT, division.id)
            )
    assert (wrong_unit.value.clause, wrong_unit.value.field) == ("10", "unit_id")
    with pytest.raises(DomainError) as chair_outside:
        async with db.tenant_context(college.schema) as session:
            context = context_of(college, session, admin)
            unit = await UnitService(context).create(UnitCreate("Subject commission", UnitKind.SUBJECT_COMMISSION))
            await CouncilService(context).create_commission(
                CommissionCreate("ПК", CommissionKind.SUBJECT_COMMISSION, unit.id, chair_staff_id=head)
            )
    assert chair_outside.value.field == "chair_staff_id"


# --- membership keepers and a teacher's own bodies ---------------------------------------------


async def test_leaders_keep_membership_and_teachers_see_their_own_bodies(db: Any, region: Region) -> None:
    school = region.school
    admin = admin_of(school)
    leader_user, teacher_user = uuid.uuid4(), uuid.uuid4()
    leader = await new_staff(db, school, admin, user_id=leader_user)
    teacher = await new_staff(db, school, admin, user_id=teacher_user)
    newcomer = await new_staff(db, school, admin)
    async with db.tenant_context(school.schema) as session:
        bodies = BodiesService(context_of(school, session, admin))
        associations = AssociationService(context_of(school, session, admin))
        mine = await associations.create(
            AssociationCreate(
                "Mine", AssociationKind.BOARDING_EDUCATORS, members=[MemberInput(leader), MemberInput(teacher)]
            )
        )
        other = await associations.create(AssociationCreate("Other", AssociationKind.PRESCHOOL_EDUCATORS))
        await bodies.add_leader(
            mine.id, LeaderCreate(leader, LeaderMethod.ELECTED, today(), today() + datetime.timedelta(days=300))
        )

    as_leader = teacher_of(school, leader_user, leader)
    as_teacher = teacher_of(school, teacher_user, teacher)
    async with db.tenant_context(school.schema) as session:
        added = await BodiesService(context_of(school, session, as_leader)).add_member(
            BodyKind.ASSOCIATION, mine.id, MemberInput(newcomer)
        )
        assert added.current and added.full_name
        seen, total = await AssociationService(context_of(school, session, as_teacher)).list(
            BodyFilter(), Paging(1, 100)
        )
        assert [r.id for r in seen] == [mine.id] and total == 1
        assert (BodyKind.ASSOCIATION, mine.id) in await bodies_of_staff(session, teacher)
    with pytest.raises(Forbidden):
        async with db.tenant_context(school.schema) as session:
            await BodiesService(context_of(school, session, as_leader)).add_member(
                BodyKind.ASSOCIATION, other.id, MemberInput(teacher)
            )
    with pytest.raises(Forbidden):
        async with db.tenant_context(school.schema) as session:
            await BodiesService(context_of(school, session, as_teacher)).add_member(
                BodyKind.ASSOCIATION, mine.id, MemberInput(leader)
            )
    from api.errors import NotFound

    with pytest.raises(NotFound):
        async with db.tenant_context(school.schema) as session:
            await AssociationService(context_of(school, session, as_teacher)).get(other.id)


# --- inter-school associations (cl. 25, 30) ----------------------------------------------------


async def test_inter_school_association_gathers_district_teachers_and_district_appoints_leader(
    db: Any, region: Region
) -> None:
    cabinet = region.cabinet
    t1 = await new_staff(db, region.school, admin_of(region.school), name="Inter One")
    t2 = await new_staff(db, region.school2, admin_of(region.school2), name="Inter Two")
    far = await new_staff(db, region.far_school, admin_of(region.far_school), name="Far Away")
    async with db.tenant_context(cabinet.schema) as session:
        service = InterSchoolService(context_of(cabinet, session, admin_of(cabinet)))
        association = await service.create(
            InterSchoolCreate("Районное МО физиков", AssociationKind.SUBJECT, "physics", "Физика")
        )
        await service.add_member(association.id, InterSchoolMemberCreate(region.school.id, t1))
        await service.add_member(association.id, InterSchoolMemberCreate(region.school2.id, t2))
        info = await get_body(session, BodyKind.INTER_SCHOOL_ASSOCIATION, association.id)
        assert {(m.organisation_id, m.staff_id, m.full_name) for m in info.members} == {
            (region.school.id, t1, "Inter One"),
            (region.school2.id, t2, "Inter Two"),
        }
    with pytest.raises(DomainError) as other_district:
        async with db.tenant_context(cabinet.schema) as session:
            await InterSchoolService(context_of(cabinet, session, admin_of(cabinet))).add_member(
                association.id, InterSchoolMemberCreate(region.far_school.id, far)
            )
    assert (other_district.value.clause, other_district.value.field) == ("25", "organisation_id")
    from api.errors import NotFound

    with pytest.raises(NotFound):  # the staff id is checked in the school's own schema
        async with db.tenant_context(cabinet.schema) as session:
            await InterSchoolService(context_of(cabinet, session, admin_of(cabinet))).add_member(
                association.id, InterSchoolMemberCreate(region.school.id, t2)
            )

    term = InterSchoolLeaderCreate(region.school.id, t1, today(), today() + datetime.timedelta(days=364))
    for outsider in (admin_of(cabinet), district_methodist(region.other_district)):
        with pytest.raises(Forbidden) as refused:
            async with db.tenant_context(cabinet.schema) as session:
                await InterSchoolService(context_of(cabinet, session, outsider)).appoint_leader(association.id, term)
        assert refused.value.clause == "30"
    with pytest.raises(DomainError) as too_long:
        async with db.tenant_context(cabinet.schema) as session:
            await InterSchoolService(context_of(cabinet, session, district_methodist(region.district))).appoint_leader(
                association.id,
                InterSchoolLeaderCreate(region.school.id, t1, today(), today() + datetime.timedelta(days=400)),
            )
    assert too_long.value.clause == "30"
    department = district_methodist(region.district)
    async with db.tenant_context(cabinet.schema) as session:
        leader = await InterSchoolService(context_of(cabinet, session, department)).appoint_leader(association.id, term)
        assert (leader.method, leader.member_organisation_id, leader.appointed_by) == (
            "appointed",
            region.school.id,
            department.user_id,
        )
        info = await get_body(session, BodyKind.INTER_SCHOOL_ASSOCIATION, association.id)
        assert info.chair is not None and info.chair.staff_id == t1 and info.chair_staff_id is None


async def test_inter_school_associations_belong_to_district_cabinets(db: Any, region: Region) -> None:
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(region.school.schema) as session:
            await InterSchoolService(context_of(region.school, session, admin_of(region.school))).create(
                InterSchoolCreate("x", AssociationKind.CLASS_TEACHERS)
            )
    assert refused.value.clause == "25"


# --- cl. 24: sector unions ---------------------------------------------------------------------


async def test_cl24_sector_unions_live_in_the_republic_cabinet(db: Any, region: Region) -> None:
    republic = region.republic_cabinet
    admin = admin_of(republic)
    async with db.tenant_context(republic.schema) as session:
        unions = UnionService(context_of(republic, session, admin))
        union = await unions.create(UnionCreate("УМО по IT", "Information technology"))
        school_rep = await unions.add_member(
            union.id,
            UnionMemberCreate(UnionMemberKind.EDUCATION_ORGANISATION, "Rep", organisation_id=region.college.id),
        )
        employer = await unions.add_member(
            union.id, UnionMemberCreate(UnionMemberKind.EMPLOYER, "Employer Person", represents="KazTech LLP")
        )
        assert employer.user_id is None  # no account needed
        from api.domain.bodies.schemas import UnionUpdate

        await unions.update(union.id, UnionUpdate(chair_member_id=employer.id, secretary_member_id=school_rep.id))
        info = await get_body(session, BodyKind.UNION, union.id)
        assert info.chair is not None and info.chair.member_id == employer.id and len(info.members) == 2
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(region.school.schema) as session:
            await UnionService(context_of(region.school, session, admin_of(region.school))).create(
                UnionCreate("x", "y")
            )
    assert (refused.value.clause, refused.value.field) == ("24", "organisation_id")
    assert await count(db, region.school, SectorUnion) == 0
    with pytest.raises(DomainError) as unnamed:
        async with db.tenant_context(republic.schema) as session:
            await UnionService(context_of(republic, session, admin)).add_member(
                union.id, UnionMemberCreate(UnionMemberKind.EDUCATION_ORGANISATION, "Nobody")
            )
    assert (unnamed.value.clause, unnamed.value.field) == ("24", "organisation_id")


async def test_quorum_rule() -> None:
    assert QuorumRule.MORE_THAN_HALF.is_met(3, 5) and not QuorumRule.MORE_THAN_HALF.is_met(2, 4)
    assert QuorumRule.TWO_THIRDS.is_met(2, 3) and not QuorumRule.TWO_THIRDS.is_met(3, 5)
    assert not QuorumRule.ALL.is_met(0, 0)


async def test_subjects_are_unique_by_code(db: Any, region: Region) -> None:
    college = region.college
    async with db.tenant_context(college.schema) as session:
        await SubjectService(context_of(college, session, admin_of(college))).create(
            SubjectCreate("unique_code_x", "a", "b")
        )
    with pytest.raises(Conflict):
        async with db.tenant_context(college.schema) as session:
            await SubjectService(context_of(college, session, admin_of(college))).create(
                SubjectCreate("unique_code_x", "a", "b")
            )
    async with db.tenant_context(college.schema) as session:
        assert len((await session.scalars(select(Subject).where(Subject.code == "unique_code_x"))).all()) == 1
        assert await session.scalar(select(Unit.id).where(Unit.name == "never")) is None
