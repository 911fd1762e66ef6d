"""axe-core on every kind of page of the demo, as the demo users who see them: no serious or
critical violation (WCAG 2.x A/AA and axe's best practices).

axe-core comes from tests/axe (pinned, `npm ci` by `make test-tools`) and is injected into each
page from that file. Which pages: those reachable from each user's navigation (tests/crawl.py),
one page per kind, each checked once, as the first user in `USERS` who reaches it; so a page
added later is checked without being listed here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.demo import DEMO_USERS
from api.settings import Settings
from tests.crawl import crawl
from tests.demo_site import DemoSite, DemoTemplate, demo_site

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# The most privileged first: they reach the most pages. Then the staff, who see other forms.
USERS = [
    "national-admin",
    "regional-admin",
    "district-methodist",
    "school-admin",
    "head",
    "deputy-head",
    "council-chair",
    "association-leader",
    "teacher",
    "university-dean",
]
EMAIL = {u.subject: u.email for u in DEMO_USERS}
# Kinds of page the walk must reach, or the check proves little: every main page of the issue.
MAIN_PAGES = {
    "/",
    "/territories",
    "/organisations",
    "/organisations/{id}",
    "/organisations/{id}/structure",
    "/organisations/{id}/associations/{id}",
    "/organisations/{id}/bodies/council/{id}",
    "/organisations/{id}/meetings/{id}",
    "/organisations/{id}/bodies/council",
    "/organisations/{id}/associations/new",
    "/organisations/{id}/staff",
    "/organisations/{id}/staff/{id}",
    "/organisations/{id}/subjects",
    "/organisations/{id}/units",
    "/organisations/{id}/academic-calendar",
    "/organisations/{id}/calendar",
    "/organisations/{id}/documents",
    "/organisations/{id}/documents/{id}",
    "/organisations/{id}/reviews/inbox",
    "/organisations/{id}/catalogue",
    "/organisations/{id}/what-to-fix",
    "/compliance",
    "/imports/organisations",
    "/organisations/new",
    "/account/sessions",
    "/organisations/{id}/people",
    "/organisations/{id}/invitations",
    "/organisations/{id}/identity-providers",
    "/organisations/{id}/domains",
    "/organisations/{id}/api-tokens",
    "/organisations/{id}/imports/staff",
}
SEVERE = {"serious", "critical"}


@pytest.fixture(scope="module")
def site(settings: Settings, demo_template: DemoTemplate) -> Iterator[DemoSite]:
    with demo_site(settings, demo_template) as served:
        yield served


async def _pages_by_user(site: DemoSite) -> dict[str, list[str]]:
    """Each kind of page once, with the first user who reaches it."""
    seen: set[str] = set()
    plan: dict[str, list[str]] = {}
    for subject in USERS:
        async with site.client(EMAIL[subject]) as client:
            for found in await crawl(client):
                if found.status == 200 and found.html and found.pattern not in seen:
                    seen.add(found.pattern)
                    plan.setdefault(subject, []).append(found.url)
    missing = MAIN_PAGES - seen
    assert not missing, f"the walk did not reach {sorted(missing)}"
    return plan


async def _axe(page: Any) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [v for v in json.loads(result) if v.get("impact") in SEVERE]


def _describe(url: str, violation: dict[str, Any]) -> str:
    nodes = "; ".join(
        " ".join(n["target"][:1]) if isinstance(n["target"][0], str) else str(n["target"])
        for n in violation["nodes"][:3]
    )
    return f"{url}: {violation['id']} ({violation['impact']}) {violation['help']} — {nodes}"


async def test_no_serious_or_critical_violations_on_any_page(browser: Any, site: DemoSite) -> None:
    assert AXE.is_file(), "axe-core is not installed: run `make test-tools` (npm ci in tests/axe)"
    plan = await _pages_by_user(site)
    found: list[str] = []
    checked = 0
    for subject, urls in plan.items():
        # bypass_csp: axe is injected as an inline script, which the pages' policy rightly refuses.
        context = await browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
        try:
            tab = await context.new_page()
            await tab.goto("/sign-in?lang=kk")
            if subject == USERS[0]:
                found += [_describe(tab.url, v) for v in await _axe(tab)]
                # The check can fail: an image without a text alternative is a critical violation.
                await tab.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"/static/app.css\">')")
                assert any(v["id"] == "image-alt" for v in await _axe(tab)), "axe did not see a missing alt text"
                await tab.goto("/sign-in?lang=kk")
            await tab.click(f"button[data-demo-user='{EMAIL[subject]}']")
            await tab.wait_for_url(f"{site.url}/")
            for url in urls:
                answer = await tab.goto(url + ("&" if "?" in url else "?") + "lang=kk")
                assert answer is not None and answer.status == 200, (subject, url)
                found += [_describe(url, v) for v in await _axe(tab)]
                checked += 1
        finally:
            await context.close()
    assert checked >= len(MAIN_PAGES)
    assert not found, "\n".join(found)
