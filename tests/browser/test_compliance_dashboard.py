"""The compliance dashboard in Chromium, as the national administrator: the republic → the region →
a district → a school's "what to fix" → the record a finding is about; the filter form swapping
only the panel; and the current view downloaded, in Kazakh and in Russian."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from playwright.async_api import expect

from api.access import Grant
from api.identity.sessions import SESSION_COOKIE
from api.roles import Role
from tests.chromium import settled
from tests.compliance.test_dashboard import Place, place  # noqa: F401 - a region of its own, two districts, three schools
from tests.identity.access.principals import new_user, republic_id, session_cookie

pytestmark = pytest.mark.browser
SWAP = 20_000  # ms for an HTMX swap, as long as a page load may take on a busy machine


@pytest.mark.parametrize(
    ("lang", "title", "territory_column"),
    [("kk", "Қағидаларға сәйкестік", "Аумақ"), ("ru", "Соответствие Правилам", "Территория")],
)
async def test_national_admin_drills_down_to_a_record_and_downloads_the_view(
    browser: Any,
    live_server: str,
    app: Any,
    db: Any,
    place: Place,
    lang: str,
    title: str,
    territory_column: str,  # noqa: F811
) -> None:
    user = await new_user(db, [Grant(Role.NATIONAL_ADMIN, territory_id=await republic_id(db))], name="National Admin")
    cookie = (await session_cookie(app.api, db, user))["cookie"].split("=", 1)[1]
    context = await browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    page = await context.new_page()
    district, school = place.districts[0], place.schools[0]
    try:
        await page.goto(f"/?lang={lang}")
        await page.click("#nav-compliance")
        # The republic's page sums every territory and lists every organisation: on a loaded
        # machine it takes longer than an assertion's default 5 s, so wait as for a navigation.
        await page.wait_for_url("**/compliance")
        await expect(page.locator("h1")).to_contain_text(title)
        await expect(page.locator("#trend-chart")).to_have_attribute("role", "img")

        await page.click(f'#children tr[data-territory="{place.region}"] a')
        await page.wait_for_url(f"**/compliance?territory_id={place.region}")
        await expect(page.locator("#board-path a")).to_have_count(2)
        await expect(page.locator("#children tbody tr[data-territory]")).to_have_count(2)
        await page.screenshot(path=f"/tmp/metodist-compliance-region-{lang}.png", full_page=True)

        # The filter form works through HTMX too: only the panel changes, the address follows.
        await page.select_option("#clause", "14")
        await expect(page.locator('#by-clause tr[data-clause="14"] a')).to_have_attribute(
            "aria-current", "true", timeout=SWAP
        )
        await page.wait_for_url(f"**/compliance?territory_id={place.region}&clause=14")
        await settled(page, SWAP)
        await page.select_option("#clause", "")
        await expect(page.locator("#by-clause a[aria-current]")).to_have_count(0, timeout=SWAP)
        await settled(page, SWAP)

        async with page.expect_download() as waiting:
            await page.click("#export-territories-csv")
        download = await waiting.value
        with open(await download.path(), encoding="utf-8-sig") as handle:
            table = list(csv.reader(io.StringIO(handle.read()), delimiter=";"))
        assert table[0][0] == territory_column and len(table) == 4  # two districts and the total
        assert download.suggested_filename.endswith(".csv")

        await page.click(f'#children tr[data-territory="{district}"] a')
        await page.wait_for_url(f"**/compliance?territory_id={district}")
        await expect(page.locator("#organisations tbody tr")).to_have_count(2)
        await page.click(f'#organisations tr[data-organisation="{school.id}"] a')
        await page.wait_for_url(f"**/organisations/{school.id}/what-to-fix")
        await expect(page.locator("#to-dashboard")).to_have_attribute("href", f"/compliance?territory_id={district}")

        finding = page.locator(".finding h2 a").first
        record = await finding.get_attribute("href")
        assert record and record.startswith(f"/organisations/{school.id}/")
        await finding.click()
        await page.wait_for_url(f"**{record}")
        await expect(page.locator("h1")).to_be_visible()
        await page.screenshot(path=f"/tmp/metodist-compliance-record-{lang}.png")

        await page.go_back()
        await page.click("#to-dashboard")
        await page.wait_for_url(f"**/compliance?territory_id={district}")
        async with page.expect_download() as waiting:
            await page.click("#export-organisations-xlsx")
        assert (await waiting.value).suggested_filename.endswith(".xlsx")
    finally:
        await context.close()
