"""No page offers what its viewer's role cannot do, and no link leads to a page it may not open:
for every role, the pages reachable from its navigation are walked (tests/crawl.py), each link
opened and each form sent as it stands (confirmed where it asks first), and none may be refused
with 403 (nor fail with 5xx). Refusals of what was sent (422: a required field left empty; 409:
not in this state) are the form doing its work, and pass.

Generic: pages and forms added later are walked and sent too. One test walks every role in a
fixed order, least reach first, so what one role's forms change (a meeting archived, a role
revoked) reaches the roles after it the same way in every run.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.demo import DEMO_USERS
from api.roles import Role
from api.settings import Settings
from tests.crawl import Form, confirmation, crawl, fetch, form_data, offered, parse
from tests.demo_site import DemoSite, DemoTemplate, demo_site

# One demo user of each role, those whose forms reach least first.
ORDER = [
    Role.TEACHER,
    Role.COUNCIL_SECRETARY,
    Role.COUNCIL_CHAIR,
    Role.ASSOCIATION_LEADER,
    Role.UNIT_HEAD,
    Role.HEAD,
    Role.DEPUTY_HEAD,
    Role.DISTRICT_METHODIST,
    Role.REGIONAL_METHODIST,
    Role.NATIONAL_METHODIST,
    Role.ORGANISATION_ADMIN,
    Role.REGIONAL_ADMIN,
    Role.NATIONAL_ADMIN,
]
USERS = [next(u for u in DEMO_USERS if u.role is role) for role in ORDER]


@pytest.fixture(scope="module")
def site(settings: Settings, demo_template: DemoTemplate) -> Iterator[DemoSite]:
    with demo_site(settings, demo_template) as served:
        yield served


def _said(html: str) -> str:
    """The refusal the page shows (its first error message), for the report."""
    start = html.find('class="alert alert-error"')
    if start < 0:
        start = html.find("<h1")
    text = html[html.find(">", start) + 1 :][:300] if start >= 0 else ""
    return " ".join(text.replace("<", " <").split())[:160]


async def _send(client: httpx.AsyncClient, form: Form) -> tuple[int, str]:
    """Sends the form as it stands on its page now; confirms when asked. (status, the answer)."""
    now = await fetch(client, form.page)
    current = next((f for f in now.forms if f.action == form.action), None)
    if current is None:
        return 0, "gone"  # an earlier form took it away
    answer = await client.post(current.action, data=form_data(current))
    asked = parse(current.action, answer.status_code, answer.text)
    if answer.status_code == 200 and (confirm := confirmation(asked, current.action)):
        answer = await client.post(confirm.action, data=form_data(confirm))
    return answer.status_code, answer.text


async def _grants(client: httpx.AsyncClient) -> object:
    me = await client.get("/api/auth/me")
    return me.json().get("grants") if me.status_code == 200 else None


async def test_no_page_offers_what_its_viewer_may_not_do(site: DemoSite) -> None:
    refused: list[str] = []
    sent = 0
    for user in USERS:
        async with site.client(user.email) as client:
            pages = await crawl(client)
            grants = await _grants(client)
        refused += [f"{user.role}: the link to {p.url} answers 403" for p in pages if p.status == 403]
        refused += [f"{user.role}: {p.url} answers {p.status}" for p in pages if p.status >= 500]
        for form in offered(pages):
            # A session of its own for each form: one that ends sessions ends only that one.
            async with site.client(user.email) as client:
                if await _grants(client) != grants:
                    break  # the user's own role was revoked by the form before: nothing after is theirs
                status, html = await _send(client, form)
            sent += 1
            if status == 403 or status >= 500:
                refused.append(
                    f"{user.role}: {form.action} {form.buttons} on {form.page} answers {status}: {_said(html)}"
                )
    assert sent >= 30, "the walk found too few forms to prove anything"
    assert not refused, "\n".join(refused)
