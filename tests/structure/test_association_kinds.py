"""Which associations an organisation forms (cl. 25): the API offers a school every kind of cl. 25,
a college its subject and curators' associations (not the school kinds: grades 1-4, pre-school and
boarding-school educators), and a university or a cabinet none; it refuses what it does not offer.
And what a district cabinet's inter-school associations draw on: the district's schools, their
staff and the subjects they teach."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from api.access import Grant
from api.roles import Role
from tests.structure.conftest import Region
from tests.structure.test_api import ok, refused, session_of, staff, subject


async def test_each_kind_of_organisation_is_offered_its_own_association_kinds(
    client: httpx.AsyncClient, region: Region
) -> None:
    assert await ok(await client.get(f"{region.school.base}/associations/kinds")) == [
        "subject",
        "primary_grades",
        "class_teachers",
        "preschool_educators",
        "boarding_educators",
    ]
    assert await ok(await client.get(f"{region.college.base}/associations/kinds")) == ["subject", "class_teachers"]
    assert await ok(await client.get(f"{region.university.base}/associations/kinds")) == []
    assert await ok(await client.get(f"{region.cabinet.base}/associations/kinds")) == []


async def test_a_college_is_refused_the_school_kinds_and_forms_its_own(
    client: httpx.AsyncClient, region: Region
) -> None:
    base = f"{region.college.base}/associations"
    for kind in ("primary_grades", "preschool_educators", "boarding_educators"):
        await refused(await client.post(base, json={"name": f"МО {kind}", "kind": kind}), 422, "kind", "25")
    curators = await ok(
        await client.post(base, json={"name": f"МО кураторов {uuid.uuid4().hex[:4]}", "kind": "class_teachers"}), 201
    )
    assert curators["kind"] == "class_teachers"
    await refused(
        await client.post(f"{region.university.base}/associations", json={"name": "МО", "kind": "class_teachers"}),
        422,
        "kind",
        "25",
    )


async def test_the_district_of_a_cabinet_lists_its_schools_staff_and_subjects(
    app: Any, client: httpx.AsyncClient, as_user: httpx.AsyncClient, db: Any, region: Region
) -> None:
    teacher = await staff(client, region.school)
    taught = await subject(client, region.school)
    far = await staff(client, region.far_school)
    _, department = await session_of(app, db, Grant(Role.DISTRICT_METHODIST, territory_id=region.district))
    district = await ok(
        await as_user.get(f"{region.cabinet.base}/inter-school-associations/district", headers=department)
    )
    schools = {s["organisation_id"]: s for s in district["schools"]}
    assert str(region.school.id) in schools and str(region.far_school.id) not in schools
    assert {"staff_id": teacher["id"], "full_name": teacher["full_name"]} in schools[str(region.school.id)]["teachers"]
    assert far["id"] not in {t["staff_id"] for s in district["schools"] for t in s["teachers"]}
    assert taught["code"] in {s["code"] for s in district["subjects"]}
    # Only a district cabinet has a district to draw on; a teacher of the cabinet may not read it.
    await refused(
        await client.get(f"{region.school.base}/inter-school-associations/district"), 422, "organisation_id", "25"
    )
    _, cabinet_teacher = await session_of(app, db, Grant(Role.TEACHER, organisation_id=region.cabinet.id))
    await refused(
        await as_user.get(f"{region.cabinet.base}/inter-school-associations/district", headers=cabinet_teacher),
        403,
        None,
    )
