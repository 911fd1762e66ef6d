"""Inter-school associations of a district cabinet in the pages (cl. 25, 30): formed by the
cabinet, members chosen from the district's schools, the leader appointed by the district
methodist only — everyone else sees the leader — and refusals beside their fields."""

from __future__ import annotations

import datetime
import re
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.roles import Role
from tests.bodies.helpers import District, browser, district_with_schools
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import TODAY

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
async def district(app: Any, db: Any) -> District:
    return await district_with_schools(db, "Pages District")


async def signed_in(app: Any, db: Any, grant: Grant) -> httpx.AsyncClient:
    user = await new_user(db, [grant], name="Somebody")
    return await browser(app, await session_cookie(app.api, db, user))


async def test_form_members_and_the_leader_appointed_by_the_district(app: Any, db: Any, district: District) -> None:
    cabinet = await signed_in(app, db, Grant(Role.ORGANISATION_ADMIN, organisation_id=district.cabinet.id))
    methodist = await signed_in(app, db, Grant(Role.DISTRICT_METHODIST, territory_id=district.territory_id))
    reader = await signed_in(app, db, Grant(Role.TEACHER, organisation_id=district.cabinet.id))
    try:
        base = f"/organisations/{district.cabinet.id}/inter-school-associations"
        listing = await cabinet.get(base, params={"lang": "ru"})
        assert (
            listing.status_code == 200
            and "Межшкольные объединения" in listing.text
            and 'id="inter-school-form"' in listing.text
        )
        structure = await cabinet.get(f"/organisations/{district.cabinet.id}/structure")
        assert f'href="{base}"' in structure.text

        # An association of one subject names it (cl. 25): refused beside the subject field, the name kept.
        refused = await cabinet.post(
            base, data={"name": "District geographers", "kind": "subject", "subject_code": ""}, headers=HX
        )
        assert (
            refused.status_code == 422
            and 'id="subject_code-error"' in refused.text
            and 'value="District geographers"' in refused.text
        )
        created = await cabinet.post(
            base, data={"name": "District class teachers", "kind": "class_teachers", "quorum_rule": "more_than_half"}
        )
        assert created.status_code == 303, created.text
        detail = created.headers["location"].split("?")[0]

        page = await cabinet.get(detail, params={"lang": "en"})
        school_1, school_2 = district.schools
        (staff_1, name_1), _ = district.teachers[school_1.id]
        (staff_2, name_2), _ = district.teachers[school_2.id]
        assert f'<optgroup label="{school_1.name_en}">' in page.text and name_1 in page.text
        assert 'id="leader-form"' not in page.text  # the cabinet does not appoint leaders (cl. 30)
        bad = await cabinet.post(f"{detail}/members", data={"member": "not-a-teacher"}, headers=HX)
        assert bad.status_code == 422 and 'id="member-error"' in bad.text
        for school, staff_id in ((school_1, staff_1), (school_2, staff_2)):
            added = await cabinet.post(f"{detail}/members", data={"member": f"{school.id}:{staff_id}"})
            assert added.status_code == 303, added.text
        page = await cabinet.get(detail, params={"lang": "en"})
        assert "Members (2)" in page.text and school_2.name_en in page.text

        # The district methodist is offered the appointment; a term longer than a year is refused beside its end.
        offered = await methodist.get(detail, params={"lang": "en"})
        assert 'id="leader-form"' in offered.text and 'id="archive-association"' in offered.text
        too_long = await methodist.post(
            f"{detail}/leaders",
            data={
                "member": f"{school_1.id}:{staff_1}",
                "starts_on": TODAY.isoformat(),
                "ends_on": (TODAY + datetime.timedelta(days=400)).isoformat(),
            },
            headers={**HX, "Accept-Language": "en"},
        )
        assert too_long.status_code == 422
        message = re.search(r'id="ends_on-error">(.*?)</p>', too_long.text, re.S)
        assert message and len(re.findall(r"\((?:cl\. |п\. )?30(?:-тармақ)?\)", message.group(1))) == 1, too_long.text
        appointed = await methodist.post(
            f"{detail}/leaders",
            data={
                "member": f"{school_1.id}:{staff_1}",
                "starts_on": TODAY.isoformat(),
                "ends_on": (TODAY + datetime.timedelta(days=300)).isoformat(),
            },
        )
        assert appointed.status_code == 303, appointed.text

        # Others see the leader and no appointment; a teacher of the cabinet changes nothing.
        for client in (cabinet, reader):
            seen = await client.get(detail, params={"lang": "en"})
            assert (
                re.search(rf'id="leader-name">{re.escape(name_1)} —', seen.text) and 'id="leader-form"' not in seen.text
            )
        read = await reader.get(detail, params={"lang": "en"})
        assert (
            'id="member-form"' not in read.text
            and 'id="archive-association"' not in read.text
            and '/end"' not in read.text
        )
        assert 'id="inter-school-form"' not in (await reader.get(base)).text
        # The cabinet's admin may not appoint even by posting the form: the API's cl. 30 refusal shows.
        forced = await cabinet.post(
            f"{detail}/leaders",
            data={"member": f"{school_2.id}:{staff_2}", "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat()},
            headers=HX,
        )
        assert forced.status_code == 403 and "alert-error" in forced.text and "district methodist" in forced.text

        # Ending a membership asks first without JavaScript.
        member_id = re.findall(r'action="[^"]*/members/([0-9a-f-]{36})/end"', page.text)[1]
        ask = await cabinet.post(f"{detail}/members/{member_id}/end", params={"lang": "en"})
        assert ask.status_code == 200 and 'name="confirmed" value="yes"' in ask.text
        ended = await cabinet.post(f"{detail}/members/{member_id}/end", data={"confirmed": "yes"})
        assert ended.status_code == 303
        assert "Members (1)" in (await cabinet.get(detail, params={"lang": "en"})).text
    finally:
        for client in (cabinet, methodist, reader):
            await client.aclose()
