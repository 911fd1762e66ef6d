"""Create forms show their errors next to the fields they are about, all of the form's own checks
at once, and keep what was typed: the organisation's registration, an association, a meeting
(the plan item's form: tests/work/test_plan_items_pages.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import School, furnished_school
from tests.work.test_pages import browser


@pytest.fixture(scope="module")
async def errors_school(app: Any, db: Any) -> School:
    return await furnished_school(db, "Form Errors School")


@pytest.fixture
async def admin(app: Any, db: Any, errors_school: School) -> AsyncIterator[httpx.AsyncClient]:
    from sqlalchemy import select

    from api.domain.territories.models import Territory

    async with db.session() as session:
        republic = await session.scalar(select(Territory.id).where(Territory.slug == "kz"))
    user = await new_user(db, [Grant(Role.NATIONAL_ADMIN, territory_id=republic)], name="Form Errors Admin")

    client = await browser(app, await session_cookie(app.api, db, user))
    yield client
    await client.aclose()


async def test_the_registration_form_shows_every_missing_field_at_once(admin: httpx.AsyncClient) -> None:
    sent = {"kind": "", "territory_id": "", "bin": "12 34", "name_kk": "", "name_ru": "Школа", "name_en": ""}
    for headers in ({}, {"HX-Request": "true"}):
        refused = await admin.post("/organisations", data=sent, headers=headers, params={"lang": "en"})
        assert refused.status_code == 422
        shown = dict(re.findall(r'<p class="field-error" id="([a-z_]+)-error">(.*?)</p>', refused.text))
        assert set(shown) == {"kind", "territory_id", "bin", "name_kk"}, shown
        assert "correct the marked fields" in refused.text
        assert 'value="Школа"' in refused.text and 'value="12 34"' in refused.text


async def test_a_refused_meeting_form_comes_back_with_the_error_at_its_field(
    admin: httpx.AsyncClient, errors_school: School
) -> None:
    path = f"/organisations/{errors_school.org.id}/bodies/association/{errors_school.association_id}/meetings"
    sent = {"starts_at": "", "place": "Room 7", "title": "Without a time", "agenda": "First\nSecond"}
    fragment = await admin.post(path, data=sent, headers={"HX-Request": "true"}, params={"lang": "en"})
    assert fragment.status_code == 422
    assert fragment.text.lstrip().startswith('<form method="post"') and 'id="meeting-form"' in fragment.text
    assert 'id="meeting-starts_at-error"' in fragment.text
    assert (
        fragment.text.index('id="meeting-starts_at"')
        < fragment.text.index('id="meeting-starts_at-error"')
        < fragment.text.index('id="meeting-place"')
    )
    assert 'value="Room 7"' in fragment.text and "First\nSecond</textarea>" in fragment.text
    # Without JavaScript: a page of its own with the same form.
    whole = await admin.post(path, data=sent, params={"lang": "en"})
    assert whole.status_code == 422 and "<html" in whole.text and 'id="meeting-starts_at-error"' in whole.text
