"""In Chromium: the header names the signed-in person, leads to their organisation's pages and signs
them out; an anonymous visitor is taken to the sign-in page and back."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.async_api import expect

from api.access import Grant
from api.identity.sessions import SESSION_COOKIE
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.identity.login.flows import make_organisation

pytestmark = pytest.mark.browser


async def test_signed_in_header_organisation_links_and_sign_out(
    browser: Any, live_server: str, app: Any, db: Any
) -> None:
    org = await make_organisation(db, name="Header School")
    user = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id)], name="Сәуле Ахметова")
    cookie = (await session_cookie(app.api, db, user))["cookie"].split("=", 1)[1]
    context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    page = await context.new_page()
    try:
        await page.goto(f"/organisations/{org.id}?lang=ru")
        await expect(page.locator("#header-user")).to_have_text("Сәуле Ахметова")
        nav = page.get_by_role("navigation", name="Разделы организации")
        await expect(nav.get_by_role("link", name="Мои документы")).to_have_attribute(
            "href", f"/organisations/{org.id}/documents"
        )
        await expect(nav.get_by_role("link", name="Приглашения")).to_be_visible()
        await page.screenshot(path="/tmp/metodist-header-ru.png")

        await page.click("#header-sessions")
        await page.wait_for_url(f"{live_server}/account/sessions")
        await expect(page.locator("tr[data-current=yes]")).to_have_count(1)

        await page.click("#header-sign-out")
        await page.wait_for_url(f"{live_server}/sign-in")
        await expect(page.locator("#header-sign-in")).to_have_text("Вход")
        await expect(page.locator("#header-user")).to_have_count(0)
        # The session is over: its pages send the visitor to sign in, with the way back.
        await page.goto("/account/sessions")
        assert page.url == f"{live_server}/sign-in?return_to={quote('/account/sessions', safe='')}"
    finally:
        await context.close()


async def test_anonymous_visitor_is_taken_to_sign_in(browser: Any, live_server: str) -> None:
    context = await browser.new_context(base_url=live_server, locale="kk-KZ")
    page = await context.new_page()
    try:
        response = await page.goto("/organisations?q=abc")
        assert response is not None and response.status == 200
        assert page.url == f"{live_server}/sign-in?return_to={quote('/organisations?q=abc', safe='')}"
        await expect(page.locator("#header-sign-in")).to_have_text("Кіру")
        await expect(page.locator("input[name=return_to]")).to_have_value("/organisations?q=abc")
        await page.screenshot(path="/tmp/metodist-header-anonymous-kk.png")
    finally:
        await context.close()
