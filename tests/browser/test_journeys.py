"""Each role's main journey in Chromium, from the sign-in page to a visible result, in Kazakh and in
Russian, on the demo region as `make run` serves it (development sign-in: the demo user's button).

Each language works on a copy of the demo of its own (`site`, one per language), so a journey that
uses up demo data (the plan waiting for the head, the document waiting for the council) finds it
in both languages, whatever order the run gives the tests.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from api.demo import DEMO_USERS
from api.settings import Settings
from tests.chromium import settled
from tests.demo_site import DemoSite, DemoTemplate, demo_site
from tests.support import fresh_bin

pytestmark = pytest.mark.browser

EMAIL = {u.subject: u.email for u in DEMO_USERS}
UUID = r"[0-9a-f-]{36}"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% a working curriculum\n%%EOF\n"
# What each journey ends on, in each language.
SAID = {
    "kk": {
        "registered": "Ұйым тіркелді. Оның жұмыс кеңістігі дайындалуда.",
        "compliance": "Қағидаларға сәйкестік",
        "national-admin": "Қазақстан Республикасы",
        "regional-admin": "Қарағанды облысы",
        "district-methodist": "Бұқар жырау ауданы",
    },
    "ru": {
        "registered": "Организация зарегистрирована. Её рабочее пространство готовится.",
        "compliance": "Соответствие Правилам",
        "national-admin": "Республика Казахстан",
        "regional-admin": "Карагандинская область",
        "district-methodist": "Бухар-Жырауский район",
    },
}


@pytest.fixture(scope="module", params=["kk", "ru"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def site(settings: Settings, demo_template: DemoTemplate, lang: str) -> Iterator[DemoSite]:
    with demo_site(settings, demo_template) as served:
        yield served


@pytest.fixture
async def signed_in(browser: Any, site: DemoSite, lang: str) -> AsyncIterator[Any]:
    """Signs in as a demo user through the sign-in page, in the test's language; a page per user."""
    contexts: list[Any] = []

    async def sign_in(subject: str) -> Any:
        context = await browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        tab = await context.new_page()
        await tab.goto(f"/sign-in?lang={lang}")
        await tab.click(f"button[data-demo-user='{EMAIL[subject]}']")
        await tab.wait_for_url(f"{site.url}/")
        await expect(tab.locator("#header-user")).to_be_visible()
        return tab

    yield sign_in
    for context in contexts:
        await context.close()
    await asyncio.sleep(0)


async def _org_nav(tab: Any, href_end: str) -> None:
    """Follows a link of the organisation's navigation (the header's second row)."""
    await tab.locator(f"nav.org-nav a[href$='{href_end}']").click()
    await tab.wait_for_load_state()


async def test_national_admin_registers_an_organisation(signed_in: Any, lang: str) -> None:
    tab = await signed_in("national-admin")
    await tab.click("#nav-register")
    await tab.select_option("#f-kind", "school")
    district = tab.locator("#f-territory option", has_text=re.compile("Бұқар|Бухар")).first
    await tab.select_option("#f-territory", await district.get_attribute("value"))
    await tab.fill("#f-bin", fresh_bin())
    name = f"Journey {uuid.uuid4().hex[:6]}"
    await tab.fill("#f-name-kk", f"{name} мектебі")
    await tab.fill("#f-name-ru", f"Школа {name}")
    await tab.check("input[name=levels][value=primary]")
    await tab.click("#org-form button[type=submit]")
    await tab.wait_for_url(re.compile(rf".*/organisations/{UUID}\?done=created$"))
    await expect(tab.locator(".alert-success")).to_have_text(SAID[lang]["registered"])


@pytest.mark.parametrize("subject", ["national-admin", "regional-admin", "district-methodist"])
async def test_cabinets_see_their_dashboard(signed_in: Any, lang: str, subject: str) -> None:
    """The national admin sees the republic, the regional admin the region, the district methodist
    the district with its schools, down to a school's "what to fix"."""
    tab = await signed_in(subject)
    await tab.click("#nav-compliance")
    await expect(tab.locator("h1")).to_contain_text(f"{SAID[lang]['compliance']}: {SAID[lang][subject]}")
    await expect(tab.locator("#dashboard-panel tbody tr").first).to_be_visible()
    if subject == "district-methodist":
        # The district's schools, each down to what it has to fix.
        school = tab.locator("#organisations-panel a[href*='/what-to-fix']").first
        await school.click()
        await tab.wait_for_url(re.compile(r".*/what-to-fix.*"))
        await expect(tab.locator("h1")).to_be_visible()


