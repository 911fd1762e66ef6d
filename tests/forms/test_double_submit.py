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
from tests.work.helpers import KZ, SCHOOL_YEAR, TODAY, School, furnished_school
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
        "associations": (
            "/associations",
            lambda tag: {"name": f"Twice {tag}", "kind": "class_teachers"},
            Association,
            lambda tag: Association.name == f"Twice {tag}",
        ),
        "subjects": (
            "/subjects",
            lambda tag: {"code": f"tw{tag[:6]}", "name_kk": f"Пән {tag}", "name_ru": f"Предмет {tag}"},
            Subject,
            lambda tag: Subject.code == f"tw{tag[:6]}",
        ),
        "staff": (
            "/staff",
            lambda tag: {"full_name": f"Twice Teacher {tag}", "positions": ["teacher"]},
            Staff,
            lambda tag: Staff.full_name == f"Twice Teacher {tag}",
        ),
        "documents": (
            "/documents",
            lambda tag: {"kind": "other", "title": f"Twice {tag}", "author_staff_ids": [str(school.teachers[1])]},
            Document,
            lambda tag: Document.title == f"Twice {tag}",
        ),
        "meetings": (
            "/meetings",
            lambda tag: {
                "body_kind": "association",
                "body_id": str(school.association_id),
                "starts_at": starts,
                "title": f"Twice {tag}",
            },
            Meeting,
            lambda tag: Meeting.title == f"Twice {tag}",
        ),
        "plans": (
            "/plans",
            lambda tag: {
                "association_id": str(school.second_association_id),
                "school_year": SCHOOL_YEAR,
                "title": f"Twice {tag}",
            },
            WorkPlan,
            lambda tag: WorkPlan.title == f"Twice {tag}",
        ),
    }


@pytest.mark.parametrize("what", ["associations", "subjects", "staff", "documents", "meetings", "plans"])
async def test_two_identical_api_requests_at_once_make_one_record(
    client: httpx.AsyncClient, db: Any, twice_school: School, what: str
) -> None:
    path, payload, model, found = _cases(twice_school)[what]
    tag = uuid.uuid4().hex[:8]
    base = f"/api/organisations/{twice_school.org.id}"
    first, second = sorted(
        await _twice(client, base + path, payload(tag), f"key-{tag}"),
        key=lambda r: r.headers.get("idempotent-replayed", ""),
    )
    assert first.status_code == 201, first.text
    assert first.headers["idempotent-replayed"] == "false"
    # The second answer says plainly what happened: the first one's record, given again.
    assert second.status_code == 200, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert await _count(db, twice_school, model, found(tag)) == 1


