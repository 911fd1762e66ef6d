"""In Chromium, in Russian and in Kazakh: an organisation admin forms a unit's methodological
council, gives it members, names its chair and secretary, and forms a subject association with
its subject (refused first under cl. 26 for a subject with two teachers); a district methodist
appoints the leader of an inter-school association (cl. 30)."""

from __future__ import annotations

import asyncio
import datetime
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from api.access import Grant
from api.domain.bodies.models import InterSchoolAssociation, InterSchoolMember
from api.identity.sessions import SESSION_COOKIE
from api.roles import Role
from tests.bodies.helpers import bodies_school, district_with_schools
from tests.browser.conftest import browser, live_server  # noqa: F401 - the web helper's server and Chromium
from tests.chromium import settled
from tests.identity.access.principals import new_user, session_cookie
from tests.web.conftest import places  # noqa: F401 - live_server places organisations under these
from tests.work.helpers import TODAY

pytestmark = pytest.mark.browser

# Cl. 26 cited in English, Russian or Kazakh (an organisation id in the message may hold "26" too).
CITES_26 = re.compile(r"\((?:cl\. |п\. )?26(?:-тармақ)?\)")
IN_A_YEAR = (TODAY + datetime.timedelta(days=300)).isoformat()
WORDS = {
    "ru": {"councils": "Методические советы", "members": "Члены (3)", "association": "Новое методическое объединение"},
    "kk": {"councils": "Әдістемелік кеңестер", "members": "Мүшелер (3)", "association": "Жаңа әдістемелік бірлестік"},
}


@pytest.fixture
async def signed_in(browser: Any, live_server: str, app: Any, db: Any) -> AsyncIterator[Any]:  # noqa: F811
    """Opens browser contexts signed in with a person's session holding the given grant."""
    contexts: list[Any] = []

    async def open_as(grant: Grant) -> Any:
        user = await new_user(db, [grant], name="Browser Person")
        cookie = (await session_cookie(app.api, db, user))["cookie"].split("=", 1)[1]
        context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
        contexts.append(context)
        return await context.new_page()

    yield open_as
    for context in contexts:
        await context.close()
    await asyncio.sleep(0)


