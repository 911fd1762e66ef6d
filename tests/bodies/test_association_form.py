"""The association form (cl. 25, 26): the kinds the API allows the organisation, the subject field
for an association of one subject, and the cl. 26 refusal beside it, citing the clause once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.roles import Role
from tests.bodies.helpers import BodiesSchool, bodies_school, browser
from tests.identity.access.principals import new_user, session_cookie

HX = {"HX-Request": "true"}
# Cl. 26 cited in English, Russian or Kazakh (an organisation id in the message may hold "26" too).
CITES_26 = re.compile(r"\((?:cl\. |п\. )?26(?:-тармақ)?\)")


@pytest.fixture(scope="module")
async def place(app: Any, db: Any) -> BodiesSchool:
    return await bodies_school(db, "Association Form School")


@pytest.fixture
async def deputy(app: Any, db: Any, place: BodiesSchool) -> AsyncIterator[httpx.AsyncClient]:
    user = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=place.org.id)], name="Deputy Head")
    client = await browser(app, await session_cookie(app.api, db, user))
    yield client
    await client.aclose()


def subject_error(html: str) -> str:
    found = re.search(r'<p class="field-error" id="subject_id-error">(.*?)</p>', html, re.S)
    assert found, html
    return found.group(1)


async def test_the_form_offers_the_schools_kinds_and_its_subjects(
    deputy: httpx.AsyncClient, place: BodiesSchool
) -> None:
    page = await deputy.get(f"/organisations/{place.org.id}/associations/new", params={"lang": "en"})
    assert page.status_code == 200, page.text
    for kind in ("subject", "primary_grades", "class_teachers", "preschool_educators", "boarding_educators"):
        assert f'<option value="{kind}"' in page.text
    assert 'name="subject_id"' in page.text and f'value="{place.few_subject}"' in page.text and "Astronomy" in page.text
    # Another kind: the form is redrawn without the subject field, keeping the name typed.
    other = await deputy.get(
        f"/organisations/{place.org.id}/associations/new",
        params={"kind": "class_teachers", "name": "Typed"},
        headers=HX,
    )
    assert other.status_code == 200 and 'name="subject_id"' not in other.text and 'value="Typed"' in other.text
    assert other.text.lstrip().startswith('<section id="association-panel"')


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
async def test_cl26_refusal_beside_the_subject_field(deputy: httpx.AsyncClient, place: BodiesSchool, lang: str) -> None:
    refused = await deputy.post(
        f"/organisations/{place.org.id}/associations",
        data={"name": "Geography teachers", "kind": "subject", "subject_id": str(place.few_subject)},
        headers={**HX, "Accept-Language": lang},
        params={"lang": lang},
    )
    assert refused.status_code == 422
    message = subject_error(refused.text)
    assert len(CITES_26.findall(message)) == 1, message  # the clause, cited once
    assert "teachers of one subject" not in message or lang == "en", message  # in the reader's language
    assert 'aria-invalid="true" aria-describedby="subject_id-error"' in refused.text
    assert 'value="Geography teachers"' in refused.text and f'value="{place.few_subject}" selected' in refused.text
    assert 'class="alert alert-error"' not in refused.text  # beside the field, not above the form


async def test_bad_input_is_refused_beside_its_field(deputy: httpx.AsyncClient, place: BodiesSchool) -> None:
    base = f"/organisations/{place.org.id}/associations"
    no_subject = await deputy.post(base, data={"name": "Some subject", "kind": "subject", "subject_id": ""}, headers=HX)
    assert no_subject.status_code == 422 and "25" in subject_error(no_subject.text)
    no_name = await deputy.post(base, data={"name": "", "kind": "class_teachers"}, headers=HX)
    assert no_name.status_code == 422 and 'id="name-error"' in no_name.text
    bad_kind = await deputy.post(base, data={"name": "Chess", "kind": "chess_club"}, headers=HX)
    assert bad_kind.status_code == 422 and 'id="kind-error"' in bad_kind.text and 'value="Chess"' in bad_kind.text


async def test_a_subject_association_with_three_teachers_is_formed(
    deputy: httpx.AsyncClient, place: BodiesSchool
) -> None:
    created = await deputy.post(
        f"/organisations/{place.org.id}/associations",
        data={"name": "Biology teachers", "kind": "subject", "subject_id": str(place.enough_subject)},
    )
    assert created.status_code == 303, created.text
    assert re.search(r"/associations/[0-9a-f-]{36}\?done=created$", created.headers["location"])
    page = await deputy.get(created.headers["location"], params={"lang": "en"})
    assert "Biology teachers" in page.text and "No leader in office" in page.text
    # The subject's association exists: a second one is refused beside the subject.
    again = await deputy.post(
        f"/organisations/{place.org.id}/associations",
        data={"name": "Biology again", "kind": "subject", "subject_id": str(place.enough_subject)},
        headers=HX,
    )
    assert again.status_code == 422 and subject_error(again.text)


async def test_a_teacher_is_not_offered_the_form(app: Any, db: Any, place: BodiesSchool) -> None:
    user = await new_user(db, [Grant(Role.TEACHER, organisation_id=place.org.id)], name="Teacher")
    client = await browser(app, await session_cookie(app.api, db, user))
    try:
        page = await client.get(f"/organisations/{place.org.id}/associations/new", params={"lang": "en"})
        assert page.status_code == 200 and 'id="association-form"' not in page.text
        assert "formed by the organisation admin or the deputy head" in page.text
        tree = await client.get(f"/organisations/{place.org.id}/structure", params={"lang": "en"})
        assert 'id="new-association"' not in tree.text
    finally:
        await client.aclose()


async def provisioned(db: Any, kind: Any, level: Any, name: str) -> Any:
    from api.domain.organisations.models import Organisation
    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.schemas import OrganisationCreate
    from api.domain.organisations.services import OrganisationService
    from tests.support import fresh_bin
    from tests.work.helpers import work_district

    district = await work_district(db)
    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=kind,
                territory_id=district,
                bin=fresh_bin(),
                name_kk=name,
                name_ru=name,
                name_en=name,
                levels=[level],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        return await session.get(Organisation, org.id)


async def test_a_college_and_a_university_are_offered_what_the_api_allows_them(app: Any, db: Any) -> None:
    from api.domain.organisations.rules import EducationLevel, OrgKind

    college = await provisioned(db, OrgKind.COLLEGE, EducationLevel.TECHNICAL_VOCATIONAL, "Form College")
    university = await provisioned(db, OrgKind.UNIVERSITY, EducationLevel.HIGHER, "Form University")
    admins = [
        Grant(Role.ORGANISATION_ADMIN, organisation_id=college.id),
        Grant(Role.ORGANISATION_ADMIN, organisation_id=university.id),
    ]
    user = await new_user(db, admins, name="Admin of two")
    client = await browser(app, await session_cookie(app.api, db, user))
    try:
        page = await client.get(f"/organisations/{college.id}/associations/new", params={"lang": "en"})
        offered = re.findall(
            r'<option value="([a-z_]+)"', page.text.split('name="kind"', 1)[1].split("</select>", 1)[0]
        )
        assert offered == ["subject", "class_teachers"]  # not the school kinds (grades 1-4, pre-school, boarding)
        refused = await client.post(
            f"/organisations/{college.id}/associations",
            data={"name": "Educators", "kind": "boarding_educators"},
            headers=HX,
        )
        assert refused.status_code == 422 and 'id="kind-error"' in refused.text
        nothing = await client.get(f"/organisations/{university.id}/associations/new", params={"lang": "en"})
        assert (
            'id="association-form"' not in nothing.text
            and "A university works in departments and councils" in nothing.text
        )
        tree = await client.get(f"/organisations/{university.id}/structure", params={"lang": "en"})
        assert (
            'id="new-association"' not in tree.text and f"/organisations/{university.id}/bodies/department" in tree.text
        )
    finally:
        await client.aclose()