async def test_a_key_reused_for_another_request_is_refused(
    client: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    base = f"/api/organisations/{twice_school.org.id}"
    key = f"key-{uuid.uuid4().hex}"
    made = await client.post(
        f"{base}/associations",
        json={"name": "Reused key A", "kind": "class_teachers"},
        headers={"Idempotency-Key": key},
    )
    assert made.status_code == 201, made.text
    other = await client.post(
        f"{base}/associations",
        json={"name": "Reused key B", "kind": "class_teachers"},
        headers={"Idempotency-Key": key},
    )
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"
    assert await _count(db, twice_school, Association, Association.name == "Reused key B") == 0
    bad = await client.post(
        f"{base}/associations",
        json={"name": "Bad key", "kind": "class_teachers"},
        headers={"Idempotency-Key": "a key with spaces"},
    )
    assert bad.status_code == 400 and bad.json()["field"] == "Idempotency-Key"


async def test_a_refused_request_keeps_no_key(client: httpx.AsyncClient, db: Any, twice_school: School) -> None:
    """A refusal rolls its claim back with everything else: corrected, the same form goes through."""
    base = f"/api/organisations/{twice_school.org.id}"
    key = f"key-{uuid.uuid4().hex}"
    refused = await client.post(
        f"{base}/associations", json={"name": "Refused once", "kind": "subject"}, headers={"Idempotency-Key": key}
    )
    assert refused.status_code == 422, refused.text
    again = await client.post(
        f"{base}/associations", json={"name": "Refused once", "kind": "subject"}, headers={"Idempotency-Key": key}
    )
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


async def test_an_association_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    # Formed on a page of its own since the bodies' pages (bodies/association_new.html).
    base = f"/organisations/{twice_school.org.id}/associations"
    form = await deputy.get(f"{base}/new")
    assert 'hx-disabled-elt="find button"' in form.text
    data = {"name": "Form twice", "kind": "class_teachers", "_once": _once(form.text)}
    answers = await asyncio.gather(*(deputy.post(base, data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303]
    # Both lead to the one association made.
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert await _count(db, twice_school, Association, Association.name == "Form twice") == 1
    # A form rendered again has a key of its own: the next association is made.
    data = {"name": "Form twice", "kind": "class_teachers", "_once": _once((await deputy.get(f"{base}/new")).text)}
    assert (await deputy.post(base, data=data)).status_code == 303
    assert await _count(db, twice_school, Association, Association.name == "Form twice") == 2


async def test_a_meeting_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
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

    admin = await new_user(
        db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=twice_school.org.id)], name="Twice Admin"
    )
    person = await browser(app, await session_cookie(app.api, db, admin))
    try:
        expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)).isoformat()
        body = {
            "name": f"Twice system {uuid.uuid4().hex[:6]}",
            "role": "teacher",
            "expires_at": expires,
            "organisation_id": str(twice_school.org.id),
        }
        answers = await _twice(person, "/api/tokens", body, f"key-{uuid.uuid4().hex}")
        made = [a for a in answers if a.status_code == 201]
        again = [a for a in answers if a.status_code != 201]
        assert len(made) == 1 and made[0].json()["secret"], [a.text for a in answers]
        assert again[0].status_code == 409 and again[0].json()["field"] == "Idempotency-Key"
        assert "shown only once" in again[0].json()["message"]
        async with db.session() as session:
            tokens = await session.scalar(
                select(func.count()).select_from(ApiToken).where(ApiToken.name == body["name"])
            )
            kept = (
                await session.scalars(select(IdempotencyRecord.body).where(IdempotencyRecord.caller == f"user:{admin}"))
            ).all()
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
        data = {
            "kind": "other",
            "title": "Document twice",
            "author_staff_ids": [str(twice_school.teachers[6])],
            "_once": _once(form.text),
        }
        answers = await asyncio.gather(*(person.post(f"{base}/documents", data=data) for _ in range(2)))
        assert [a.status_code for a in answers] == [303, 303]
        assert answers[0].headers["location"] == answers[1].headers["location"]
        assert await _count(db, twice_school, Document, Document.title == "Document twice") == 1
    finally:
        await person.aclose()


