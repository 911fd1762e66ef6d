"""Set-up for the work tests: a provisioned school with staff, bodies and a calendar.

The structure (staff, associations, councils, memberships, leaders, terms) belongs to the
structure domain; these tests need it as a given, so it is written straight into the tenant's
tables, as that domain stores it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from api.access import Grant
from api.context import Caller, TenantContext
from api.domain.bodies.models import Association, BodyMembership, Council, LeaderTerm
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.structure.models import AcademicTerm, Staff
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from api.tenancy import Tenant
from tests.support import fresh_bin

# Kazakhstan keeps one time zone, UTC+5.
KZ = datetime.timezone(datetime.timedelta(hours=5))
TODAY = datetime.datetime.now(KZ).date()


def school_year_of(day: datetime.date) -> int:
    return day.year if day.month >= 8 else day.year - 1


SCHOOL_YEAR = school_year_of(TODAY)


async def work_district(db: Any) -> UUID:
    async with db.session() as session, session.begin():
        region = await TerritoryService(session).by_slug("karaganda")
        return await TerritoryService(session).upsert(
            slug="work-test-district",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Жұмыс ауданы",
            name_ru="Рабочий район",
            name_en="Work District",
        )


async def provisioned_school(db: Any, name: str = "Work School") -> Organisation:
    from api.domain.organisations.provisioning import provision_organisation

    district = await work_district(db)
    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.SCHOOL,
                territory_id=district,
                bin=fresh_bin(),
                name_kk=f"{name} (kk)",
                name_ru=f"{name} (ru)",
                name_en=name,
                levels=[EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        found = await session.get(Organisation, org.id)
        assert found is not None
        return found


def quarters(school_year: int) -> list[tuple[int, datetime.date, datetime.date]]:
    """The four quarters of a Kazakh school year, with holidays between them."""
    y = school_year
    return [
        (1, datetime.date(y, 9, 1), datetime.date(y, 10, 26)),
        (2, datetime.date(y, 11, 3), datetime.date(y, 12, 28)),
        (3, datetime.date(y + 1, 1, 8), datetime.date(y + 1, 3, 19)),
        (4, datetime.date(y + 1, 3, 30), datetime.date(y + 1, 5, 25)),
    ]


@dataclass
class School:
    """A school with eight teachers, one association of five (leader: teachers[0]) and a council of three."""

    org: Organisation
    teachers: list[UUID] = field(default_factory=list)
    teacher_users: list[UUID] = field(default_factory=list)
    association_id: UUID | None = None
    second_association_id: UUID | None = None
    council_id: UUID | None = None
    outsider: UUID | None = None  # a teacher in no body

    @property
    def schema(self) -> str:
        return self.org.schema_name

    @property
    def association_members(self) -> list[UUID]:
        return self.teachers[:5]

    @property
    def leader(self) -> UUID:
        return self.teachers[0]


async def furnished_school(db: Any, name: str = "Work School") -> School:
    import uuid

    org = await provisioned_school(db, name)
    school = School(org)
    async with db.tenant_context(org.schema_name) as session:
        for n in range(8):
            user_id = uuid.uuid4()
            person = Staff(full_name=f"Teacher {n + 1:02d}", user_id=user_id, positions=["teacher"])
            session.add(person)
            await session.flush()
            school.teachers.append(person.id)
            school.teacher_users.append(user_id)
        outsider = Staff(full_name="Teacher 99", positions=["teacher"])
        session.add(outsider)
        association = Association(name="Mathematics teachers", kind="subject")
        second = Association(name="Class teachers", kind="class_teachers")
        council = Council(name="Methodological council", kind="methodological")
        session.add_all([association, second, council])
        await session.flush()
        school.outsider, school.association_id = outsider.id, association.id
        school.second_association_id, school.council_id = second.id, council.id
        start = TODAY - datetime.timedelta(days=60)
        for staff_id in school.association_members:
            session.add(
                BodyMembership(body_kind="association", body_id=association.id, staff_id=staff_id, starts_on=start)
            )
        for staff_id in school.teachers[5:8]:
            session.add(BodyMembership(body_kind="association", body_id=second.id, staff_id=staff_id, starts_on=start))
        for staff_id in school.teachers[2:5]:
            session.add(BodyMembership(body_kind="council", body_id=council.id, staff_id=staff_id, starts_on=start))
        council.secretary_staff_id = school.teachers[2]
        session.add(
            LeaderTerm(
                body_kind="association",
                body_id=association.id,
                staff_id=school.leader,
                full_name="Teacher 01",
                method="elected",
                starts_on=start,
                ends_on=start + datetime.timedelta(days=300),
            )
        )
        for year in (SCHOOL_YEAR - 1, SCHOOL_YEAR, SCHOOL_YEAR + 1):
            for number, starts_on, ends_on in quarters(year):
                session.add(
                    AcademicTerm(school_year=year, kind="quarter", number=number, starts_on=starts_on, ends_on=ends_on)
                )
    return school


def actor(
    org: Organisation,
    role: str,
    *,
    staff_id: UUID | None = None,
    user_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> Caller:
    import uuid

    return Caller(user_id or uuid.uuid4(), (Grant(role=role, organisation_id=org.id, unit_id=unit_id),), staff_id)


def context(session: Any, org: Organisation, who: Caller) -> TenantContext:
    """`who` working in `org`, whose schema `session` is bound to."""
    return TenantContext.of(Tenant(org.id, org.schema_name, OrgKind(org.kind), org.territory_id), session, who)
