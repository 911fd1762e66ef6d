"""In Chromium, an organisation admin sets the organisation up from its page: adds a subject, a
unit, a staff member who teaches that subject in that unit, and a school year's terms; edits the
staff member and a term; archives them, declining the confirmation first. In Kazakh at a school
(quarters, associations) and in Russian at a college (semesters, cycle commissions)."""

from __future__ import annotations

import asyncio
import re
import uuid
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
from tests.structure.conftest import Place, Region
from tests.web.conftest import places  # noqa: F401 - live_server places organisations under these

pytestmark = pytest.mark.browser

STAFF_URL = re.compile(r".*/staff/[0-9a-f-]{36}\?done=created$")

CASES = {
    # lang: (organisation, the unit kind chosen and its label, the words checked on the way)
    "kk": (
        "school2",
        "association",
        "Әдістемелік бірлестік",
        {
            "subjects": "Пәндер",
            "created": "Сақталды: жазба жасалды.",
            "saved": "Өзгерістер сақталды.",
            "archived": "Жазба мұрағатқа жіберілді.",
            "required": "Бұл өрісті толтырыңыз.",
            "term": "Тоқсан 1",
        },
    ),
    "ru": (
        "college",
        "cycle_commission",
        "Цикловая комиссия",
        {
            "subjects": "Предметы",
            "created": "Сохранено: запись создана.",
            "saved": "Изменения сохранены.",
            "archived": "Запись отправлена в архив.",
            "required": "Заполните это поле.",
            "term": "Семестр 1",
        },
    ),
}


async def admin_page(browser: Any, live_server: str, app: Any, db: Any, place: Place) -> Any:  # noqa: F811
    user = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=place.id)], name="Set-up Admin")
    cookie = (await session_cookie(app.api, db, user))["cookie"].split("=", 1)[1]
    context = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    return context


@pytest.fixture
async def contexts(browser: Any) -> AsyncIterator[list[Any]]:  # noqa: F811
    opened: list[Any] = []
    yield opened
    for context in opened:
        await context.close()
    await asyncio.sleep(0)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_admin_sets_the_organisation_up(
    browser: Any,
    live_server: str,
    app: Any,
    db: Any,
    region: Region,
    contexts: list[Any],
    lang: str,  # noqa: F811
) -> None:
    attr, unit_kind, unit_label, words = CASES[lang]
    place: Place = getattr(region, attr)
    context = await admin_page(browser, live_server, app, db, place)
    contexts.append(context)
    page = await context.new_page()
    mark = uuid.uuid4().hex[:5]
    subject, unit, person = f"Робототехника {mark}", f"Бірлестік {mark}", f"Әлия Серікова {mark}"
    year = {"kk": 2046, "ru": 2047}[lang]

    # From the organisation's page to its subjects.
    await page.goto(f"/organisations/{place.id}?lang={lang}")
    await page.click("#link-subjects")
    await expect(page.locator("h1")).to_have_text(words["subjects"])
    await page.fill("#sj-kk", subject)
    await page.fill("#sj-ru", subject)
    await page.click("#subject-form button[type=submit]")
    await expect(page.locator("#page-notice")).to_have_text(words["created"])
    await expect(page.locator("#subject-list a", has_text=subject)).to_be_visible()

    # A unit of a kind this organisation has.
    await page.click("#setup-units")
    await page.fill("#u-name", unit)
    await page.select_option("#u-kind", unit_kind)
    await page.click("#unit-form button[type=submit]")
    await expect(page.locator("#page-notice")).to_have_text(words["created"])
    await expect(page.locator(".tree a.unit-name", has_text=unit)).to_be_visible()

    # A staff member: nothing filled in is refused at the fields; then with the subject and the unit.
    await page.click("#setup-staff")
    await page.click("#add-staff")
    await page.locator("#staff-form input[name=positions]:checked").uncheck()
    await page.click("#save-staff")
    await expect(page.locator("#full_name-error")).to_have_text(words["required"])
    await expect(page.locator("#positions-error")).to_be_visible()
    await settled(page)
    await page.fill("#s-full-name", person)
    await page.locator("#staff-form input[name=positions][value=teacher]").check()
    await page.locator("#staff-form label.check", has_text=subject).locator("input").check()
    await page.select_option("#s-unit", label=f"{unit} ({unit_label})")
    await page.click("#save-staff")
    await page.wait_for_url(STAFF_URL)
    await expect(page.locator("#page-notice")).to_have_text(words["created"])
    await expect(page.locator("#s-unit option:checked")).to_have_text(f"{unit} ({unit_label})")
    await page.screenshot(path=f"/tmp/metodist-setup-staff-{lang}.png", full_page=True)

    # Edited: a new name.
    await page.fill("#s-full-name", f"{person} (ред.)")
    await page.click("#save-staff")
    await expect(page.locator("#page-notice")).to_have_text(words["saved"])
    await expect(page.locator("h1")).to_have_text(f"{person} (ред.)")

    # Archived after a confirmation; declined first, nothing happens.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
    await page.click("#staff-form .archive-form button")
    await expect(page.locator("h1")).to_have_text(f"{person} (ред.)")
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#staff-form .archive-form button")
    await expect(page.locator("#page-notice")).to_have_text(words["archived"])
    await page.fill("#f-q", mark)
    await page.click("form.filters button[type=submit]")
    await expect(page.locator("#staff-results .empty")).to_be_visible()

    # A school year with the usual dates; a term's last day changed; then the year archived.
    await page.click("#setup-terms")
    await page.fill("#y-year", str(year))
    await page.click("#year-form button[type=submit]")
    await expect(page.locator("#page-notice")).to_have_text(words["created"])
    await page.locator(f"#year-{year} a", has_text=words["term"]).click()
    await page.fill("#t-ends", f"{year}-10-30" if lang == "kk" else f"{year}-12-27")
    await page.click("#save-term")
    await expect(page.locator("#page-notice")).to_have_text(words["saved"])
    await expect(page.locator("#t-ends")).to_have_value(f"{year}-10-30" if lang == "kk" else f"{year}-12-27")
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#term-edit .archive-form button")
    await expect(page.locator("#page-notice")).to_have_text(words["archived"])
    await expect(page.locator(f"#year-{year}")).to_have_count(0)
    await page.screenshot(path=f"/tmp/metodist-setup-{lang}.png", full_page=True)
