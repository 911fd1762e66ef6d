"""The pages of councils, the pedagogical council, commissions and departments: one set of pages
for them all. Created, changed, given members and officers, archived with a confirmation that
works without JavaScript; refusals beside their fields; actions only for those who may take them."""

from __future__ import annotations

import datetime
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.roles import Role
from tests.bodies.helpers import BodiesSchool, bodies_school, browser
from tests.identity.access.principals import new_user, session_cookie
from tests.work.helpers import TODAY

HX = {"HX-Request": "true"}
IN_A_YEAR = (TODAY + datetime.timedelta(days=300)).isoformat()


@pytest.fixture(scope="module")
async def place(app: Any, db: Any) -> BodiesSchool:
    return await bodies_school(db, "Collegial Pages School")


async def signed_in(app: Any, db: Any, *grants: Grant) -> httpx.AsyncClient:
    user = await new_user(db, list(grants), name="Somebody")
    return await browser(app, await session_cookie(app.api, db, user))


@pytest.fixture
async def admin(app: Any, db: Any, place: BodiesSchool) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(app, db, Grant(Role.ORGANISATION_ADMIN, organisation_id=place.org.id))
    yield client
    await client.aclose()


@pytest.fixture
async def teacher(app: Any, db: Any, place: BodiesSchool) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(app, db, Grant(Role.TEACHER, organisation_id=place.org.id))
    yield client
    await client.aclose()


def created_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.search(r"/bodies/[a-z_]+/([0-9a-f-]{36})\?done=created$", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


async def test_the_structure_page_links_every_kind_of_body(admin: httpx.AsyncClient, place: BodiesSchool) -> None:
    page = await admin.get(f"/organisations/{place.org.id}/structure", params={"lang": "en"})
    assert page.status_code == 200, page.text
    for kind in ("council", "pedagogical_council", "commission", "department"):
        assert f'href="/organisations/{place.org.id}/bodies/{kind}"' in page.text
    assert f'href="/organisations/{place.org.id}/associations/new"' in page.text
    # The school's council from the set-up is linked to its page.
    assert f"/organisations/{place.org.id}/bodies/council/{place.school.council_id}" in page.text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Әдістемелік кеңестер", "Жаңа әдістемелік кеңес", "Кворум"]),
        ("ru", ["Методические советы", "Новый методический совет", "Кворум"]),
        ("en", ["Methodological councils", "New methodological council", "Quorum"]),
    ],
)
async def test_council_list_in_three_languages(
    admin: httpx.AsyncClient, place: BodiesSchool, lang: str, words: list[str]
) -> None:
    page = await admin.get(f"/organisations/{place.org.id}/bodies/council", params={"lang": lang})
    assert page.status_code == 200, page.text
    for word in words:
        assert word in page.text, word
    assert "Methodological council" in page.text  # the set-up's council, by its name


async def test_a_teacher_reads_and_is_offered_no_actions(teacher: httpx.AsyncClient, place: BodiesSchool) -> None:
    listing = await teacher.get(f"/organisations/{place.org.id}/bodies/council", params={"lang": "en"})
    assert listing.status_code == 200 and 'id="create-form"' not in listing.text
    commissions = await teacher.get(f"/organisations/{place.org.id}/bodies/commission", params={"lang": "en"})
    assert commissions.status_code == 200 and "New commission" not in commissions.text


