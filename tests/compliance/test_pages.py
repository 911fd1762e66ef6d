"""The organisation's own page "what to fix", as a browser without JavaScript and as HTMX sees it."""

from __future__ import annotations

from typing import Any

import pytest

from api.access import Grant
from api.domain.compliance.engine import recompute
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import School, furnished_school
from tests.work.test_pages import browser


@pytest.fixture(scope="module")
async def fix_school(app: Any, db: Any) -> School:
    school = await furnished_school(db, "What To Fix School")
    await recompute(db, school.org.id)
    return school


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Нені түзету керек", "Не істеу керек", "Оқу ісі жөніндегі басшы орынбасары тағайындалмаған."]),
        ("ru", ["Что исправить", "Что сделать", "Не назначен заместитель руководителя по учебной работе."]),
        ("en", ["What to fix", "What to do", "No deputy head for academic work is assigned."]),
    ],
)
async def test_the_head_sees_what_to_fix_linked_to_the_records(
    app: Any, db: Any, fix_school: School, lang: str, words: list[str]
) -> None:
    user = await new_user(db, [Grant(Role.HEAD, organisation_id=fix_school.org.id)], name="Head")
    client = await browser(app, await session_cookie(app.api, db, user))
    try:
        base = f"/organisations/{fix_school.org.id}"
        page = await client.get(f"{base}/what-to-fix", params={"lang": lang})
        assert page.status_code == 200, page.text
        for word in words:
            assert word in page.text
        # The header offers the page; each finding links to its record (cl. 29: the association's page).
        assert f'href="{base}/what-to-fix"' in page.text
        assert f'href="{base}/associations/{fix_school.second_association_id}"' in page.text
        assert f"/api/organisations/{fix_school.org.id}/associations/" in page.text
        # Filtered by clause with HTMX: only the panel, only that clause.
        panel = await client.get(
            f"{base}/what-to-fix", params={"clause": "32", "lang": lang}, headers={"HX-Request": "true"}
        )
        assert panel.status_code == 200 and 'id="findings-panel"' in panel.text and "<html" not in panel.text
        assert panel.text.count('class="finding"') == 0  # the furnished school has its council
        panel = await client.get(
            f"{base}/what-to-fix", params={"clause": "14", "lang": lang}, headers={"HX-Request": "true"}
        )
        assert panel.text.count('class="finding"') == 1
    finally:
        await client.aclose()


async def test_a_teacher_is_not_shown_the_page(app: Any, db: Any, fix_school: School) -> None:
    user = await new_user(db, [Grant(Role.TEACHER, organisation_id=fix_school.org.id)], name="Teacher")
    client = await browser(app, await session_cookie(app.api, db, user))
    try:
        structure = await client.get(f"/organisations/{fix_school.org.id}/structure")
        assert "/what-to-fix" not in structure.text
        refused = await client.get(f"/organisations/{fix_school.org.id}/what-to-fix")
        assert refused.status_code == 403
    finally:
        await client.aclose()
