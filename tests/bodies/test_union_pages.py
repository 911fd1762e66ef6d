"""Sector methodological unions in the pages (cl. 24): formed by the republic cabinet, with
members from employers and social partners who need no account, and from education
organisations named by BIN; chair and secretary from the members; refusals beside their fields."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.access import Grant
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.territories.services import TerritoryService
from api.roles import Role
from tests.bodies.helpers import browser
from tests.identity.access.principals import new_user, session_cookie
from tests.support import fresh_bin
from tests.work.helpers import provisioned_school

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
async def republic_cabinet(app: Any, db: Any) -> Organisation:
    from api.domain.organisations.provisioning import provision_organisation

    async with db.session() as session, session.begin():
        republic = await TerritoryService(session).by_slug("kz")
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.CABINET_REPUBLIC,
                territory_id=republic.id,
                bin=fresh_bin(),
                name_kk="Республикалық кабинет",
                name_ru="Республиканский кабинет",
                name_en="Republic cabinet",
                levels=[],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        found = await session.get(Organisation, org.id)
        assert found is not None
        return found


async def test_a_union_with_external_members_and_officers(app: Any, db: Any, republic_cabinet: Organisation) -> None:
    school = await provisioned_school(db, "Union Member School")
    # The republic cabinet's admin, who also reads the school it names by BIN.
    user = await new_user(
        db, [Grant(Role.NATIONAL_ADMIN, territory_id=republic_cabinet.territory_id)], name="National Admin"
    )
    admin = await browser(app, await session_cookie(app.api, db, user))
    reader_user = await new_user(db, [Grant(Role.TEACHER, organisation_id=republic_cabinet.id)], name="Reader")
    reader = await browser(app, await session_cookie(app.api, db, reader_user))
    try:
        base = f"/organisations/{republic_cabinet.id}/unions"
        no_sector = await admin.post(base, data={"name": "IT union", "sector": ""}, headers=HX)
        assert (
            no_sector.status_code == 422
            and 'id="sector-error"' in no_sector.text
            and 'value="IT union"' in no_sector.text
        )
        created = await admin.post(
            base, data={"name": "IT union", "sector": "Information technology", "description": "Colleges and employers"}
        )
        assert created.status_code == 303, created.text
        detail = created.headers["location"].split("?")[0]
        page = await admin.get(detail, params={"lang": "ru"})
        assert "Отраслевые учебно-методические объединения" in page.text and "Работодатель" in page.text

        employer = await admin.post(
            f"{detail}/members",
            data={"member_kind": "employer", "full_name": "Aigerim Sadykova", "represents": "Kcell", "email": ""},
        )
        assert employer.status_code == 303, employer.text
        bad_bin = await admin.post(
            f"{detail}/members",
            data={"member_kind": "education_organisation", "full_name": "Dean", "bin": "000000000000"},
            headers=HX,
        )
        assert bad_bin.status_code == 422 and 'id="bin-error"' in bad_bin.text and 'value="Dean"' in bad_bin.text
        bad_email = await admin.post(
            f"{detail}/members",
            data={"member_kind": "social_partner", "full_name": "Partner", "email": "not an address"},
            headers=HX,
        )
        assert bad_email.status_code == 422 and 'id="email-error"' in bad_email.text
        teacher = await admin.post(
            f"{detail}/members",
            data={"member_kind": "education_organisation", "full_name": "Marat Ospanov", "bin": school.bin},
        )
        assert teacher.status_code == 303, teacher.text

        page = await admin.get(detail, params={"lang": "en"})
        ids = dict(
            (name, member_id)
            for member_id, name in re.findall(r'<option value="([0-9a-f-]{36})" >([^<]+)</option>', page.text)
        )
        same = await admin.post(
            f"{detail}/officers",
            data={"chair_member_id": ids["Aigerim Sadykova"], "secretary_member_id": "not-an-id"},
            headers=HX,
        )
        assert same.status_code == 422 and 'id="secretary_member_id-error"' in same.text
        saved = await admin.post(
            f"{detail}/officers",
            data={"chair_member_id": ids["Aigerim Sadykova"], "secretary_member_id": ids["Marat Ospanov"]},
        )
        assert saved.status_code == 303
        page = await admin.get(detail, params={"lang": "en"})
        assert re.search(r'id="chair-name">Aigerim Sadykova<', page.text) and re.search(
            r'id="secretary-name">Marat Ospanov<', page.text
        )

        read = await reader.get(detail, params={"lang": "en"})
        assert read.status_code == 200 and "Aigerim Sadykova" in read.text
        assert 'id="member-form"' not in read.text and 'id="archive-union"' not in read.text
        ask = await admin.post(f"{detail}/archive", params={"lang": "en"})
        assert ask.status_code == 200 and "Archive this union?" in ask.text
        assert (await admin.post(f"{detail}/archive", data={"confirmed": "yes"})).status_code == 303
    finally:
        await admin.aclose()
        await reader.aclose()