@pytest.mark.parametrize("lang", ["ru", "kk"])
async def test_an_admin_forms_a_council_and_a_subject_association(signed_in: Any, db: Any, lang: str) -> None:
    place = await bodies_school(db, f"Browser Bodies School {lang}")
    page = await signed_in(Grant(Role.ORGANISATION_ADMIN, organisation_id=place.org.id))
    words = WORDS[lang]
    await page.goto(f"/organisations/{place.org.id}/structure?lang={lang}")
    await page.click('#body-kinds a[href$="/bodies/council"]')
    await expect(page.locator("h1")).to_have_text(words["councils"])

    # A unit's council, the organisation's being formed already (cl. 14).
    await page.fill("#create-form input[name=name]", "Совет естественных наук")
    await page.select_option("#create-form select[name=unit_id]", str(place.commission_unit))
    await page.click("#create-form button[type=submit]")
    await page.wait_for_url(re.compile(r".*/bodies/council/[0-9a-f-]{36}\?done=created$"))
    await expect(page.locator("h1")).to_have_text("Совет естественных наук")
    await expect(page.locator("#page-notice")).to_be_visible()

    for name in ("Teacher 01", "Teacher 02", "Teacher 03"):
        await page.select_option("#member-form select[name=staff_id]", label=name)
        await page.fill("#member-form input[name=ends_on]", IN_A_YEAR)
        await page.click("#member-form button[type=submit]")
        await expect(page.locator("#members .member-table td", has_text=name)).to_be_visible()
        await settled(page)
    await expect(page.locator("#members-title")).to_have_text(words["members"])

    await page.click("#edit-details summary")
    await page.select_option("#edit-form select[name=chair_staff_id]", label="Teacher 01")
    await page.select_option("#edit-form select[name=secretary_staff_id]", label="Teacher 02")
    await page.click("#edit-form button[type=submit]")
    await expect(page.locator("#chair-name")).to_have_text("Teacher 01")
    await expect(page.locator("#secretary-name")).to_have_text("Teacher 02")

    # A subject association: two teachers of geography are too few (cl. 26), three of biology are enough.
    await page.goto(f"/organisations/{place.org.id}/structure?lang={lang}")
    await page.click("#new-association")
    await expect(page.locator("h1")).to_have_text(words["association"])
    await page.fill("#association-form input[name=name]", "МО географии")
    # Choosing the kind redraws the form with the field that kind needs: wait for it before going on.
    async with page.expect_response(lambda r: "/associations/new" in r.url):
        await page.select_option("#association-form select[name=kind]", "subject")
    await settled(page)
    await page.select_option("#association-form select[name=subject_id]", str(place.few_subject))
    await page.click("#association-form button[type=submit]")
    error = page.locator("#association-form #subject_id-error")
    await expect(error).to_be_visible()
    assert len(CITES_26.findall(await error.inner_text())) == 1
    assert "26" in await error.inner_text() and "teachers of one subject" not in await error.inner_text()
    await settled(page)
    await page.fill("#association-form input[name=name]", "МО биологии")
    await page.select_option("#association-form select[name=subject_id]", str(place.enough_subject))
    await page.click("#association-form button[type=submit]")
    await page.wait_for_url(re.compile(r".*/associations/[0-9a-f-]{36}\?done=created$"))
    await expect(page.locator("h1")).to_have_text("МО биологии")
    await page.screenshot(path=f"/tmp/metodist-bodies-{lang}.png", full_page=True)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_district_methodist_appoints_an_inter_school_leader(signed_in: Any, db: Any, lang: str) -> None:
    district = await district_with_schools(db, f"Browser District {lang}")
    school = district.schools[1]
    staff_id, name = district.teachers[school.id][0]
    async with db.tenant_context(district.cabinet.schema_name) as session:
        association = InterSchoolAssociation(
            name="ММО учителей физики",
            kind="subject",
            subject_code="physics",
            subject_name="Физика",
            territory_id=district.territory_id,
        )
        session.add(association)
        await session.flush()
        session.add(
            InterSchoolMember(
                association_id=association.id,
                organisation_id=school.id,
                staff_id=staff_id,
                full_name=name,
                starts_on=TODAY - datetime.timedelta(days=10),
            )
        )
        association_id = association.id

    page = await signed_in(Grant(Role.DISTRICT_METHODIST, territory_id=district.territory_id))
    await page.goto(f"/organisations/{district.cabinet.id}/inter-school-associations?lang={lang}")
    await page.click(f'a[href$="/inter-school-associations/{association_id}"]')
    await expect(page.locator("h1")).to_have_text("ММО учителей физики")
    # More than a year is refused beside the end of the term (cl. 30).
    await page.fill("#leader-form input[name=ends_on]", (TODAY + datetime.timedelta(days=400)).isoformat())
    await page.click("#leader-form button[type=submit]")
    await expect(page.locator("#leader-form #ends_on-error")).to_contain_text("30")
    await settled(page)
    await page.fill("#leader-form input[name=ends_on]", IN_A_YEAR)
    await page.click("#leader-form button[type=submit]")
    await expect(page.locator("#leader-name")).to_contain_text(name)
    await expect(page.locator("#leader-form")).to_have_count(0)

    # The cabinet's own admin sees the leader, and is not offered the appointment.
    admin = await signed_in(Grant(Role.ORGANISATION_ADMIN, organisation_id=district.cabinet.id))
    await admin.goto(f"/organisations/{district.cabinet.id}/inter-school-associations/{association_id}?lang={lang}")
    await expect(admin.locator("#leader-name")).to_contain_text(name)
    await expect(admin.locator("#leader-form")).to_have_count(0)
