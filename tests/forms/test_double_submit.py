"""A create request sent twice makes one record (api/idempotency.py, web/forms.py).

Two identical requests sent at once — a double click, a retry — with the same Idempotency-Key: the
second waits for the first, makes nothing, and answers the first one's body again (200,
`Idempotent-Replayed: true`). The pages send the form's one-shot key, so a form sent twice leads
twice to the one record made."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.access import Grant
from api.domain.bodies.models import Association
from api.domain.documents.models import Document
from api.domain.meetings.models import Meeting
from api.domain.plans.models import WorkPlan
from api.domain.structure.models import Staff, Subject
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import KZ, SCHOOL_YEAR, School, furnished_school
from tests.work.test_pages import browser


@pytest.fixture(scope="module")
async def twice_school(app: Any, db: Any) -> School:
    return await furnished_school(db, "Twice School")


async def _count(db: Any, school: School, model: Any, *where: Any) -> int:
    async with db.tenant_session(school.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _twice(client: httpx.AsyncClient, path: str, payload: dict[str, Any], key: str) -> list[httpx.Response]:
    """The same request twice at once, as a double click sends it."""
    headers = {"Idempotency-Key": key}
    return list(await asyncio.gather(*(client.post(path, json=payload, headers=headers) for _ in range(2))))


def _cases(school: School) -> dict[str, tuple[str, Callable[[str], dict[str, Any]], Any, Callable[[str], Any]]]:
    """What each create route is sent, the model it writes and how its record is found again."""
    starts = (datetime.datetime.now(KZ) + datetime.timedelta(days=2)).replace(microsecond=0).isoformat()
    return {
        "associations": ("/associations", lambda tag: {"name": f"Twice {tag}", "kind": "class_teachers"},
                         Association, lambda tag: Association.name == f"Twice {tag}"),
        "subjects": ("/subjects", lambda tag: {"code": f"tw{tag[:6]}", "name_kk": f"Пән {tag}", "name_ru": f"Предмет {tag}"},
                     Subject, lambda tag: Subject.code == f"tw{tag[:6]}"),
        "staff": ("/staff", lambda tag: {"full_name": f"Twice Teacher {tag}", "positions": ["teacher"]},
                  Staff, lambda tag: Staff.full_name == f"Twice Teacher {tag}"),
        "documents": ("/documents", lambda tag: {"kind": "other", "title": f"Twice {tag}", "author_staff_ids": [str(school.teachers[1])]},
                      Document, lambda tag: Document.title == f"Twice {tag}"),
        "meetings": ("/meetings", lambda tag: {"body_kind": "association", "body_id": str(school.association_id),
                                               "starts_at": starts, "title": f"Twice {tag}"},
                     Meeting, lambda tag: Meeting.title == f"Twice {tag}"),
        "plans": ("/plans", lambda tag: {"association_id": str(school.second_association_id), "school_year": SCHOOL_YEAR,
                                         "title": f"Twice {tag}"},
                  WorkPlan, lambda tag: WorkPlan.title == f"Twice {tag}"),
    }


@pytest.mark.parametrize("what", ["associations", "subjects", "staff", "documents", "meetings", "plans"])
async def test_two_identical_api_requests_at_once_make_one_record(
    client: httpx.AsyncClient, db: Any, twice_school: School, what: str
) -> None:
    path, payload, model, found = _cases(twice_school)[what]
    tag = uuid.uuid4().hex[:8]
    base = f"/api/organisations/{twice_school.org.id}"
    first, second = sorted(await _twice(client, base + path, payload(tag), f"key-{tag}"),
                           key=lambda r: r.headers.get("idempotent-replayed", ""))
    assert first.status_code == 201, first.text
    assert first.headers["idempotent-replayed"] == "false"
    # The second answer says plainly what happened: the first one's record, given again.
    assert second.status_code == 200, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert await _count(db, twice_school, model, found(tag)) == 1


async def test_a_key_reused_for_another_request_is_refused(client: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    base = f"/api/organisations/{twice_school.org.id}"
    key = f"key-{uuid.uuid4().hex}"
    made = await client.post(f"{base}/associations", json={"name": "Reused key A", "kind": "class_teachers"},
                             headers={"Idempotency-Key": key})
    assert made.status_code == 201, made.text
    other = await client.post(f"{base}/associations", json={"name": "Reused key B", "kind": "class_teachers"},
                              headers={"Idempotency-Key": key})
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"
    assert await _count(db, twice_school, Association, Association.name == "Reused key B") == 0
    bad = await client.post(f"{base}/associations", json={"name": "Bad key", "kind": "class_teachers"},
                            headers={"Idempotency-Key": "a key with spaces"})
    assert bad.status_code == 400 and bad.json()["field"] == "Idempotency-Key"


async def test_a_refused_request_keeps_no_key(client: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    """A refusal rolls its claim back with everything else: corrected, the same form goes through."""
    base = f"/api/organisations/{twice_school.org.id}"
    key = f"key-{uuid.uuid4().hex}"
    refused = await client.post(f"{base}/associations", json={"name": "Refused once", "kind": "subject"},
                                headers={"Idempotency-Key": key})
    assert refused.status_code == 422, refused.text
    again = await client.post(f"{base}/associations", json={"name": "Refused once", "kind": "subject"},
                              headers={"Idempotency-Key": key})
    assert again.status_code == 422
    assert again.headers.get("idempotent-replayed") != "true"


async def test_without_a_key_each_request_is_its_own(client: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    base = f"/api/organisations/{twice_school.org.id}"
    for _ in range(2):
        made = await client.post(f"{base}/associations", json={"name": "No key twice", "kind": "class_teachers"})
        assert made.status_code == 201
    assert await _count(db, twice_school, Association, Association.name == "No key twice") == 2


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
async def deputy(app: Any, db: Any, twice_school: School) -> AsyncIterator[httpx.AsyncClient]:
    user = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=twice_school.org.id)], name="Twice Deputy")
    client = await browser(app, await session_cookie(app.api, db, user))
    yield client
    await client.aclose()


def _once(page: str) -> str:
    import re

    found = re.search(r'name="_once" value="([0-9a-f]{32})"', page)
    assert found, "the form carries no one-shot key"
    return found.group(1)


async def test_an_association_form_sent_twice_at_once_makes_one(deputy: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    base = f"/organisations/{twice_school.org.id}"
    form = await deputy.get(f"{base}/structure")
    assert 'hx-disabled-elt="find button"' in form.text
    data = {"name": "Form twice", "kind": "class_teachers", "_once": _once(form.text)}
    answers = await asyncio.gather(*(deputy.post(f"{base}/structure/associations", data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303]
    # Both lead to the one association made.
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert await _count(db, twice_school, Association, Association.name == "Form twice") == 1
    # A form rendered again has a key of its own: the next association is made.
    data = {"name": "Form twice", "kind": "class_teachers", "_once": _once((await deputy.get(f"{base}/structure")).text)}
    assert (await deputy.post(f"{base}/structure/associations", data=data)).status_code == 303
    assert await _count(db, twice_school, Association, Association.name == "Form twice") == 2


async def test_a_meeting_form_sent_twice_at_once_makes_one(deputy: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    base = f"/organisations/{twice_school.org.id}"
    page = await deputy.get(f"{base}/associations/{twice_school.association_id}")
    starts = (datetime.datetime.now(KZ) + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    data = {"starts_at": starts, "title": "Meeting twice", "agenda": "One\nTwo", "_once": _once(page.text)}
    path = f"{base}/bodies/association/{twice_school.association_id}/meetings"
    answers = await asyncio.gather(*(deputy.post(path, data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert await _count(db, twice_school, Meeting, Meeting.title == "Meeting twice") == 1


async def test_an_answer_with_a_secret_is_never_kept_and_its_repeat_is_refused(
    app: Any, db: Any, twice_school: School
) -> None:
    """An API token's secret is in its first answer only: the repeat makes no second token and is
    answered 409, and no row keeps the secret (an invitation link is treated the same way)."""
    from api.idempotency import IdempotencyRecord
    from api.identity.tokens import ApiToken

    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=twice_school.org.id)], name="Twice Admin")
    person = await browser(app, await session_cookie(app.api, db, admin))
    try:
        expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)).isoformat()
        body = {"name": f"Twice system {uuid.uuid4().hex[:6]}", "role": "teacher", "expires_at": expires,
                "organisation_id": str(twice_school.org.id)}
        answers = await _twice(person, "/api/tokens", body, f"key-{uuid.uuid4().hex}")
        made = [a for a in answers if a.status_code == 201]
        again = [a for a in answers if a.status_code != 201]
        assert len(made) == 1 and made[0].json()["secret"], [a.text for a in answers]
        assert again[0].status_code == 409 and again[0].json()["field"] == "Idempotency-Key"
        assert "shown only once" in again[0].json()["message"]
        async with db.session() as session:
            tokens = await session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.name == body["name"]))
            kept = (await session.scalars(select(IdempotencyRecord.body).where(IdempotencyRecord.caller == f"user:{admin}"))).all()
        assert tokens == 1
        assert kept == [None]
    finally:
        await person.aclose()


async def test_a_document_form_sent_twice_at_once_makes_one(app: Any, db: Any, twice_school: School) -> None:
    # A teacher on the staff: the form names her as the author.
    teacher = await new_user(db, [Grant(Role.TEACHER, organisation_id=twice_school.org.id)], name="Twice Teacher")
    async with db.tenant_context(twice_school.schema) as session:
        (await session.get(Staff, twice_school.teachers[6])).user_id = teacher  # type: ignore[union-attr]
    person = await browser(app, await session_cookie(app.api, db, teacher))
    try:
        base = f"/organisations/{twice_school.org.id}"
        form = await person.get(f"{base}/documents")
        assert f'<option value="{twice_school.teachers[6]}" selected>' in form.text
        data = {"kind": "other", "title": "Document twice", "author_staff_ids": [str(twice_school.teachers[6])],
                "_once": _once(form.text)}
        answers = await asyncio.gather(*(person.post(f"{base}/documents", data=data) for _ in range(2)))
        assert [a.status_code for a in answers] == [303, 303]
        assert answers[0].headers["location"] == answers[1].headers["location"]
        assert await _count(db, twice_school, Document, Document.title == "Document twice") == 1
    finally:
        await person.aclose()


async def test_a_plan_form_sent_twice_at_once_makes_one(deputy: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    made = await deputy.post(f"/api/organisations/{twice_school.org.id}/associations",
                             json={"name": "Plan twice", "kind": "class_teachers"})
    assert made.status_code == 201, made.text
    association_id = made.json()["id"]
    base = f"/organisations/{twice_school.org.id}/associations/{association_id}"
    page = await deputy.get(base)
    data = {"school_year": str(SCHOOL_YEAR), "basis": "Twice sent", "_once": _once(page.text)}
    answers = await asyncio.gather(*(deputy.post(f"{base}/plans", data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303], [a.text for a in answers]
    assert await _count(db, twice_school, WorkPlan, WorkPlan.association_id == association_id) == 1