async def test_a_unit_council_is_formed_given_members_officers_and_archived(
    admin: httpx.AsyncClient, place: BodiesSchool
) -> None:
    base = f"/organisations/{place.org.id}/bodies/council"
    # Bad input: no name. The refusal is beside the name field and nothing is lost.
    refused = await admin.post(
        base, data={"name": "", "unit_id": str(place.commission_unit), "quorum_rule": "two_thirds"}, headers=HX
    )
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<section id="create-form"')
    assert 'id="name-error"' in refused.text and 'value="two_thirds" selected' in refused.text
    # The organisation has its council: a second one for the whole organisation is refused, beside the unit.
    twice = await admin.post(
        base, data={"name": "Another council", "unit_id": "", "quorum_rule": "more_than_half"}, headers=HX
    )
    assert twice.status_code == 422 and 'id="unit_id-error"' in twice.text and 'value="Another council"' in twice.text

    council_id = created_id(
        await admin.post(
            base,
            data={
                "name": "Council of natural sciences",
                "unit_id": str(place.commission_unit),
                "quorum_rule": "more_than_half",
            },
        )
    )
    detail = f"{base}/{council_id}"
    page = await admin.get(detail, params={"done": "created", "lang": "en"})
    assert page.status_code == 200 and "Council of natural sciences" in page.text and "Natural sciences" in page.text
    assert "No members yet" in page.text

    # Cl. 14: council members are elected for a term; without one the refusal cites cl. 14 beside the field.
    teachers = [str(t) for t in place.school.teachers]
    no_term = await admin.post(
        f"{detail}/members", data={"staff_id": teachers[0], "ends_on": ""}, headers={**HX, "Accept-Language": "en"}
    )
    assert no_term.status_code == 422 and 'id="ends_on-error"' in no_term.text
    message = re.search(r'id="ends_on-error">(.*?)</p>', no_term.text)
    assert message and len(re.findall(r"\(cl\. 14\)", message.group(1))) == 1, no_term.text
    bad_date = await admin.post(
        f"{detail}/members", data={"staff_id": teachers[0], "ends_on": "31.12.2030"}, headers=HX
    )
    assert bad_date.status_code == 422 and 'id="ends_on-error"' in bad_date.text
    for staff_id in teachers[:3]:
        added = await admin.post(f"{detail}/members", data={"staff_id": staff_id, "ends_on": IN_A_YEAR})
        assert added.status_code == 303, added.text

    # The chair must be a member; the chair and the secretary two people.
    outsider = await admin.post(
        f"{detail}/edit",
        data={
            "name": "Council of natural sciences",
            "quorum_rule": "more_than_half",
            "chair_staff_id": teachers[6],
            "secretary_staff_id": "",
        },
        headers=HX,
    )
    assert outsider.status_code == 422 and 'id="chair_staff_id-error"' in outsider.text
    same = await admin.post(
        f"{detail}/edit",
        data={
            "name": "Council of natural sciences",
            "quorum_rule": "more_than_half",
            "chair_staff_id": teachers[0],
            "secretary_staff_id": teachers[0],
        },
        headers=HX,
    )
    assert same.status_code == 422 and 'id="secretary_staff_id-error"' in same.text
    saved = await admin.post(
        f"{detail}/edit",
        data={
            "name": "Council of sciences",
            "quorum_rule": "two_thirds",
            "chair_staff_id": teachers[0],
            "secretary_staff_id": teachers[1],
        },
    )
    assert saved.status_code == 303
    page = await admin.get(detail, params={"lang": "en"})
    assert "Council of sciences" in page.text
    assert re.search(r'id="chair-name">Teacher 01<', page.text) and re.search(
        r'id="secretary-name">Teacher 02<', page.text
    )

    # Ending a membership asks first without JavaScript; the chair's is refused until another chair is named.
    membership = re.findall(r'action="[^"]*/members/([0-9a-f-]{36})/end"', page.text)
    assert len(membership) == 3
    ask = await admin.post(f"{detail}/members/{membership[2]}/end", params={"lang": "en"})
    assert ask.status_code == 200 and 'name="confirmed" value="yes"' in ask.text and "End this membership?" in ask.text
    assert (
        len(re.findall(r'action="[^"]*/members/[0-9a-f-]{36}/end"', (await admin.get(detail)).text)) == 3
    )  # nothing ended by asking
    ended = await admin.post(f"{detail}/members/{membership[2]}/end", data={"confirmed": "yes"})
    assert ended.status_code == 303
    chair_row = re.search(r'id="membership-([0-9a-f-]{36})">\s*<td>Teacher 01<', (await admin.get(detail)).text)
    assert chair_row
    kept = await admin.post(f"{detail}/members/{chair_row.group(1)}/end", data={"confirmed": "yes"}, headers=HX)
    assert kept.status_code == 409 and "chair or the secretary" in kept.text
    page = await admin.get(detail, params={"lang": "en"})
    assert "Members (2)" in page.text and "Former members (1)" in page.text

    # Archiving asks first without JavaScript, then archives and lands on the list.
    ask = await admin.post(f"{detail}/archive", params={"lang": "en"})
    assert ask.status_code == 200 and "Archive this body?" in ask.text
    archived = await admin.post(f"{detail}/archive", data={"confirmed": "yes"})
    assert archived.status_code == 303 and archived.headers["location"].endswith("/bodies/council?done=archived")
    listing = await admin.get(f"{base}", params={"lang": "en"})
    assert "Council of sciences" not in listing.text
    assert "Council of sciences" in (await admin.get(base, params={"archived": "yes"})).text
    assert 'id="edit-form"' not in (await admin.get(detail)).text


