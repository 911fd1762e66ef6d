"""Every form that takes something away (archive, end, remove, suspend, revoke, delete, deactivate,
withdraw) asks first, also in a browser without JavaScript: sent as it stands (without the
`hx-vals` only HTMX adds), it answers with a page that asks, and nothing has changed; that page's
own form then does it.

Generic: the forms are found by walking each user's pages (tests/crawl.py) and told apart by
their action, so the forms of pages added later are checked too. A browser without JavaScript is
plain HTTP here: it posts a form's fields to its action, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.demo import DEMO_USERS
from api.settings import Settings
from tests.crawl import Form, Page, confirmation, crawl, fetch, form_data, offered, parse
from tests.demo_site import DemoSite, DemoTemplate, demo_site

EMAIL = {u.subject: u.email for u in DEMO_USERS}
# The users with something to take away, in this order: confirming takes it away for good, so
# those whose actions reach furthest (organisations, people's roles) come last. One test walks
# them all, so the order holds whatever order the run gives its tests.
USERS = ["teacher", "council-chair", "deputy-head", "school-admin", "national-admin"]


@pytest.fixture(scope="module")
def site(settings: Settings, demo_template: DemoTemplate) -> Iterator[DemoSite]:
    with demo_site(settings, demo_template) as served:
        yield served


async def _fill(client: httpx.AsyncClient, page_url: str, action_end: str, **values: str) -> None:
    """Sends a page's form with these values, as a person would (a token, an invitation, a domain
    to take away again below)."""
    found = await fetch(client, page_url)
    form = next(f for f in found.forms if f.action.endswith(action_end))
    answer = await client.post(form.action, data=form_data(form, **values))
    assert answer.status_code < 400, (form.action, answer.status_code)


async def _seed(client: httpx.AsyncClient) -> None:
    """An organisation admin's lists start empty in the demo: one of each to revoke or remove."""
    me = (await client.get("/api/auth/me")).json()
    org = next(g["organisation_id"] for g in me["grants"] if g["organisation_id"])
    await _fill(client, f"/organisations/{org}/api-tokens", "/api-tokens", name="Proof of revoking", role="teacher")
    await _fill(
        client, f"/organisations/{org}/invitations", "/invitations", email="invited@proof.example.kz", role="teacher"
    )
    await _fill(client, f"/organisations/{org}/domains", "/domains", domain="proof-school.example.kz")


def _actions(found: Page) -> set[str]:
    return {f.action for f in found.forms if f.method == "post"}


async def _check(client: httpx.AsyncClient, subject: str, form: Form) -> str | None:
    """What is wrong with how this form takes something away, if anything."""
    before = await fetch(client, form.page)
    if form.action not in _actions(before):
        return None  # taken away already by an earlier check (a meeting archived with its agenda)
    answer = await client.post(form.action, data=form_data(form))
    asked = parse(form.action, answer.status_code, answer.text)
    confirm = confirmation(asked, form.action)
    if answer.status_code != 200 or confirm is None:
        return f"{subject}: {form.action} {form.buttons} did not ask first (answered {answer.status_code})"
    if not any(link == form.page or link.startswith(form.page + "?") for link in asked.links):
        return f"{subject}: asking before {form.action} offers no way back to {form.page}"
    after = await fetch(client, form.page)
    if after.status != 200 or _actions(after) != _actions(before):
        return f"{subject}: {form.action} changed {form.page} before it was confirmed"
    done = await client.post(confirm.action, data=form_data(confirm))
    if done.status_code >= 400 or confirmation(parse(confirm.action, done.status_code, done.text), form.action):
        return f"{subject}: confirming {form.action} answered {done.status_code}"
    return None


async def test_every_destructive_form_asks_first_without_javascript(site: DemoSite) -> None:
    wrong: list[str] = []
    checked: set[str] = set()
    for subject in USERS:
        # A second sign-in leaves another session of the user to end from "My sessions".
        async with site.client(EMAIL[subject]) as client, site.client(EMAIL[subject]):
            if subject == "school-admin":
                await _seed(client)
            forms: list[Form] = [f for f in offered(await crawl(client)) if f.destructive]
            assert forms, f"{subject} was offered nothing to take away: the walk found too little"
            for form in forms:
                checked.add(form.pattern)
                if problem := await _check(client, subject, form):
                    wrong.append(problem)
    # What the walk must have met, or the check proves little.
    for expected in (
        "/archive",
        "/suspend",
        "/agenda/{id}/remove",
        "/roles/{id}/revoke",
        "/sessions/revoke",
        "/api-tokens/{id}/revoke",
        "/invitations/{id}/revoke",
        "/remove",
        "/account/sessions/{id}/revoke",
    ):
        assert any(p.endswith(expected) for p in checked), (expected, sorted(checked))
    assert not wrong, "\n".join(wrong)
