"""In Chromium: create an association from the structure page, give it members, record a meeting
with its agenda, attendance and a decision (refused first for want of a quorum), in Russian."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from api.access import Grant
from api.identity.sessions import SESSION_COOKIE
from api.roles import Role
from tests.browser.conftest import browser, live_server  # noqa: F401 - the web helper's server and Chromium
from tests.chromium import settled
from tests.identity.access.principals import new_user, session_cookie
from tests.web.conftest import places  # noqa: F401 - live_server places organisations under these
from tests.work.helpers import School, furnished_school

pytestmark = pytest.mark.browser

ASSOCIATION_URL = re.compile(r".*/associations/[0-9a-f-]{36}\?done=created$")
MEETING_URL = re.compile(r".*/meetings/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
async def browser_school(app: Any, db: Any) -> School:
    return await furnished_school(db, "Browser School")


@pytest.fixture
async def deputy_page(browser: Any, live_server: str, app: Any, db: Any, browser_school: School) -> AsyncIterator[Any]:  # noqa: F811
    """A browser context signed in as the school's deputy head (a person's session: the decision
    recorded below is an act of a person, which an API token may not do)."""
    user = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=browser_school.org.id)], name="Deputy Head")
    cookie = (await session_cookie(app.api, db, user))["cookie"].split("=", 1)[1]
    context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()
        await asyncio.sleep(0)


async def test_create_an_association_and_record_a_meeting(deputy_page: Any, browser_school: School) -> None:
    page = deputy_page
    await page.goto(f"/organisations/{browser_school.org.id}/structure?lang=ru")
    await expect(page.locator("h1")).to_have_text("Методическая структура")

    # The association form is a page of its own. An empty name: the API refuses, the refusal is
    # shown beside the name, nothing is created.
    await page.click("#new-association")
    async with page.expect_response(lambda r: "/associations/new" in r.url):
        await page.select_option("#association-form select[name=kind]", "class_teachers")
    await settled(page)  # the form is redrawn for the kind, without the subject field
    await expect(page.locator("#association-form select[name=subject_id]")).to_have_count(0)
    await page.locator("#association-form input[name=name]").evaluate("e => e.removeAttribute('required')")
    await page.click("#association-form button[type=submit]")
    await expect(page.locator("#association-form #name-error")).to_be_visible()
    await settled(page)

    await page.fill("#association-form input[name=name]", "Классные руководители 5-9 классов")
    await page.click("#association-form button[type=submit]")
    await page.wait_for_url(ASSOCIATION_URL)
    await expect(page.locator("h1")).to_have_text("Классные руководители 5-9 классов")
    await expect(page.locator("#page-notice")).to_have_text("Объединение создано. Добавьте его членов и руководителя.")
    await expect(page.locator("#members .empty")).to_be_visible()
    await expect(page.get_by_text("Руководителя сейчас нет.", exact=False)).to_be_visible()

    for name in ("Teacher 01", "Teacher 02", "Teacher 03"):
        await page.select_option("#members select[name=staff_id]", label=name)
        await page.click("#members button[type=submit]")
        await expect(page.locator("#members .member-list li", has_text=name)).to_be_visible()
    await expect(page.locator("#members-title")).to_have_text("Члены (3)")

    # Record a meeting with two agenda items.
    await page.click("details.new-meeting summary")
    await page.fill("details.new-meeting input[name=place]", "Кабинет 12")
    await page.fill("details.new-meeting textarea[name=agenda]", "Итоги четверти\nПлан открытых уроков")
    await page.click("details.new-meeting button[type=submit]")
    await page.wait_for_url(MEETING_URL)
    await expect(page.locator("#agenda ol.agenda li")).to_have_count(2)

    # No one marked present: the decision is refused with the quorum message, in Russian.
    await page.fill("#decisions textarea[name=text]", "Провести открытые уроки в декабре")
    await page.click("#decisions button[type=submit]")
    await expect(page.locator("#decisions .alert-error")).to_contain_text("кворум", ignore_case=True)
    await expect(page.locator("#decisions ol.decisions li")).to_have_count(0)

    # Two of three present (more than half), one absent with a reason.
    rows = page.locator("#attendance tbody tr")
    await expect(rows).to_have_count(3)
    await rows.nth(0).locator("input[type=checkbox]").check()
    await rows.nth(1).locator("input[type=checkbox]").check()
    await rows.nth(2).locator("input[type=text]").fill("больничный")
    await page.click("#attendance button[type=submit]")
    await expect(page.locator("#quorum")).to_contain_text("Кворум есть: присутствуют 2 из 3 членов")
    await settled(page)

    await page.fill("#decisions textarea[name=text]", "Провести открытые уроки в декабре")
    await page.select_option("#decisions select[name=agenda_item_id]", index=2)
    await page.click("#decisions button[type=submit]")
    await expect(page.locator("#decision-1")).to_have_text("Провести открытые уроки в декабре")

    # Removing an agenda item asks first; declining keeps it.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
    await page.locator("#agenda ol.agenda li").first.locator("button").click()
    await expect(page.locator("#agenda ol.agenda li")).to_have_count(2)
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.locator("#agenda ol.agenda li").first.locator("button").click()
    await expect(page.locator("#agenda ol.agenda li")).to_have_count(1)
    await page.screenshot(path="/tmp/metodist-meeting-ru.png", full_page=True)

    # The meeting is in this month's calendar of the organisation.
    await page.goto(f"/organisations/{browser_school.org.id}/calendar?lang=ru")
    await expect(page.locator(".calendar-meeting")).to_have_count(1)
