"""One default route end to end in the browser (cl. 20, a lesson plan in a school): the author
creates the document, uploads its file and submits it; the council's secretary records the
council's positive conclusion from the inbox at a meeting's agenda item; the deputy head approves;
the author sees it approved, with the timeline of who decided what."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.identity.sessions import SESSION_COOKIE
from api.settings import Settings
from tests.chromium import chromium_path
from tests.identity.access.principals import session_cookie
from tests.reviews import world as w

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(settings: Settings, database_url: str, district_id: Any) -> Iterator[str]:
    from api.asgi import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database_url, run_worker=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=instance.run, name="uvicorn-reviews", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    executable = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def _as(chromium: Any, server: str, app: Any, db: Any, person: w.Person) -> Any:
    cookie = (await session_cookie(app.api, db, person.user_id))["cookie"].split("=", 1)[1]
    context = await chromium.new_context(base_url=server)
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": server}])
    return context


async def test_lesson_plan_through_the_browser(
    chromium: Any, server: str, app: Any, db: Any, sch: w.World, tmp_path: Path
) -> None:
    base = f"/organisations/{sch.org_id}"
    author = await _as(chromium, server, app, db, sch["author"])
    tab = await author.new_page()
    await tab.goto(f"{base}/documents")
    await tab.select_option("select[name=kind]", "lesson_plan")
    await tab.fill("input[name=title]", "Lesson plan: fractions, grade 5")
    await tab.fill("input[name=school_year]", "2025")
    await tab.click("#new-document button[type=submit]")
    await tab.wait_for_url("**/documents/*")
    document_url = tab.url
    # Before submission the page shows the route it will take, with its clauses.
    planned = await tab.inner_text("#planned-route")
    assert "Methodological council of the organisation" in planned and "cl. 20" in planned

    # A mislabelled file is refused with the reason; a real DOCX is accepted.
    fake = tmp_path / "plan.docx"
    fake.write_bytes(w.pdf("not a docx"))
    await tab.set_input_files("#upload input[type=file]", str(fake))
    await tab.click("#upload button[type=submit]")
    assert "DOCX but its content is PDF" in await tab.inner_text("#form-error")
    real = tmp_path / "fractions.docx"
    real.write_bytes(w.docx("Fractions", "Adding fractions with like denominators"))
    await tab.goto(document_url)
    await tab.set_input_files("#upload input[type=file]", str(real))
    await tab.click("#upload button[type=submit]")
    await tab.wait_for_selector("#version-1")
    await tab.click("#submit-1")
    await tab.wait_for_selector("#stage-1-0.stage-active")
    assert "Submitted, locked" in await tab.inner_text("#version-1")

    # The council's secretary decides from the inbox, at the council meeting's agenda item.
    secretary = await _as(chromium, server, app, db, sch["org_secretary"])
    inbox = await secretary.new_page()
    await inbox.goto(f"{base}/reviews/inbox")
    item = inbox.locator("article.inbox-item", has_text="Lesson plan: fractions, grade 5")
    await item.locator("textarea[name=remarks]").fill("Well structured.")
    await item.locator("button[type=submit]").click()
    await inbox.wait_for_selector("article.decided")
    assert "Positive conclusion" in await inbox.inner_text("article.decided")

    # The deputy head approves.
    deputy = await _as(chromium, server, app, db, sch["deputy"])
    approvals = await deputy.new_page()
    await approvals.goto(f"{base}/reviews/inbox")
    item = approvals.locator("article.inbox-item", has_text="Lesson plan: fractions, grade 5")
    await item.locator("button[type=submit]").click()
    await approvals.wait_for_selector("article.decided")

    await tab.goto(document_url)
    assert await tab.inner_text("#document-status") == "Approved"
    timeline = await tab.inner_text("#round-1")
    assert "Council Secretary" in timeline and "Gulnar Deputy" in timeline and "Well structured." in timeline
    assert "Approved" in await tab.inner_text("#version-1")
    for context in (author, secretary, deputy):
        await context.close()
