"""Set-up for the bodies' page tests: a school with subjects, units and staff, and a district
cabinet with two schools of its district. Written straight into the tenants' tables, as the
structure domain stores them (these tests are about the pages)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.structure.models import Staff, StaffSubject, Subject, Unit
from api.identity.csrf import CSRF_COOKIE, CSRF_HEADER
from tests.support import fresh_bin
from tests.work.helpers import School, furnished_school, provisioned_school, work_district


@dataclass
class BodiesSchool:
    school: School
    few_subject: UUID  # taught by two teachers: cl. 26 refuses its association
    enough_subject: UUID  # taught by three
    few_name: str
    enough_name: str
    commission_unit: UUID
    department_unit: UUID

    @property
    def org(self) -> Organisation:
        return self.school.org


async def bodies_school(db: Any, name: str) -> BodiesSchool:
    school = await furnished_school(db, name)
    code = uuid.uuid4().hex[:6]
    async with db.tenant_context(school.schema) as session:
        few = Subject(code=f"astro_{code}", name_kk="Астрономия", name_ru="Астрономия", name_en="Astronomy")
        enough = Subject(code=f"eco_{code}", name_kk="Экология", name_ru="Экология", name_en="Ecology")
        commission = Unit(name="Natural sciences", kind="subject_commission")
        department = Unit(name="Department of pedagogy", kind="department")
        session.add_all([few, enough, commission, department])
        await session.flush()
        for staff_id in school.teachers[:2]:
            session.add(StaffSubject(staff_id=staff_id, subject_id=few.id))
        for staff_id in school.teachers[2:5]:
            session.add(StaffSubject(staff_id=staff_id, subject_id=enough.id))
        return BodiesSchool(school, few.id, enough.id, "Астрономия", "Экология", commission.id, department.id)


@dataclass
class District:
    territory_id: UUID
    cabinet: Organisation
    schools: list[Organisation]
    teachers: dict[UUID, list[tuple[UUID, str]]] = field(default_factory=dict)  # school id -> (staff id, name)


async def district_with_schools(db: Any, label: str) -> District:
    from api.domain.organisations.provisioning import provision_organisation

    territory = await work_district(db)
    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.CABINET_DISTRICT,
                territory_id=territory,
                bin=fresh_bin(),
                name_kk=f"{label} кабинеті",
                name_ru=f"Кабинет {label}",
                name_en=f"{label} cabinet",
                levels=[],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        cabinet = await session.get(Organisation, org.id)
        assert cabinet is not None
    found = District(territory, cabinet, [await provisioned_school(db, f"{label} school {n}") for n in (1, 2)])
    for n, school in enumerate(found.schools, start=1):
        async with db.tenant_context(school.schema_name) as session:
            people = [Staff(full_name=f"{label} teacher {n}.{k}", positions=["teacher"]) for k in (1, 2)]
            session.add_all(people)
            await session.flush()
            found.teachers[school.id] = [(p.id, p.full_name) for p in people]
    return found


async def browser(app: Any, headers: dict[str, str]) -> httpx.AsyncClient:
    """A browser signed in with a session: the session cookie beside the CSRF cookie."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    name, _, value = headers["cookie"].partition("=")
    client.cookies.set(name, value)
    await client.get("/territories")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    client.headers[CSRF_HEADER] = token
    return client
