"""Sign-in in headless Chromium: the sign-in page, the real provider's form, back signed in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from api.identity.sessions import SESSION_COOKIE
from tests.chromium import chromium_path
from tests.identity.login.conftest import LoginServer
from tests.identity.login.flows import grant_role, make_organisation

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def test_sign_in_with_the_national_provider_and_sign_out(
    chromium: Browser, login_server: LoginServer, db: Any
) -> None:
    org = await make_organisation(db)
    login = f"browser-{uuid.uuid4().hex[:6]}"
    await grant_role(db, login_server.settings.oidc_issuer or "", login, "teacher", organisation_id=org.id)
    context = await chromium.new_context(ignore_https_errors=True, locale="en-US")
    try:
        page = await context.new_page()
        await page.goto(f"{login_server.url}/sign-in?return_to=/account/sessions")
        await page.fill("#f-email", f"{login}@gmail.com")
        await page.click("#find-provider button[type=submit]")
        await page.click("a[data-provider=national]")

        # The provider's own sign-in form (oidc-provider's development interaction).
        await page.wait_for_selector("input[name=login]")
        assert page.url.startswith(login_server.settings.oidc_issuer or "-")
        await page.fill("input[name=login]", login)
        await page.fill("input[name=password]", "any password")
        await page.click("button[type=submit]")

        await page.wait_for_url(f"{login_server.url}/account/sessions")
        assert await page.locator("tr[data-current=yes]").count() == 1
        assert f"{login}@national.test" in await page.inner_text("#who")
        cookie = next(c for c in await context.cookies() if c["name"] == SESSION_COOKIE)
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

        # Signing out leaves for the provider's end-session page; the local session is gone.
        await page.click("#sign-out")
        await page.wait_for_url(lambda url: url.startswith(f"{login_server.settings.oidc_issuer}/session/end"))
        assert not any(c["name"] == SESSION_COOKIE for c in await context.cookies())
        await page.goto(f"{login_server.url}/account/sessions")
        assert page.url.startswith(f"{login_server.url}/sign-in")
    finally:
        await context.close()


async def test_forged_callback_shows_the_reason_and_signs_nobody_in(
    chromium: Browser, login_server: LoginServer
) -> None:
    context = await chromium.new_context(ignore_https_errors=True, locale="ru-RU")
    try:
        page = await context.new_page()
        response = await page.goto(f"{login_server.url}/api/auth/callback/national?code=stolen&state=forged")
        assert response is not None and response.status == 400
        reason = page.locator("[data-error-code=state_mismatch]")
        assert await reason.count() == 1
        assert "Sign-in failed" not in await page.title()  # shown in the person's language
        assert not any(c["name"] == SESSION_COOKIE for c in await context.cookies())
        await page.click("a[href='/sign-in']")
        await page.wait_for_url(f"{login_server.url}/sign-in")
    finally:
        await context.close()