async def test_a_plan_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    made = await deputy.post(
        f"/api/organisations/{twice_school.org.id}/associations", json={"name": "Plan twice", "kind": "class_teachers"}
    )
    assert made.status_code == 201, made.text
    association_id = made.json()["id"]
    base = f"/organisations/{twice_school.org.id}/associations/{association_id}"
    page = await deputy.get(base)
    data = {"school_year": str(SCHOOL_YEAR), "basis": "Twice sent", "_once": _once(page.text)}
    answers = await asyncio.gather(*(deputy.post(f"{base}/plans", data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303], [a.text for a in answers]
    assert await _count(db, twice_school, WorkPlan, WorkPlan.association_id == association_id) == 1


# --- the set-up and bodies pages ------------------------------------------------------------------
#
# Each form that creates something there carries its one-shot key and disables its button while
# sent; two identical submissions of one rendered form make one record and lead to it twice.


def _create_form(page: str, marker: str) -> str:
    """The one-shot key of the form whose opening tag holds `marker`, checking that the form
    carries the key inside it and disables its button while it is sent."""
    import re

    opening = re.search(r"<form\b[^>]*" + re.escape(marker) + r"[^>]*>", page)
    assert opening, f"no form with {marker}"
    assert 'hx-disabled-elt="find button"' in opening.group(0), opening.group(0)
    body = page[opening.end() : page.index("</form>", opening.end())]
    return _once(body)


async def _sent_twice(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> str:
    """The same form sent twice at once: both answers lead to the same page, which is returned."""
    answers = await asyncio.gather(*(client.post(path, data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303], [a.text[:500] for a in answers]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    return str(answers[0].headers["location"])


async def test_a_staff_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    base = f"/organisations/{twice_school.org.id}/staff"
    form = await deputy.get(f"{base}/new")
    data = {
        "full_name": "Staff sent twice",
        "positions": "teacher",
        "_once": _create_form(form.text, f'action="{base}"'),
    }
    made = await _sent_twice(deputy, base, data)
    assert made.endswith("?done=created")
    assert await _count(db, twice_school, Staff, Staff.full_name == "Staff sent twice") == 1
    # The member's own page edits; its form carries no one-shot key.
    edit = await deputy.get(made)
    assert 'name="_once"' not in edit.text


async def test_a_subject_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    """Without a code or an English name the subject's code is made up; made from the form's key,
    it is the same both times, so the repeat is the same request and not a key reused."""
    base = f"/organisations/{twice_school.org.id}/subjects"
    form = await deputy.get(base)
    data = {
        "name_kk": "Екі рет",
        "name_ru": "Дважды отправленный",
        "_once": _create_form(form.text, 'id="subject-form"'),
    }
    await _sent_twice(deputy, base, data)
    assert await _count(db, twice_school, Subject, Subject.name_ru == "Дважды отправленный") == 1


async def test_a_unit_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    from api.domain.structure.models import Unit

    base = f"/organisations/{twice_school.org.id}/units"
    form = await deputy.get(base)
    data = {
        "name": "Unit sent twice",
        "kind": "um_office",
        "parent_id": "",
        "_once": _create_form(form.text, 'id="unit-form"'),
    }
    await _sent_twice(deputy, base, data)
    assert await _count(db, twice_school, Unit, Unit.name == "Unit sent twice") == 1


async def test_a_school_year_form_sent_twice_at_once_makes_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    from api.domain.structure.models import AcademicTerm

    base = f"/organisations/{twice_school.org.id}/academic-calendar"
    form = await deputy.get(base)
    year = SCHOOL_YEAR + 2  # the school has its own calendar for the years around this one
    data = {"school_year": str(year), "_once": _create_form(form.text, 'id="year-form"')}
    await _sent_twice(deputy, base, data)
    # One school year: its four quarters once.
    assert await _count(db, twice_school, AcademicTerm, AcademicTerm.school_year == year) == 4


async def test_a_council_and_its_member_sent_twice_at_once_make_one(
    deputy: httpx.AsyncClient, db: Any, twice_school: School
) -> None:
    from api.domain.bodies.models import BodyMembership, Council

    api = f"/api/organisations/{twice_school.org.id}"
    unit = await deputy.post(f"{api}/units", json={"name": "Council's unit", "kind": "subject_commission"})
    assert unit.status_code == 201, unit.text
    base = f"/organisations/{twice_school.org.id}/bodies/council"
    listing = await deputy.get(base)
    data = {
        "name": "Council sent twice",
        "unit_id": unit.json()["id"],
        "quorum_rule": "more_than_half",
        "_once": _create_form(listing.text, f'action="{base}"'),
    }
    made = await _sent_twice(deputy, base, data)
    assert await _count(db, twice_school, Council, Council.name == "Council sent twice") == 1

    detail = made.split("?")[0]
    page = await deputy.get(detail)
    ends = (TODAY + datetime.timedelta(days=300)).isoformat()
    member = {
        "staff_id": str(twice_school.teachers[0]),
        "ends_on": ends,
        "_once": _create_form(page.text, 'id="member-form"'),
    }
    assert (await _sent_twice(deputy, f"{detail}/members", member)).endswith("?done=member")
    council_id = detail.rsplit("/", 1)[1]
    assert await _count(db, twice_school, BodyMembership, BodyMembership.body_id == council_id) == 1


@pytest.fixture(scope="module")
async def republic_cabinet(app: Any, db: Any) -> Any:
    from api.domain.organisations.models import Organisation
    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.rules import OrgKind
    from api.domain.organisations.schemas import OrganisationCreate
    from api.domain.organisations.services import OrganisationService
    from api.domain.territories.services import TerritoryService
    from tests.support import fresh_bin

    async with db.session() as session, session.begin():
        republic = await TerritoryService(session).by_slug("kz")
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.CABINET_REPUBLIC,
                territory_id=republic.id,
                bin=fresh_bin(),
                name_kk="Екі рет кабинеті",
                name_ru="Кабинет дважды",
                name_en="Twice cabinet",
                levels=[],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        return await session.get(Organisation, org.id)


async def test_a_union_and_its_member_sent_twice_at_once_make_one(app: Any, db: Any, republic_cabinet: Any) -> None:
    from api.domain.bodies.models import SectorUnion, UnionMember

    user = await new_user(
        db, [Grant(Role.NATIONAL_ADMIN, territory_id=republic_cabinet.territory_id)], name="Twice National Admin"
    )
    person = await browser(app, await session_cookie(app.api, db, user))
    try:
        base = f"/organisations/{republic_cabinet.id}/unions"
        listing = await person.get(base)
        data = {
            "name": "Union sent twice",
            "sector": "Transport",
            "description": "",
            "_once": _create_form(listing.text, f'action="{base}"'),
        }
        made = await _sent_twice(person, base, data)

        async def count(model: Any, *where: Any) -> int:
            async with db.tenant_session(republic_cabinet.schema_name) as session:
                return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        assert await count(SectorUnion, SectorUnion.name == "Union sent twice") == 1
        detail = made.split("?")[0]
        page = await person.get(detail)
        member = {
            "member_kind": "employer",
            "full_name": "Member sent twice",
            "represents": "Railways",
            "email": "",
            "_once": _create_form(page.text, 'id="member-form"'),
        }
        assert (await _sent_twice(person, f"{detail}/members", member)).endswith("?done=member")
        assert await count(UnionMember, UnionMember.full_name == "Member sent twice") == 1
    finally:
        await person.aclose()


# Every form of the set-up and bodies pages that creates something, by its template and a mark of
# its opening tag; forms that edit, archive or end are not among them.
CREATE_FORMS = [
    ("setup/staff_form.html", 'hx-target="#staff-form"'),
    ("setup/subjects.html", 'id="subject-form"'),
    ("setup/units.html", 'id="unit-form"'),
    ("setup/calendar.html", 'id="year-form"'),
    ("bodies/list.html", 'action="/organisations/{{ org.id }}/bodies/{{ spec.body_kind }}"'),
    ("bodies/association_new.html", 'id="association-form"'),
    ("bodies/inter_school_list.html", 'id="inter-school-form"'),
    ("bodies/unions.html", 'action="/organisations/{{ org.id }}/unions"'),
    ("bodies/detail.html", 'id="leader-form"'),
    ("bodies/detail.html", 'id="member-form"'),
    ("bodies/inter_school.html", 'id="leader-form"'),
    ("bodies/inter_school.html", 'id="member-form"'),
    ("bodies/union.html", 'id="member-form"'),
]


@pytest.mark.parametrize(("template", "marker"), CREATE_FORMS)
def test_each_create_form_of_the_setup_and_bodies_pages_is_sent_once(template: str, marker: str) -> None:
    """The templates themselves, including the forms the page tests above do not open (an
    association's leader, an inter-school association's): the key inside the form, the button
    disabled while it is sent."""
    import re

    from web.templating import TEMPLATES_DIR

    source = (TEMPLATES_DIR / template).read_text()
    opening = [m for m in re.finditer(r"<form\b[^>]*>", source) if marker in m.group(0)]
    assert len(opening) == 1, f"{template}: {len(opening)} forms with {marker}"
    tag = opening[0]
    assert 'hx-disabled-elt="find button"' in tag.group(0), tag.group(0)
    body = source[tag.end() : source.index("</form>", tag.end())]
    assert "once_input()" in body, f"{template}: the form with {marker} carries no one-shot key"


# --- the identity and onboarding pages ------------------------------------------------------------

IDENTITY_CREATE_FORMS = [
    ("identity/invitations.html", 'id="invitation-form"'),
    ("identity/api_tokens.html", 'id="token-form"'),
    ("identity/domains.html", 'id="domain-form"'),
    ("identity/providers.html", 'id="provider-form"'),
    ("identity/welcome.html", 'id="access-request-form"'),
    ("identity/people.html", 'id="grant-form"'),
    ("onboarding/upload.html", 'id="import-form"'),
]


@pytest.mark.parametrize(("template", "marker"), IDENTITY_CREATE_FORMS)
def test_each_create_form_of_the_identity_and_onboarding_pages_is_sent_once(template: str, marker: str) -> None:
    test_each_create_form_of_the_setup_and_bodies_pages_is_sent_once(template, marker)


async def test_an_invitation_sent_twice_at_once_makes_one(app: Any, db: Any, twice_school: School) -> None:
    """Its link is answered once only: one sending shows it, the other says on the page (not an
    error page) that the invitation was already made, and there is one invitation."""
    from api.identity.models import Invitation

    admin = await new_user(
        db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=twice_school.org.id)], name="Twice Inviter"
    )
    person = await browser(app, await session_cookie(app.api, db, admin))
    try:
        base = f"/organisations/{twice_school.org.id}/invitations"
        page = await person.get(base)
        email = f"twice-{uuid.uuid4().hex[:8]}@example.kz"
        data = {"email": email, "role": "teacher", "_once": _create_form(page.text, 'id="invitation-form"')}
        answers = await asyncio.gather(*(person.post(base, data=data) for _ in range(2)))
        made = [a for a in answers if a.status_code == 200]
        again = [a for a in answers if a.status_code != 200]
        assert len(made) == 1 and 'id="invitation-link"' in made[0].text, [
            (a.status_code, a.text[:300]) for a in answers
        ]
        assert again[0].status_code == 409
        # The invitations page, its form fresh and the refusal above it (in the page's language).
        refused = again[0].text
        assert 'id="invitation-form"' in refused and 'role="alert"' in refused
        assert _create_form(refused, 'id="invitation-form"') != data["_once"]
        assert email in refused  # the invitation made, in the list
        assert 'id="invitation-link"' not in again[0].text
        async with db.session() as session:
            count = await session.scalar(select(func.count()).select_from(Invitation).where(Invitation.email == email))
        assert count == 1
    finally:
        await person.aclose()


async def test_an_api_token_form_sent_twice_at_once_shows_the_refusal_on_the_page(
    app: Any, db: Any, twice_school: School
) -> None:
    """The token's secret is answered once: one sending shows it, the other the tokens page with
    the API's refusal above a fresh form, and there is one token."""
    from api.identity.tokens import ApiToken

    admin = await new_user(
        db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=twice_school.org.id)], name="Twice Token Admin"
    )
    person = await browser(app, await session_cookie(app.api, db, admin))
    try:
        base = f"/organisations/{twice_school.org.id}/api-tokens"
        page = await person.get(base)
        name = f"Twice page system {uuid.uuid4().hex[:6]}"
        expires = (TODAY + datetime.timedelta(days=30)).isoformat()
        data = {
            "name": name,
            "role": "teacher",
            "unit_id": "",
            "expires_on": expires,
            "_once": _create_form(page.text, 'id="token-form"'),
        }
        answers = await asyncio.gather(*(person.post(base, data=data) for _ in range(2)))
        made = [a for a in answers if a.status_code == 201]
        again = [a for a in answers if a.status_code != 201]
        assert len(made) == 1 and 'id="token-secret"' in made[0].text, [(a.status_code, a.text[:300]) for a in answers]
        assert again[0].status_code == 409
        assert 'id="token-error"' in again[0].text and 'id="token-secret"' not in again[0].text
        assert _create_form(again[0].text, 'id="token-form"') != data["_once"]
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.name == name)) == 1
    finally:
        await person.aclose()
