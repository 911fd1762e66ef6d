"""In Chromium: a draft plan's item that names nobody responsible is edited in place (HTMX swaps
the plan panel, no page load), then removed after the browser's confirmation; the button of the
form being sent is disabled while it is sent."""

from __future__ import annotations

import asyncio
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
from tests.work.helpers import TODAY, School, furnished_school

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
async def plan_school(app: Any, db: Any) -> School:
    return await furnished_school(db, "Plan Browser School")


@pytest.fixture
async def deputy_tab(browser: Any, live_server: str, app: Any, db: Any, plan_school: School) -> AsyncIterator[Any]:  # noqa: F811
    user = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=plan_school.org.id)], name="Plan Deputy")
    cookie = (await session_cookie(app.api, db, user))["cookie"].split("=", 1)[1]
    context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()
        await asyncio.sleep(0)


async def test_an_item_is_edited_in_place_and_removed(deputy_tab: Any, plan_school: School) -> None:
    page = deputy_tab
    await page.goto(f"/organisations/{plan_school.org.id}/associations/{plan_school.association_id}?lang=en")
    await page.fill("#plan textarea[name=basis]", "Results of the last year")
    await page.click("#plan button[type=submit]")
    await page.wait_for_selector("#add-item-form", state="attached")
    await settled(page)
    # An item through the API, as before the page asked for its responsible people.
    plan_id = await page.evaluate(
        """() => document.querySelector('#add-item-form').action.split('/plans/')[1].split('/')[0]"""
    )
    token = await page.evaluate("""() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']""")
    added = await page.request.post(
        f"/api/organisations/{plan_school.org.id}/plans/{plan_id}/items",
        data={"title": "Olympiad training", "direction": "methodological_forms", "starts_on": TODAY.isoformat()},
        headers={"X-CSRFToken": token},
    )
    assert added.status == 201, await added.text()
    await page.reload()
    await expect(page.locator("#plan-items")).to_contain_text("nobody named")
    url = page.url
    await page.click("#edit-item-1")
    await expect(page.locator("#edit-item-form")).to_be_visible()
    assert page.url == url  # swapped in place
    await page.check("#edit-item-form input[name=responsible_ids] >> nth=0")
    # The save is held on its way until the button is seen disabled: a second click sends nothing.
    release = asyncio.Event()

    async def hold(route: Any) -> None:
        await release.wait()
        await route.continue_()

    await page.route(f"**/plans/{plan_id}/items/*", hold)
    await page.click("#save-item")
    await expect(page.locator("#save-item")).to_be_disabled()
    release.set()
    await expect(page.locator("#plan .alert-success")).to_contain_text("The item has been changed.")
    await expect(page.locator("#plan-items")).not_to_contain_text("nobody named")
    await page.unroute(f"**/plans/{plan_id}/items/*")
    await settled(page)
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#remove-item-1")
    await expect(page.locator("#plan .alert-success")).to_contain_text("The item has been removed.")
    await expect(page.locator("#plan")).to_contain_text("The plan has no items yet")
