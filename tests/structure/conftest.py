"""A small district for the structure tests: two schools and the district cabinet, a school of
another district, a college, a university and the republic cabinet, all provisioned for real.

Service tests work in the tenant's schema through `db.tenant_context`, with a `TenantContext` from
`context_of`; API tests call the app as a national admin (the shared `client`) or as users holding
the grants a test needs (sessions).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Grant
from api.context import Caller, TenantContext
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from api.roles import Role
from api.tenancy import Tenant
from tests.support import fresh_bin

_LEVELS = {
    OrgKind.SCHOOL: [EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY],
    OrgKind.COLLEGE: [EducationLevel.TECHNICAL_VOCATIONAL],
    OrgKind.UNIVERSITY: [EducationLevel.HIGHER],
}


@dataclass(frozen=True)
class Place:
    id: UUID
    schema: str
    kind: OrgKind
    territory_id: UUID
    name_ru: str

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.id, self.schema, self.kind, self.territory_id)

    @property
    def base(self) -> str:
        return f"/api/organisations/{self.id}"


@dataclass(frozen=True)
class Region:
    district: UUID
    other_district: UUID
    republic: UUID
    school: Place
    school2: Place
    far_school: Place  # another district
    cabinet: Place  # the district's methodological cabinet
    college: Place
    university: Place
    republic_cabinet: Place


async def _district(db: Any, slug: str, n: int) -> UUID:
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug("karaganda")
        return await territories.upsert(
            slug=f"{slug}-{n}",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk=f"Құрылым ауданы {n}",
            name_ru=f"Район структуры {n}",
            name_en=f"Structure District {n}",
        )


async def make_org(db: Any, kind: OrgKind, territory_id: UUID, name: str) -> Place:
    from api.domain.organisations.provisioning import provision_organisation

    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=kind,
                territory_id=territory_id,
                bin=fresh_bin(),
                name_kk=f"{name} kk",
                name_ru=f"{name} ru",
                name_en=name,
                levels=_LEVELS.get(kind, []),
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        found = await session.get(Organisation, org.id)
        assert found is not None
    return Place(found.id, found.schema_name, kind, found.territory_id, found.name_ru)


@pytest.fixture(scope="session")
async def region(app: Any, db: Any) -> Region:
    marker = uuid.uuid4().hex[:6]
    district = await _district(db, f"structure-{marker}", 1)
    other = await _district(db, f"structure-{marker}", 2)
    async with db.session() as session:
        republic = (await TerritoryService(session).by_slug("kz")).id
    return Region(
        district=district,
        other_district=other,
        republic=republic,
        school=await make_org(db, OrgKind.SCHOOL, district, "Structure School 1"),
        school2=await make_org(db, OrgKind.SCHOOL, district, "Structure School 2"),
        far_school=await make_org(db, OrgKind.SCHOOL, other, "Structure School Far"),
        cabinet=await make_org(db, OrgKind.CABINET_DISTRICT, district, "Structure District Cabinet"),
        college=await make_org(db, OrgKind.COLLEGE, district, "Structure College"),
        university=await make_org(db, OrgKind.UNIVERSITY, district, "Structure University"),
        republic_cabinet=await make_org(db, OrgKind.CABINET_REPUBLIC, republic, "Republic Cabinet"),
    )


def admin_of(place: Place, user_id: UUID | None = None) -> Caller:
    """An organisation admin of `place`, as the context provider builds the caller."""
    return Caller(user_id or uuid.uuid4(), (Grant(Role.ORGANISATION_ADMIN, organisation_id=place.id),))


def teacher_of(place: Place, user_id: UUID, staff_id: UUID | None) -> Caller:
    return Caller(user_id, (Grant(Role.TEACHER, organisation_id=place.id),), staff_id)


def district_methodist(territory_id: UUID, user_id: UUID | None = None) -> Caller:
    return Caller(user_id or uuid.uuid4(), (Grant(Role.DISTRICT_METHODIST, territory_id=territory_id),))


def context_of(place: Place, session: AsyncSession, caller: Caller) -> TenantContext:
    """The context a request of `caller` to `place` gets, on a session bound to its schema."""
    return TenantContext.of(place.tenant, session, caller)


@pytest.fixture(scope="session")
async def as_user(app: Any) -> Any:
    """A client without the shared national-admin token: requests carry a user's session cookie."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:  # type: ignore[arg-type]
        yield c
