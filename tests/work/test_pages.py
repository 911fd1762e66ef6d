"""The structure pages over HTTP, as a browser without JavaScript and as HTMX sees them."""

from __future__ import annotations

import datetime
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.identity.csrf import CSRF_COOKIE, CSRF_HEADER
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import KZ, SCHOOL_YEAR, TODAY, School, furnished_school

# Members joined two months ago: the meeting is held while they are members.
STARTS = datetime.datetime.now(KZ) - datetime.timedelta(hours=1)


@pytest.fixture(scope="module")
async def pages_school(app: Any, db: Any) -> School:
    from api.domain.structure.models import Unit

    school = await furnished_school(db, "Pages School")
    async with db.tenant_context(school.schema) as session:
        session.add(Unit(name="Natural sciences", kind="subject_commission"))
    return school


async def browser(app: Any, headers: dict[str, str]) -> httpx.AsyncClient:
    """A browser signed in with a session (`headers` as session_cookie gives them): the session goes
    into the cookie jar beside the CSRF cookie, as a browser keeps both."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    name, _, value = headers["cookie"].partition("=")
    client.cookies.set(name, value)
    await client.get("/territories")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    client.headers[CSRF_HEADER] = token
    return client


@pytest.fixture
async def deputy(app: Any, db: Any, pages_school: School) -> AsyncIterator[httpx.AsyncClient]:
    # A person signed in: the deputy head records a body's decisions, which tokens may not.
    user = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=pages_school.org.id)], name="Deputy Head")
    client = await browser(app, await session_cookie(app.api, db, user))
    yield client
    await client.aclose()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Әдістемелік құрылым", "Жаңа әдістемелік бірлестік", "(Пәндік комиссия)"]),
        ("ru", ["Методическая структура", "Новое методическое объединение", "(Предметная комиссия)"]),
        ("en", ["Methodological structure", "New methodological association", "(Subject commission)"]),
    ],
)
async def test_structure_tree_in_three_languages(
    deputy: httpx.AsyncClient, pages_school: School, lang: str, words: list[str]
) -> None:
    response = await deputy.get(f"/organisations/{pages_school.org.id}/structure", params={"lang": lang})
    assert response.status_code == 200, response.text
    for word in words:
        assert word in response.text
    assert "Mathematics teachers" in response.text  # the association, linked
    assert f"/organisations/{pages_school.org.id}/associations/{pages_school.association_id}" in response.text


async def test_create_association_from_the_tree(deputy: httpx.AsyncClient, pages_school: School) -> None:
    base = f"/organisations/{pages_school.org.id}"
    tree = await deputy.get(f"{base}/structure", params={"lang": "en"})
    assert f'href="{base}/associations/new"' in tree.text  # the form is a page of its own (web.bodies)
    refused = await deputy.post(
        f"{base}/associations", data={"name": "", "kind": "class_teachers"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422
    assert 'id="association-panel"' in refused.text and 'id="name-error"' in refused.text
    created = await deputy.post(
        f"{base}/associations", data={"name": "Primary grades teachers", "kind": "primary_grades"}
    )
    assert created.status_code == 303
    page = await deputy.get(created.headers["location"], params={"lang": "en"})
    assert page.status_code == 200
    assert "Primary grades teachers" in page.text and "No leader in office" in page.text
    assert "No work plan for this school year yet" in page.text


async def test_meeting_page_attendance_and_decision(deputy: httpx.AsyncClient, pages_school: School) -> None:
    base = f"/organisations/{pages_school.org.id}"
    created = await deputy.post(
        f"{base}/bodies/association/{pages_school.association_id}/meetings",
        data={"starts_at": STARTS.strftime("%Y-%m-%dT%H:%M"), "place": "Room 5", "agenda": "Results\nOpen lessons"},
    )
    assert created.status_code == 303, created.text
    meeting_path = created.headers["location"]
    meeting_id = meeting_path.rsplit("/", 1)[1]
    page = await deputy.get(meeting_path, params={"lang": "en"})
    assert page.status_code == 200
    quorum_line = re.search(r"<p id=\"quorum\"[^>]*>(.*?)</p>", page.text, re.S)
    assert page.text.count('id="agenda-item-') == 2 and quorum_line, page.text
    assert "No quorum yet: 0 of 5" in " ".join(quorum_line.group(1).split()), quorum_line.group(1)
    assert 'hx-confirm="Remove this item from the agenda?"' in page.text

    refused = await deputy.post(
        f"{base}/meetings/{meeting_id}/decisions", data={"text": "Hold a seminar"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<section id="decisions"') and "No quorum: 0 of 5" in refused.text

    present = [str(s) for s in pages_school.association_members[:3]]
    form: dict[str, Any] = {"staff_id": [str(s) for s in pages_school.association_members], "present": present}
    form[f"reason_{pages_school.association_members[4]}"] = "ill"
    saved = await deputy.post(f"{base}/meetings/{meeting_id}/attendance", data=form, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Quorum: 3 of 5 members present" in saved.text
    decided = await deputy.post(
        f"{base}/meetings/{meeting_id}/decisions", data={"text": "Hold a seminar"}, headers={"HX-Request": "true"}
    )
    assert decided.status_code == 200 and 'id="decision-1"' in decided.text
    minutes = await deputy.post(
        f"{base}/meetings/{meeting_id}/minutes", data={"minutes": "Heard: the leader."}, headers={"HX-Request": "true"}
    )
    assert minutes.status_code == 200 and "Heard: the leader." in minutes.text

    calendar = await deputy.get(f"{base}/calendar", params={"month": STARTS.strftime("%Y-%m"), "lang": "ru"})
    assert (
        calendar.status_code == 200
        and meeting_path in calendar.text
        and "Календарь заседаний и мероприятий" in calendar.text
    )
    empty = await deputy.get(f"{base}/calendar", params={"month": "2001-01", "lang": "en"})
    assert "Nothing planned this month" in empty.text


async def test_plan_on_the_association_page(deputy: httpx.AsyncClient, app: Any, db: Any, pages_school: School) -> None:
    """Cl. 29 on the page: a plan started, given an item, submitted, approved by the head only."""
    base = f"/organisations/{pages_school.org.id}/associations/{pages_school.association_id}"
    hx = {"HX-Request": "true"}
    started = await deputy.post(
        f"{base}/plans", data={"school_year": str(SCHOOL_YEAR), "basis": "Analysis of results"}, headers=hx
    )
    assert started.status_code == 200 and started.headers.get("hx-redirect")
    page = await deputy.get(base, params={"lang": "en"})
    plan_id = re.search(r"/plans/([0-9a-f-]{36})/items", page.text).group(1)  # type: ignore[union-attr]
    assert "The plan has no items yet" in page.text
    refused = await deputy.post(f"{base}/plans/{plan_id}/submit", headers=hx)
    assert refused.status_code == 422 and "add at least one" in refused.text and 'id="plan"' in refused.text
    added = await deputy.post(
        f"{base}/plans/{plan_id}/items",
        data={
            "title": "Open lessons week",
            "direction": "best_experience",
            "starts_on": TODAY.isoformat(),
            "responsible_ids": [str(pages_school.leader)],
        },
        headers=hx,
    )
    assert added.status_code == 200 and "Open lessons week" in added.text
    assert (await deputy.post(f"{base}/plans/{plan_id}/submit", headers=hx)).status_code == 200
    by_deputy = await deputy.post(f"{base}/plans/{plan_id}/approve", headers=hx)
    assert by_deputy.status_code == 403 and "cl. 29" in by_deputy.text
    head_user = await new_user(db, [Grant(Role.HEAD, organisation_id=pages_school.org.id)], name="Head")
    head = await browser(app, await session_cookie(app.api, db, head_user))
    try:
        approved = await head.post(f"{base}/plans/{plan_id}/approve", headers=hx)
        assert approved.status_code == 200
        page = await head.get(base, params={"lang": "ru"})
        # The head approves; the plan's keepers (here the deputy head) change it through a new version.
        assert "Утверждён" in page.text and "Изменить: создать новую версию" not in page.text
        page = await deputy.get(base, params={"lang": "ru"})
        assert "Утверждён" in page.text and "Изменить: создать новую версию" in page.text
    finally:
        await head.aclose()
