"""A plan's items changed in the page (web/plans/items.py): an item added without its responsible
people no longer leaves the plan stuck in draft — it is edited in place and the plan submitted;
an item is removed after a confirmation that works without JavaScript; only the plan's keepers
are offered either, and only while it is a draft."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import SCHOOL_YEAR, TODAY, School, furnished_school
from tests.work.test_pages import browser

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
async def items_school(app: Any, db: Any) -> School:
    return await furnished_school(db, "Plan Items School")


@pytest.fixture
async def deputy(app: Any, db: Any, items_school: School) -> AsyncIterator[httpx.AsyncClient]:
    user = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=items_school.org.id)], name="Items Deputy")
    client = await browser(app, await session_cookie(app.api, db, user))
    yield client
    await client.aclose()


@pytest.fixture
async def teacher(app: Any, db: Any, items_school: School) -> AsyncIterator[httpx.AsyncClient]:
    # A member of the association: reads its plan, keeps nothing.
    user = await new_user(db, [Grant(Role.TEACHER, organisation_id=items_school.org.id)], name="Teacher 02")
    from api.domain.structure.models import Staff

    async with db.tenant_context(items_school.schema) as session:
        staff = await session.get(Staff, items_school.teachers[1])
        staff.user_id = user
    client = await browser(app, await session_cookie(app.api, db, user))
    yield client
    await client.aclose()


async def _draft_with_an_item_nobody_answers_for(
    deputy: httpx.AsyncClient, school: School, association_id: Any
) -> tuple[str, str]:
    base = f"/organisations/{school.org.id}/associations/{association_id}"
    started = await deputy.post(
        f"{base}/plans", data={"school_year": str(SCHOOL_YEAR), "basis": "Analysis"}, headers=HX
    )
    assert started.status_code == 200, started.text
    page = await deputy.get(base, params={"lang": "en"})
    plan_id = re.search(r"/plans/([0-9a-f-]{36})/items", page.text).group(1)  # type: ignore[union-attr]
    # Through the API, as before the page asked for them: an item with nobody responsible.
    api = f"/api/organisations/{school.org.id}/plans/{plan_id}/items"
    added = await deputy.post(
        api, json={"title": "Olympiad training", "direction": "methodological_forms", "starts_on": TODAY.isoformat()}
    )
    assert added.status_code == 201, added.text
    return base, plan_id


async def test_an_item_without_its_responsible_is_edited_in_place_and_the_plan_submitted(
    deputy: httpx.AsyncClient, items_school: School
) -> None:
    base, plan_id = await _draft_with_an_item_nobody_answers_for(deputy, items_school, items_school.association_id)
    stuck = await deputy.post(f"{base}/plans/{plan_id}/submit", headers=HX)
    assert stuck.status_code == 422 and "Name the responsible people of items 1." in stuck.text
    # The way out is on the same panel: the item's Edit.
    assert 'id="edit-item-1"' in stuck.text and "nobody named" in stuck.text
    item_id = re.search(rf"/plans/{plan_id}/items/([0-9a-f-]{{36}})/edit", stuck.text).group(1)  # type: ignore[union-attr]
    form = await deputy.get(f"{base}/plans/{plan_id}/items/{item_id}/edit", headers=HX)
    assert form.status_code == 200 and 'id="edit-item-form"' in form.text and 'value="Olympiad training"' in form.text
    assert "<html" not in form.text  # only the panel, swapped in place
    # A bad change loses nothing and says what is wrong next to the field.
    bad = await deputy.post(
        f"{base}/plans/{plan_id}/items/{item_id}",
        data={
            "title": "Olympiad training, renamed",
            "direction": "methodological_forms",
            "starts_on": TODAY.isoformat(),
            "ends_on": "2001-01-01",
        },
        headers=HX,
    )
    assert bad.status_code == 422
    assert 'id="edit-ends_on-error"' in bad.text and 'id="edit-responsible_ids-error"' in bad.text
    assert 'value="Olympiad training, renamed"' in bad.text
    saved = await deputy.post(
        f"{base}/plans/{plan_id}/items/{item_id}",
        data={
            "title": "Olympiad training",
            "direction": "methodological_forms",
            "starts_on": TODAY.isoformat(),
            "responsible_ids": [str(items_school.leader)],
        },
        headers=HX,
    )
    assert saved.status_code == 200, saved.text
    assert (
        "The item has been changed." in saved.text and "Teacher 01" in saved.text and "nobody named" not in saved.text
    )
    submitted = await deputy.post(f"{base}/plans/{plan_id}/submit", headers=HX)
    assert submitted.status_code == 200, submitted.text
    # Submitted: nothing more to edit, for anyone, until it comes back.
    page = await deputy.get(base, params={"lang": "en"})
    assert 'id="edit-item-1"' not in page.text and 'id="remove-item-1"' not in page.text
    refused = await deputy.post(
        f"{base}/plans/{plan_id}/items/{item_id}",
        data={
            "title": "Late change",
            "direction": "methodological_forms",
            "starts_on": TODAY.isoformat(),
            "responsible_ids": [str(items_school.leader)],
        },
        headers=HX,
    )
    assert refused.status_code == 409 and "return it to draft" in refused.text


async def test_edit_and_remove_work_without_javascript(deputy: httpx.AsyncClient, items_school: School) -> None:
    base, plan_id = await _draft_with_an_item_nobody_answers_for(
        deputy, items_school, items_school.second_association_id
    )
    page = await deputy.get(base, params={"lang": "en"})
    edit_href = re.search(r'href="([^"]+/edit)#plan"', page.text).group(1)  # type: ignore[union-attr]
    item_id = edit_href.rsplit("/", 2)[-2]
    whole = await deputy.get(edit_href, params={"lang": "en"})
    assert whole.status_code == 200 and "<html" in whole.text and 'id="edit-item-form"' in whole.text
    saved = await deputy.post(
        f"{base}/plans/{plan_id}/items/{item_id}",
        data={
            "title": "Olympiad training",
            "direction": "methodological_forms",
            "starts_on": TODAY.isoformat(),
            "responsible_ids": [str(items_school.teachers[5])],
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("#plan")
    # Remove: without JavaScript a page asks first, and nothing is removed until it is confirmed.
    asked = await deputy.post(f"{base}/plans/{plan_id}/items/{item_id}/remove", params={"lang": "en"})
    assert (
        asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.text and "Olympiad training" in asked.text
    )
    assert "Olympiad training" in (await deputy.get(base)).text
    removed = await deputy.post(f"{base}/plans/{plan_id}/items/{item_id}/remove", data={"confirmed": "yes"})
    assert removed.status_code == 303
    page = await deputy.get(base, params={"lang": "en"})
    assert "Olympiad training" not in page.text and "The plan has no items yet" in page.text


async def test_the_add_form_shows_all_its_errors_at_once_next_to_their_fields(
    deputy: httpx.AsyncClient, items_school: School
) -> None:
    made = await deputy.post(
        f"/api/organisations/{items_school.org.id}/associations",
        json={"name": "Errors at once", "kind": "class_teachers"},
    )
    assert made.status_code == 201, made.text
    base = f"/organisations/{items_school.org.id}/associations/{made.json()['id']}"
    assert (await deputy.post(f"{base}/plans", data={"school_year": str(SCHOOL_YEAR)}, headers=HX)).status_code == 200
    page = await deputy.get(base, params={"lang": "en"})
    plan_id = re.search(r"/plans/([0-9a-f-]{36})/items", page.text).group(1)  # type: ignore[union-attr]
    sent = {"title": "", "direction": "best_experience", "starts_on": "", "ends_on": "soon"}
    refused = await deputy.post(f"{base}/plans/{plan_id}/items", data=sent, headers=HX, params={"lang": "en"})
    assert refused.status_code == 422
    # Every error of the form at once, each right after its own field and tied to it.
    for field in ("title", "starts_on", "ends_on", "responsible_ids"):
        assert f'id="add-{field}-error"' in refused.text, field
        assert f'aria-describedby="add-{field}-error"' in refused.text, field
    assert (
        refused.text.index('id="add-title"')
        < refused.text.index('id="add-title-error"')
        < refused.text.index('id="add-direction"')
    )
    assert 'value="best_experience" selected' in refused.text  # what was chosen is kept
    assert "The plan has no items yet" in refused.text


async def test_only_the_keepers_are_offered_changes(
    teacher: httpx.AsyncClient, deputy: httpx.AsyncClient, items_school: School
) -> None:
    base = f"/organisations/{items_school.org.id}/associations/{items_school.second_association_id}"
    as_deputy = await deputy.get(base, params={"lang": "en"})
    assert as_deputy.status_code == 200
    as_teacher = await teacher.get(
        f"/organisations/{items_school.org.id}/associations/{items_school.association_id}", params={"lang": "en"}
    )
    assert as_teacher.status_code == 200, as_teacher.text
    assert "Work plan" in as_teacher.text
    assert 'id="add-item-form"' not in as_teacher.text and "/edit#plan" not in as_teacher.text
    assert "Submit for approval" not in as_teacher.text and "Change: make a new version" not in as_teacher.text