async def test_commissions_departments_and_the_pedagogical_council(
    admin: httpx.AsyncClient, place: BodiesSchool
) -> None:
    org = f"/organisations/{place.org.id}/bodies"
    # A commission is the body of a commission unit (cl. 10): a department unit is refused beside the unit.
    wrong = await admin.post(
        f"{org}/commission",
        data={
            "name": "Sciences",
            "kind": "subject_commission",
            "unit_id": str(place.department_unit),
            "quorum_rule": "more_than_half",
        },
        headers=HX,
    )
    assert wrong.status_code == 422 and 'id="unit_id-error"' in wrong.text
    no_unit = await admin.post(
        f"{org}/commission",
        data={"name": "Sciences", "kind": "subject_commission", "unit_id": "", "quorum_rule": "more_than_half"},
        headers=HX,
    )
    assert no_unit.status_code == 422 and 'id="unit_id-error"' in no_unit.text
    commission = created_id(
        await admin.post(
            f"{org}/commission",
            data={
                "name": "Sciences commission",
                "kind": "subject_commission",
                "unit_id": str(place.commission_unit),
                "quorum_rule": "more_than_half",
            },
        )
    )
    department = created_id(
        await admin.post(
            f"{org}/department", data={"name": "Pedagogy", "unit_id": str(place.department_unit), "quorum_rule": "all"}
        )
    )
    commissions = await admin.get(f"{org}/commission", params={"lang": "ru"})
    assert (
        "Sciences commission" in commissions.text
        and "Pedagogy" not in commissions.text
        and "Предметная комиссия" in commissions.text
    )
    departments = await admin.get(f"{org}/department", params={"lang": "en"})
    assert "Pedagogy" in departments.text and "Sciences commission" not in departments.text
    # A department's page is not a commission's.
    assert (await admin.get(f"{org}/commission/{department}")).status_code == 404
    member = await admin.post(
        f"{org}/department/{department}/members", data={"staff_id": str(place.school.teachers[3])}
    )
    assert member.status_code == 303
    assert "Teacher 04" in (await admin.get(f"{org}/department/{department}")).text
    assert (await admin.get(f"{org}/commission/{commission}", params={"lang": "kk"})).status_code == 200

    pedagogical = await admin.get(f"{org}/pedagogical_council", params={"lang": "en"})
    assert "is not recorded yet" in pedagogical.text and 'value="two_thirds" selected' in pedagogical.text
    council = created_id(
        await admin.post(
            f"{org}/pedagogical_council", data={"name": "Pedagogical council", "quorum_rule": "two_thirds"}
        )
    )
    again = await admin.get(f"{org}/pedagogical_council", params={"lang": "en"})
    assert f"/bodies/pedagogical_council/{council}" in again.text and 'id="create-form"' not in again.text


