"""Meetings of an inter-school association (cl. 25, 30): its members are teachers of several
schools of the district, kept in the district cabinet's schema as (organisation_id, staff_id), so
attendance names them by the registry's member_id or by their school and staff id."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.access import Grant
from api.domain.bodies.models import InterSchoolAssociation, InterSchoolMember
from api.domain.meetings.schemas import AttendanceEntry, DecisionCreate, MeetingCreate
from api.domain.meetings.services import MeetingService
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.structure.models import Staff
from api.errors import DomainError
from api.identity.csrf import CSRF_COOKIE, CSRF_HEADER
from api.roles import Role
from tests.identity.access.principals import bearer, new_user, session_cookie, token_secret
from tests.support import fresh_bin
from tests.work.helpers import KZ, TODAY, School, actor, context, provisioned_school, work_district

NOW = datetime.datetime.now(KZ)


@dataclass
class District:
    cabinet: Organisation
    schools: list[Organisation]
    teachers: dict[UUID, list[UUID]] = field(default_factory=dict)  # school id -> staff ids
    association_id: UUID | None = None
    members: dict[tuple[UUID, UUID], UUID] = field(default_factory=dict)  # (school, staff) -> member_id

    @property
    def a(self) -> Organisation:
        return self.schools[0]

    @property
    def b(self) -> Organisation:
        return self.schools[1]

    def member(self, school: Organisation, n: int) -> tuple[UUID, UUID, UUID]:
        staff_id = self.teachers[school.id][n]
        return school.id, staff_id, self.members[(school.id, staff_id)]


@pytest.fixture(scope="module")
async def district(app: Any, db: Any) -> District:
    """A district cabinet with an association of four physics teachers: two of school A and two of
    school B; the third teacher of each school is not a member."""
    from api.domain.organisations.provisioning import provision_organisation

    territory = await work_district(db)
    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.CABINET_DISTRICT,
                territory_id=territory,
                bin=fresh_bin(),
                name_kk="Аудандық кабинет",
                name_ru="Районный кабинет",
                name_en="District Cabinet",
                levels=[],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        cabinet = await session.get(Organisation, org.id)
        assert cabinet is not None
    found = District(
        cabinet, [await provisioned_school(db, "Inter School A"), await provisioned_school(db, "Inter School B")]
    )
    for letter, school in zip("AB", found.schools, strict=True):
        async with db.tenant_context(school.schema_name) as session:
            people = [Staff(full_name=f"Physics {letter}{n}", positions=["teacher"]) for n in (1, 2, 3)]
            session.add_all(people)
            await session.flush()
            found.teachers[school.id] = [p.id for p in people]
    async with db.tenant_context(cabinet.schema_name) as session:
        association = InterSchoolAssociation(
            name="District physics teachers",
            kind="subject",
            subject_code="physics",
            subject_name="Physics",
            territory_id=territory,
        )
        session.add(association)
        await session.flush()
        found.association_id = association.id
        for letter, school in zip("AB", found.schools, strict=True):
            for n, staff_id in enumerate(found.teachers[school.id][:2], start=1):
                row = InterSchoolMember(
                    association_id=association.id,
                    organisation_id=school.id,
                    staff_id=staff_id,
                    full_name=f"Physics {letter}{n}",
                    starts_on=TODAY - datetime.timedelta(days=60),
                )
                session.add(row)
                await session.flush()
                found.members[(school.id, staff_id)] = row.id
    return found


def cabinet_admin(d: District) -> Any:
    return actor(d.cabinet, Role.ORGANISATION_ADMIN)


async def new_meeting(db: Any, d: District) -> UUID:
    async with db.tenant_context(d.cabinet.schema_name) as session:
        meeting = await MeetingService(context(session, d.cabinet, cabinet_admin(d))).create(
            MeetingCreate(
                body_kind="inter_school_association",
                body_id=d.association_id,
                starts_at=NOW - datetime.timedelta(hours=1),
            )
        )
        return meeting.id


async def test_attendance_of_members_of_two_schools_and_the_quorum(db: Any, district: District) -> None:
    d = district
    meeting_id = await new_meeting(db, d)
    a1, a2, b1, b2 = d.member(d.a, 0), d.member(d.a, 1), d.member(d.b, 0), d.member(d.b, 1)
    async with db.tenant_context(d.cabinet.schema_name) as session:
        service = MeetingService(context(session, d.cabinet, cabinet_admin(d)))
        await service.set_attendance(
            meeting_id,
            [
                AttendanceEntry(present=True, member_id=a1[2]),  # by the registry's member id
                AttendanceEntry(b1[1], True, organisation_id=b1[0]),  # by school and staff id
                AttendanceEntry(present=False, absence_reason="course", member_id=a2[2]),
            ],
        )
        quorum = await service.quorum(meeting_id)
        assert (quorum.members, quorum.present_members, quorum.required, quorum.met) == (4, 2, 3, False)
        with pytest.raises(DomainError) as refused:
            await service.add_decision(meeting_id, DecisionCreate(text="Hold a district seminar"))
        assert (
            refused.value.field == "attendance"
            and "No quorum: 2 of 4 members present, 3 needed" in refused.value.message
        )

    async with db.tenant_context(d.cabinet.schema_name) as session:
        service = MeetingService(context(session, d.cabinet, cabinet_admin(d)))
        await service.set_attendance(
            meeting_id,
            [
                AttendanceEntry(present=True, member_id=a1[2]),
                AttendanceEntry(b1[1], True, organisation_id=b1[0]),
                AttendanceEntry(present=False, absence_reason="course", member_id=a2[2]),
                AttendanceEntry(b2[1], True),  # a staff id alone names the member it belongs to
            ],
        )
        quorum = await service.quorum(meeting_id)
        assert (quorum.present_members, quorum.met) == (3, True)
        decision = await service.add_decision(meeting_id, DecisionCreate(text="Hold a district seminar"))
        assert decision.number == 1
        read = await service.read(meeting_id)
    recorded = {(a.organisation_id, a.staff_id): (a.member_id, a.present, a.absence_reason) for a in read.attendance}
    assert recorded == {
        (a1[0], a1[1]): (a1[2], True, None),
        (b1[0], b1[1]): (b1[2], True, None),
        (b2[0], b2[1]): (b2[2], True, None),
        (a2[0], a2[1]): (a2[2], False, "course"),
    }
    assert {a.organisation_id for a in read.attendance} == {d.a.id, d.b.id}


def _bad_entries(d: District, case: str) -> tuple[list[AttendanceEntry], str]:
    a1, b1 = d.member(d.a, 0), d.member(d.b, 0)
    outsider = d.teachers[d.a.id][2]  # a teacher of school A who is not a member
    first = AttendanceEntry(present=True, member_id=a1[2])
    cases: dict[str, tuple[AttendanceEntry, str]] = {
        "not a member": (AttendanceEntry(outsider, True, organisation_id=d.a.id), "attendance[1].staff_id"),
        "unknown member id": (AttendanceEntry(present=True, member_id=uuid.uuid4()), "attendance[1].member_id"),
        "nobody named": (AttendanceEntry(present=True), "attendance[1].member_id"),
        "member of another school": (AttendanceEntry(b1[1], True, organisation_id=d.a.id), "attendance[1].staff_id"),
        "ids of two people": (AttendanceEntry(b1[1], True, member_id=d.member(d.a, 1)[2]), "attendance[1].staff_id"),
        "twice": (AttendanceEntry(a1[1], False, organisation_id=a1[0]), "attendance[1].staff_id"),
        "presence not said": (AttendanceEntry(member_id=b1[2]), "attendance[1].present"),
        "a local staff id": (AttendanceEntry(uuid.uuid4(), True), "attendance[1].staff_id"),
    }
    entry, where = cases[case]
    return [first, entry], where


@pytest.mark.parametrize(
    "case",
    [
        "not a member",
        "unknown member id",
        "nobody named",
        "member of another school",
        "ids of two people",
        "twice",
        "presence not said",
        "a local staff id",
    ],
)
async def test_attendees_who_are_not_members_are_refused(db: Any, district: District, case: str) -> None:
    meeting_id = await new_meeting(db, district)
    entries, where = _bad_entries(district, case)
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(district.cabinet.schema_name) as session:
            await MeetingService(context(session, district.cabinet, cabinet_admin(district))).set_attendance(
                meeting_id, entries
            )
    assert refused.value.field == where, refused.value.message
    async with db.tenant_session(district.cabinet.schema_name) as session:
        assert (
            await MeetingService(context(session, district.cabinet, cabinet_admin(district))).read(meeting_id)
        ).attendance == []


async def test_a_local_body_names_its_members_by_staff_id(db: Any, school: School) -> None:
    leader = actor(school.org, Role.ASSOCIATION_LEADER, staff_id=school.leader, user_id=school.teacher_users[0])
    async with db.tenant_context(school.schema) as session:
        meeting = await MeetingService(context(session, school.org, leader)).create(
            MeetingCreate(
                body_kind="association", body_id=school.association_id, starts_at=NOW - datetime.timedelta(hours=1)
            )
        )
        meeting_id = meeting.id
    for entries, where in (
        ([AttendanceEntry(present=True, member_id=school.leader)], "attendance[0].member_id"),
        ([AttendanceEntry(school.leader, True, organisation_id=school.org.id)], "attendance[0].organisation_id"),
        ([AttendanceEntry(school.leader, True), AttendanceEntry(present=True)], "attendance[1].staff_id"),
    ):
        with pytest.raises(DomainError) as refused:
            async with db.tenant_context(school.schema) as session:
                await MeetingService(context(session, school.org, leader)).set_attendance(meeting_id, entries)
        assert refused.value.field == where


async def test_over_http_and_on_the_meeting_page(app: Any, db: Any, district: District) -> None:
    d = district
    meeting_id = await new_meeting(db, d)
    secret = await token_secret(db, Grant(Role.ORGANISATION_ADMIN, organisation_id=d.cabinet.id))
    base = f"/api/organisations/{d.cabinet.id}/meetings/{meeting_id}"
    a1, b1, b2 = d.member(d.a, 0), d.member(d.b, 0), d.member(d.b, 1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=bearer(secret)
    ) as api:
        outsider = d.teachers[d.b.id][2]
        refused = await api.put(
            f"{base}/attendance",
            json=[
                {"member_id": str(a1[2]), "present": True},
                {"organisation_id": str(d.b.id), "staff_id": str(outsider), "present": True},
            ],
        )
        assert refused.status_code == 422 and refused.json()["field"] == "attendance[1].staff_id", refused.text
        nobody = await api.put(f"{base}/attendance", json=[{"present": True}])
        assert nobody.status_code == 422 and nobody.json()["field"] == "attendance[0].member_id"
        saved = await api.put(
            f"{base}/attendance",
            json=[
                {"member_id": str(a1[2]), "present": True},
                {"organisation_id": str(b1[0]), "staff_id": str(b1[1]), "present": True},
            ],
        )
        assert saved.status_code == 200, saved.text
        rows = {r["member_id"]: r for r in saved.json()["attendance"]}
        assert rows[str(a1[2])] == {
            "staff_id": str(a1[1]),
            "present": True,
            "absence_reason": None,
            "member_id": str(a1[2]),
            "organisation_id": str(a1[0]),
        }
        quorum = (await api.get(f"{base}/quorum")).json()
        assert (quorum["members"], quorum["present_members"], quorum["met"]) == (4, 2, False)

        # The web page: the members with their schools, and the attendance saved by member_id.
        await api.get("/territories")
        api.headers[CSRF_HEADER] = api.cookies.get(CSRF_COOKIE) or ""
        page_path = f"/organisations/{d.cabinet.id}/meetings/{meeting_id}"
        page = await api.get(page_path, params={"lang": "ru"})
        assert page.status_code == 200, page.text
        rows_html = re.findall(r"<tr>\s*<td>(.*?)</tr>", page.text, re.S)
        by_name = {re.match(r"([^<]+)", r).group(1).strip(): r for r in rows_html if r.startswith("Physics")}  # type: ignore[union-attr]
        assert set(by_name) == {"Physics A1", "Physics A2", "Physics B1", "Physics B2"}
        # A cabinet admin does not reach the schools' own records, so the cell may hold only a dash.
        assert all('class="school"' in row for row in by_name.values())
        assert 'name="member_id"' in by_name["Physics B2"] and "checked" in by_name["Physics B1"]
        assert "Школа" in page.text  # the school column, translated
        form = {
            "member_id": [str(m[2]) for m in (a1, d.member(d.a, 1), b1, b2)],
            "present": [str(a1[2]), str(b1[2]), str(b2[2])],
        }
        form[f"reason_{d.member(d.a, 1)[2]}"] = "ill"
        posted = await api.post(
            f"{page_path}/attendance", data=form, headers={"HX-Request": "true"}, params={"lang": "en"}
        )
        assert posted.status_code == 200, posted.text
        assert "Quorum: 3 of 4 members present" in " ".join(posted.text.split())
        # The token registers attendance; the decision is an act of a person (the cabinet's admin).
        by_token = await api.post(f"{base}/decisions", json={"text": "Hold a district seminar"})
        assert by_token.status_code == 403, by_token.text
        person = await session_cookie(
            app.api, db, await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=d.cabinet.id)])
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=person
        ) as admin:
            decided = await admin.post(f"{base}/decisions", json={"text": "Hold a district seminar"})
        assert decided.status_code == 201, decided.text