async def test_organisation_admin_sets_up_an_association(signed_in: Any, lang: str) -> None:
    tab = await signed_in("school-admin")
    await _org_nav(tab, "/structure")
    name = f"Journey {uuid.uuid4().hex[:6]}"
    # The association form is a page of its own; choosing the kind redraws it (without a subject).
    await tab.click("#new-association")
    async with tab.expect_response(lambda r: "/associations/new" in r.url):
        await tab.select_option("#association-form select[name=kind]", "class_teachers")
    await settled(tab)
    await tab.fill("#association-form input[name=name]", name)
    await tab.click("#association-form button[type=submit]")
    await tab.wait_for_url(re.compile(rf".*/associations/{UUID}\?done=created$"))
    await expect(tab.locator("h1")).to_have_text(name)
    await expect(tab.locator("#page-notice")).to_be_visible()
    # Its first member, from the organisation's staff.
    await tab.select_option("#members select[name=staff_id]", index=0)
    await tab.click("#members button[type=submit]")
    await expect(tab.locator("#members .member-list li")).to_have_count(1)


async def test_head_approves_the_plan_and_the_leader_starts_the_next_version(signed_in: Any, lang: str) -> None:
    """Cl. 29: the head approves the association's plan waiting for them; its leader then changes
    the approved plan by a new version, adds an item and submits it to the head again."""
    head = await signed_in("head")
    await _org_nav(head, "/structure")
    # The association whose plan waits for the head: each association's page, until one offers it.
    links = [await a.get_attribute("href") for a in await head.locator("a[href*='/associations/']").all()]
    for href in links:
        await head.goto(href)
        if await head.locator("form[action$='/approve'] button").count():
            break
    else:
        raise AssertionError("no plan waits for the head's approval")
    head.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await head.locator("form[action$='/approve'] button").click()
    await expect(head.locator("#plan .badge[data-status=approved]")).to_be_visible()
    await expect(head.locator("form[action$='/approve']")).to_have_count(0)
    association = urlsplit(head.url).path

    leader = await signed_in("association-leader")
    await _org_nav(leader, "/structure")
    await leader.locator(f"a[href='{association}']").first.click()
    await leader.wait_for_url(re.compile(f".*{association}$"))
    leader.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await leader.locator("form[action$='/versions'] button").click()
    await expect(leader.locator("#plan .badge[data-status=draft]")).to_be_visible()
    await settled(leader)
    before = await leader.locator("#plan tbody tr").count()
    await leader.locator("#plan details summary").click()
    await leader.fill("#plan input[name=title]", "Ашық сабақтар апталығы / Неделя открытых уроков")
    await leader.fill("#plan input[name=starts_on]", "2027-02-01")
    await leader.locator(
        "#plan input[name=responsible_ids]"
    ).first.check()  # cl. 29: each item names who answers for it
    await leader.click("#plan form[action$='/items'] button[type=submit]")
    await expect(leader.locator("#plan tbody tr")).to_have_count(before + 1)
    await settled(leader)
    leader.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await leader.locator("form[action$='/submit'] button").click()
    await expect(leader.locator("#plan .badge[data-status=submitted]")).to_be_visible()


async def test_council_decides_and_the_deputy_head_approves(signed_in: Any, lang: str) -> None:
    """The methodological council's chair records the council's decision on the document waiting
    for it, at its meeting; the document then waits for the deputy head, who approves it."""
    chair = await signed_in("council-chair")
    await _org_nav(chair, "/reviews/inbox")
    # A decision of the council, taken at its meeting (the item chooses the meeting's agenda item).
    item = chair.locator("article.inbox-item", has=chair.locator("select[name=place]")).first
    title = await item.locator("h2 a").inner_text()
    stage = await item.get_attribute("id")
    await item.locator("button[type=submit]").click()
    await expect(chair.locator(f"article#{stage}.decided")).to_be_visible()

    deputy = await signed_in("deputy-head")
    await _org_nav(deputy, "/reviews/inbox")
    waiting = deputy.locator("article.inbox-item", has_text=title)
    await expect(waiting).to_have_count(1)
    stage = await waiting.get_attribute("id")
    document = await waiting.locator("h2 a").get_attribute("href")
    await waiting.locator("button[type=submit]").click()
    await expect(deputy.locator(f"article#{stage}.decided")).to_be_visible()
    await deputy.goto(document or "/")
    await expect(deputy.locator("#document-status")).to_have_class(re.compile("status-approved"))


async def test_teacher_creates_a_document_and_submits_it(signed_in: Any, lang: str, tmp_path: Any) -> None:
    tab = await signed_in("teacher")
    await _org_nav(tab, "/documents")
    title = f"Journey {uuid.uuid4().hex[:6]}"
    await tab.fill("#new-document input[name=title]", title)
    await tab.click("#new-document button[type=submit]")
    await tab.wait_for_url(re.compile(rf".*/documents/{UUID}.*"))
    await expect(tab.locator("h1")).to_contain_text(title)
    upload = tmp_path / "curriculum.pdf"
    upload.write_bytes(PDF)
    await tab.set_input_files("#upload input[name=file]", str(upload))
    await tab.click("#upload button[type=submit]")
    await tab.click("#submit-1")
    await expect(tab.locator("#document-status")).to_have_class(re.compile("status-in_review"))