async def test_unknown_kind_and_body_are_not_found(admin: httpx.AsyncClient, place: BodiesSchool) -> None:
    assert (await admin.get(f"/organisations/{place.org.id}/bodies/club")).status_code == 404
    assert (
        await admin.get(f"/organisations/{place.org.id}/bodies/council/{place.school.association_id}")
    ).status_code == 404
    old = await admin.get(f"/organisations/{place.org.id}/councils/{place.school.council_id}")
    assert old.status_code == 301 and old.headers["location"].endswith(f"/bodies/council/{place.school.council_id}")


async def test_an_association_is_kept_on_the_same_pages_with_its_leader(
    admin: httpx.AsyncClient, teacher: httpx.AsyncClient, place: BodiesSchool
) -> None:
    """The association's page links to where its members, leader (cl. 30) and archive are kept."""
    org = f"/organisations/{place.org.id}"
    association = await admin.get(f"{org}/associations/{place.school.second_association_id}", params={"lang": "en"})
    keep = f"{org}/bodies/association/{place.school.second_association_id}"
    assert f'href="{keep}"' in association.text
    listing = await admin.get(f"{org}/bodies/association", params={"lang": "en"})
    assert "Class teachers" in listing.text and f'href="{org}/associations/new"' in listing.text

    page = await admin.get(keep, params={"lang": "en"})
    assert 'id="leader-form"' in page.text and "chair_staff_id" not in page.text
    members = [str(t) for t in place.school.teachers[5:8]]  # the set-up's class teachers
    too_long = await admin.post(
        f"{keep}/leaders",
        data={
            "staff_id": members[0],
            "method": "elected",
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + datetime.timedelta(days=400)).isoformat(),
        },
        headers=HX,
    )
    assert too_long.status_code == 422
    message = re.search(r'id="ends_on-error">(.*?)</p>', too_long.text, re.S)
    assert message and len(re.findall(r"\(cl\. 30\)", message.group(1))) == 1, too_long.text
    outsider = await admin.post(
        f"{keep}/leaders",
        data={
            "staff_id": str(place.school.outsider),
            "method": "elected",
            "starts_on": TODAY.isoformat(),
            "ends_on": IN_A_YEAR,
        },
        headers=HX,
    )
    assert outsider.status_code == 422 and 'id="staff_id-error"' in outsider.text
    recorded = await admin.post(
        f"{keep}/leaders",
        data={"staff_id": members[0], "method": "elected", "starts_on": TODAY.isoformat(), "ends_on": IN_A_YEAR},
    )
    assert recorded.status_code == 303, recorded.text
    page = await admin.get(keep, params={"lang": "en"})
    assert re.search(r'id="leader-name">Teacher 06 —', page.text) and 'id="leader-form"' not in page.text
    assert (
        "<p>Teacher 06 — term"
        in (await admin.get(f"{org}/associations/{place.school.second_association_id}", params={"lang": "en"})).text
    )
    term = re.search(r'action="[^"]*/leaders/([0-9a-f-]{36})/end"', page.text)
    assert term
    ask = await admin.post(f"{keep}/leaders/{term.group(1)}/end", params={"lang": "en"})
    assert ask.status_code == 200 and "term today? Elect or appoint" in ask.text
    assert (await admin.post(f"{keep}/leaders/{term.group(1)}/end", data={"confirmed": "yes"})).status_code == 303
    assert 'id="leader-form"' in (await admin.get(keep)).text

    renamed = await admin.post(
        f"{keep}/edit", data={"name": "Class teachers of grades 5-11", "quorum_rule": "two_thirds"}
    )
    assert renamed.status_code == 303
    read = await teacher.get(keep, params={"lang": "en"})  # a teacher who is not a member does not see it
    assert read.status_code == 404
    assert "Class teachers of grades 5-11" in (await admin.get(keep)).text
