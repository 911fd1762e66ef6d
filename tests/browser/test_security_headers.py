"""In Chromium: every web page carries a Content-Security-Policy and frame protection, and the
HTMX pages work under them (no violation reported while registering, searching, suspending);
a page of ours framed by another page is refused."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support import fresh_bin
from web.security_headers import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser

ORGANISATION_URL = re.compile(r".*/organisations/[0-9a-f-]{36}\?done=created$")


def _watch_violations(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


async def test_pages_and_error_pages_send_the_headers(live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server) as plain:
        for path in ("/sign-in", "/organisations", "/no-such-page", "/static/app.css"):
            answer = await plain.get(path)
            assert answer.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, path
            assert answer.headers.get("x-frame-options") == "DENY", path
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            assert answer.headers.get("x-content-type-options") == "nosniff"


async def test_htmx_pages_work_under_the_policy(page: Any, places: dict[str, str]) -> None:
    violations = _watch_violations(page)
    token = uuid.uuid4().hex[:6]
    await page.goto("/organisations/new?lang=ru")
    await page.select_option("#f-kind", "college")
    await page.select_option("#f-territory", places["region"])
    await page.fill("#f-bin", fresh_bin())
    await page.fill("#f-name-kk", f"CSP {token} колледжі")
    await page.fill("#f-name-ru", f"Колледж CSP {token}")
    await page.check("input[name=levels][value=technical_vocational]")
    await page.click("button[type=submit]")
    await page.wait_for_url(ORGANISATION_URL)
    # The panel refreshes itself over HTMX until the organisation is active.
    await expect(page.locator("#org-panel .badge").first).to_have_text("Активна", timeout=30_000)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Приостановить").click()
    await expect(page.locator("#org-panel .badge").first).to_have_text("Приостановлена")
    # Active search: HTMX swaps the results in as one types.
    await page.goto("/organisations")
    await page.fill("#q", token)
    await page.locator("#q").press("End")
    await expect(page.locator("#results tbody tr")).to_have_count(1)
    assert violations == [], violations


async def test_a_page_of_ours_cannot_be_framed(page: Any, live_server: str) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    await page.goto("/sign-in")  # an origin of its own for the framing page below
    await page.set_content(f'<iframe id="f" src="{live_server}/sign-in" width="600" height="400"></iframe>')
    await page.wait_for_timeout(1_000)
    framed = [f for f in page.frames if f != page.main_frame]
    assert framed, "the iframe was not created"
    # Chromium replaces a refused frame with an error page: none of ours is in it.
    assert await framed[0].locator("#find-provider").count() == 0
    assert any("frame-ancestors" in m or "X-Frame-Options" in m for m in messages), messages
