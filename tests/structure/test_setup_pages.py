"""The set-up pages over HTTP (web app → API in process): staff, subjects, units, the academic
calendar; for an organisation admin who changes them and a teacher who only reads them, as a
browser without JavaScript and as HTMX sees them. Bad input shows every mistake at once, each
next to its field, and writes nothing; the API's refusals are shown at the field they name."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.access import Grant
from api.domain.organisations.rules import OrgKind
from api.identity.csrf import CSRF_COOKIE, CSRF_HEADER
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.structure.conftest import Place, Region, make_org

HX = {"HX-Request": "true"}


async def signed_in(app: Any, db: Any, *grants: Grant, name: str = "Set-up Tester") -> httpx.AsyncClient:
    """A browser with a person's session and the CSRF token, as the pages are used."""
    user = await new_user(db, list(grants), name=name)
    headers = await session_cookie(app.api, db, user)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    cookie, _, value = headers["cookie"].partition("=")
    client.cookies.set(cookie, value)
    await client.get("/territories")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    client.headers[CSRF_HEADER] = token
    return client


@pytest.fixture
async def admin(app: Any, db: Any, region: Region) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(
        app, db, Grant(Role.ORGANISATION_ADMIN, organisation_id=region.school.id), name="School Admin"
    )
    yield client
    await client.aclose()


@pytest.fixture
async def teacher(app: Any, db: Any, region: Region) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(app, db, Grant(Role.TEACHER, organisation_id=region.school.id), name="Reading Teacher")
    yield client
    await client.aclose()


def field_error(html: str, name: str) -> str:
    """The message shown at a form field (the `<p class="field-error" id="NAME-error">`)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error at {name}"
    return " ".join(found.group(1).split())


def web(place: Place) -> str:
    return f"/organisations/{place.id}"


async def api_total(client: httpx.AsyncClient, place: Place, what: str) -> int:
    return int((await client.get(f"{place.base}/{what}", params={"page_size": 1})).json()["total"])


# --- reaching them -----------------------------------------------------------------------------


async def test_the_organisation_page_leads_to_the_set_up_pages(
    admin: httpx.AsyncClient, teacher: httpx.AsyncClient, region: Region
) -> None:
    page = await admin.get(web(region.school), params={"lang": "ru"})
    assert page.status_code == 200
    assert "Настройка организации" in page.text
    for path in ("/staff", "/subjects", "/units", "/academic-calendar"):
        assert f'href="{web(region.school)}{path}"' in page.text
    read = await teacher.get(web(region.school), params={"lang": "en"})
    assert "How the organisation is set up" in read.text and "Set up the organisation" not in read.text
    assert f'href="{web(region.school)}/staff"' in read.text
    tree = await admin.get(f"{web(region.school)}/structure", params={"lang": "en"})
    assert (
        f'href="{web(region.school)}/units"' in tree.text
        and f'href="{web(region.school)}/academic-calendar"' in tree.text
    )


# --- staff -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Қызметкерлер", "Қызметкер қосу", "Аты бойынша іздеу"]),
        ("ru", ["Сотрудники", "Добавить сотрудника", "Поиск по имени"]),
        ("en", ["Staff", "Add a staff member", "Search by name"]),
    ],
)
async def test_staff_list_in_three_languages(
    admin: httpx.AsyncClient, region: Region, lang: str, words: list[str]
) -> None:
    page = await admin.get(f"{web(region.school)}/staff", params={"lang": lang})
    assert page.status_code == 200, page.text
    for word in words:
        assert word in page.text


async def test_staff_member_created_edited_archived(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, db: Any, region: Region
) -> None:
    school, base = region.school, f"{web(region.school)}/staff"
    subject = (
        await client.post(
            f"{school.base}/subjects",
            json={"code": f"p_{uuid.uuid4().hex[:6]}", "name_kk": "Астрономия", "name_ru": "Астрономия пед"},
        )
    ).json()
    unit = (
        await client.post(
            f"{school.base}/units", json={"name": f"МО естественных наук {uuid.uuid4().hex[:4]}", "kind": "association"}
        )
    ).json()
    account = await new_user(db, [Grant(Role.TEACHER, organisation_id=school.id)], name="Айгерим Account")
    before = await api_total(client, school, "staff")

    # Four mistakes at once, each at its field; nothing written, nothing typed lost.
    bad = await admin.post(
        base,
        data={
            "full_name": "  ",
            "email": "not-an-address",
            "supervised_subject_ids": subject["id"],
            "note": "keep me",
        },
        params={"lang": "en"},
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "full_name") == "Fill in this field."
    assert field_error(bad.text, "positions") == "Tick at least one position."
    assert "e-mail address" in field_error(bad.text, "email")
    assert "deputy head" in field_error(bad.text, "supervised_subject_ids")
    assert "keep me" in bad.text and 'value="not-an-address"' in bad.text
    assert await api_total(client, school, "staff") == before

    form = {
        "full_name": "Әсел Нұрланқызы",
        "positions": ["teacher", "class_teacher"],
        "unit_id": unit["id"],
        "subject_ids": subject["id"],
        "qualification_category": "moderator",
        "user_id": str(account),
        "email": "asel@school.kz",
    }
    created = await admin.post(base, data=form)
    assert created.status_code == 303, created.text
    member_path = created.headers["location"].split("?")[0]
    staff_id = member_path.rsplit("/", 1)[1]
    person = (await client.get(f"{school.base}/staff/{staff_id}")).json()
    assert (
        person["subject_ids"] == [subject["id"]]
        and person["unit_id"] == unit["id"]
        and person["user_id"] == str(account)
    )
    assert sorted(person["positions"]) == ["class_teacher", "teacher"]
    page = await admin.get(created.headers["location"] + "&lang=ru")
    assert "запись создана" in page.text and "Әсел Нұрланқызы" in page.text
    assert re.search(rf'<option value="{account}" selected>Айгерим Account</option>', page.text)

    # The API's refusal (one account, one staff record) is shown at the account field.
    taken = await admin.post(base, data={**form, "full_name": "Another Person"}, params={"lang": "en"})
    assert taken.status_code == 422 and "already linked" in field_error(taken.text, "user_id")

    await client.post(
        f"{school.base}/staff", json={"full_name": "Zhanna Second", "positions": ["methodist"], "unit_id": unit["id"]}
    )
    listed = await admin.get(base, params={"q": "Нұрланқызы", "lang": "en"})
    assert f'href="{base}/{staff_id}"' in listed.text and "Physics" not in listed.text and "Linked" in listed.text
    # The unit's two members, by name either way.
    names = re.findall(
        r'<td data-label="Full name"><a href="[^"]+">([^<]+)</a>',
        (await admin.get(base, params={"unit_id": unit["id"], "lang": "en"})).text,
    )
    backwards = re.findall(
        r'<td data-label="Full name"><a href="[^"]+">([^<]+)</a>',
        (await admin.get(base, params={"unit_id": unit["id"], "sort": "-name", "lang": "en"})).text,
    )
    assert len(names) == 2 and backwards == names[::-1]
    fragment = await admin.get(base, params={"q": "Нұрланқызы"}, headers=HX)
    assert fragment.text.lstrip().startswith('<section id="staff-results"')

    edited = await admin.post(
        f"{base}/{staff_id}", data={**form, "full_name": "Әсел Нұрланқызы Ахмет", "positions": "teacher"}, headers=HX
    )
    assert edited.status_code == 200 and edited.headers["hx-redirect"] == f"{base}/{staff_id}?done=saved"
    assert (await client.get(f"{school.base}/staff/{staff_id}")).json()["positions"] == ["teacher"]
    refused = await admin.post(f"{base}/{staff_id}", data={**form, "full_name": ""}, headers=HX, params={"lang": "en"})
    assert refused.status_code == 422 and refused.text.lstrip().startswith('<section id="staff-form"')
    assert field_error(refused.text, "full_name") == "Fill in this field."

    # Archiving asks first without JavaScript; with it, hx-confirm has asked and says so.
    asked = await admin.post(f"{base}/{staff_id}/archive", params={"lang": "en"})
    assert (
        asked.status_code == 200
        and 'name="confirmed" value="yes"' in asked.text
        and "Archive this staff member?" in asked.text
    )
    assert (await client.get(f"{school.base}/staff/{staff_id}")).json()["archived_at"] is None
    done = await admin.post(f"{base}/{staff_id}/archive", data={"confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == f"{base}?done=archived"
    assert (await client.get(f"{school.base}/staff/{staff_id}")).json()["archived_at"]
    assert f'href="{base}/{staff_id}"' not in (await admin.get(base, params={"q": "Нұрланқызы"})).text


async def test_a_teacher_reads_the_staff_but_is_offered_no_change(
    teacher: httpx.AsyncClient, client: httpx.AsyncClient, region: Region
) -> None:
    school, base = region.school, f"{web(region.school)}/staff"
    person = (
        await client.post(f"{school.base}/staff", json={"full_name": "Read Only Person", "positions": ["teacher"]})
    ).json()
    listed = await teacher.get(base, params={"lang": "en", "q": "Read Only"})
    assert listed.status_code == 200 and "Read Only Person" in listed.text and 'id="add-staff"' not in listed.text
    page = await teacher.get(f"{base}/{person['id']}", params={"lang": "en"})
    assert page.status_code == 200 and 'id="staff-facts"' in page.text
    assert (
        "<form" not in page.text.split('id="staff-form"', 1)[1]
        and "Archive" not in page.text.split('id="staff-form"', 1)[1]
    )
    refused = await teacher.post(base, data={"full_name": "Sneaky", "positions": "teacher"}, params={"lang": "en"})
    assert refused.status_code == 403 and 'id="form-error"' in refused.text
    archive = await teacher.post(f"{base}/{person['id']}/archive", data={"confirmed": "yes"}, params={"lang": "en"})
    assert archive.status_code == 403 and 'id="form-error"' in archive.text
    assert (await client.get(f"{school.base}/staff/{person['id']}")).json()["archived_at"] is None


# --- subjects ----------------------------------------------------------------------------------


async def test_subjects_created_renamed_archived(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, region: Region
) -> None:
    school, base = region.school, f"{web(region.school)}/subjects"
    page = await admin.get(base, params={"lang": "kk"})
    assert (
        page.status_code == 200 and "Жаңа пән" in page.text and "Математика" in page.text
    )  # a school's catalogue is seeded
    before = await api_total(client, school, "subjects")
    bad = await admin.post(base, data={"name_kk": "", "name_ru": "", "code": "Not A Code"}, params={"lang": "en"})
    assert bad.status_code == 422
    assert field_error(bad.text, "name_kk") == field_error(bad.text, "name_ru") == "Fill in this field."
    assert "Latin lowercase" in field_error(bad.text, "code")
    assert await api_total(client, school, "subjects") == before

    code = f"robotics_{uuid.uuid4().hex[:4]}"
    created = await admin.post(
        base, data={"name_kk": "Робототехника", "name_ru": "Робототехника", "name_en": "Robotics", "code": code}
    )
    assert created.status_code == 303 and created.headers["location"] == f"{base}?done=created"
    again = await admin.post(base, data={"name_kk": "Робот", "name_ru": "Робот", "code": code}, params={"lang": "en"})
    assert again.status_code == 422 and code in field_error(again.text, "code")
    found = (await client.get(f"{school.base}/subjects", params={"q": code})).json()["items"]
    assert [s["code"] for s in found] == [code]
    subject_id = found[0]["id"]
    unnamed = await admin.post(
        base,
        data={
            "name_kk": "Жасанды интеллект",
            "name_ru": "Искусственный интеллект",
            "name_en": "Artificial intelligence",
        },
    )
    assert unnamed.status_code == 303
    assert [
        s["code"]
        for s in (await client.get(f"{school.base}/subjects", params={"q": "artificial_intelligence"})).json()["items"]
    ]

    renamed = await admin.post(
        f"{base}/{subject_id}",
        data={"name_kk": "Робототехника және IoT", "name_ru": "Робототехника и IoT", "name_en": ""},
    )
    assert renamed.status_code == 303
    assert (await client.get(f"{school.base}/subjects/{subject_id}")).json()["name_ru"] == "Робототехника и IoT"
    emptied = await admin.post(
        f"{base}/{subject_id}", data={"name_kk": "", "name_ru": "x"}, headers=HX, params={"lang": "en"}
    )
    assert emptied.status_code == 422 and emptied.text.lstrip().startswith('<section id="subject-edit"')

    asked = await admin.post(f"{base}/{subject_id}/archive", params={"lang": "ru"})
    assert asked.status_code == 200 and "Архивировать этот предмет?" in asked.text
    archived = await admin.post(f"{base}/{subject_id}/archive", data={"confirmed": "yes"}, headers=HX)
    assert archived.headers["hx-redirect"] == f"{base}?done=archived"
    assert (await client.get(f"{school.base}/subjects/{subject_id}")).json()["archived_at"]


# --- units -------------------------------------------------------------------------------------


def offered_kinds(html: str) -> list[str]:
    select = re.search(r'<select id="u-kind" name="kind"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no kind select"
    return re.findall(r'<option value="([a-z_]+)"', select.group(1))


async def test_a_university_is_offered_its_own_unit_kinds(
    app: Any, db: Any, client: httpx.AsyncClient, region: Region
) -> None:
    # A university of its own: this test forms its council, which the shared one must not have
    # before tests/structure/test_services.py checks that a unit council needs it first (cl. 14).
    uni = await make_org(db, OrgKind.UNIVERSITY, region.district, f"Setup University {uuid.uuid4().hex[:6]}")
    admin = await signed_in(app, db, Grant(Role.ORGANISATION_ADMIN, organisation_id=uni.id), name="University Admin")
    try:
        base = f"{web(uni)}/units"
        page = await admin.get(base, params={"lang": "ru"})
        assert page.status_code == 200
        kinds = offered_kinds(page.text)
        assert {"faculty", "department", "institute", "division", "cycle_commission"} <= set(kinds)
        assert "association" not in kinds and "subject_commission" not in kinds
        assert ">Кафедра</option>" in page.text and ">Факультет</option>" in page.text

        faculty = await admin.post(base, data={"name": "Физико-математический факультет", "kind": "faculty"})
        assert faculty.status_code == 303
        units = (await client.get(f"{uni.base}/units", params={"q": "Физико-математический"})).json()["items"]
        faculty_id = units[0]["id"]
        # An institute stands only at the top: named at the place field before the API is asked;
        # an empty name at its own.
        wrong = await admin.post(
            base, data={"name": "", "kind": "institute", "parent_id": faculty_id}, params={"lang": "en"}
        )
        assert wrong.status_code == 422
        assert field_error(wrong.text, "name") == "Fill in this field."
        assert "Institute" in field_error(wrong.text, "parent_id") and "Faculty" in field_error(wrong.text, "parent_id")
        castle = await admin.post(base, data={"name": "Castle", "kind": "association"}, params={"lang": "en"})
        assert castle.status_code == 422 and field_error(castle.text, "kind") == "Choose the kind of unit."

        chair = await admin.post(
            base, data={"name": "Кафедра общей физики", "kind": "department", "parent_id": faculty_id}, headers=HX
        )
        assert chair.status_code == 200 and chair.headers["hx-redirect"] == f"{base}?done=created"
        chair_id = (await client.get(f"{uni.base}/units", params={"q": "общей физики"})).json()["items"][0]["id"]
        # A unit's council is formed once the organisation's own exists (cl. 14).
        assert (await client.post(f"{uni.base}/councils", json={"name": "Научно-методический совет"})).status_code in (
            201,
            409,
        )
        council = (
            await client.post(f"{uni.base}/councils", json={"name": "Учёный совет факультета", "unit_id": faculty_id})
        ).json()
        tree = await admin.get(base, params={"lang": "ru"})
        faculty_node = tree.text.split(f'id="unit-{faculty_id}"', 1)[1]
        assert faculty_node.index("Учёный совет факультета") < faculty_node.index(
            f'id="unit-{chair_id}"'
        )  # the council under its unit
        assert f"/bodies/council/{council['id']}" in faculty_node
        structure = (await admin.get(f"{web(uni)}/structure", params={"lang": "ru"})).text
        in_tree, bodies_panel = structure.split('id="bodies-panel"', 1)
        assert f"/bodies/council/{council['id']}" in in_tree.split(f'id="tree-unit-{faculty_id}"', 1)[1]
        own = [c for c in (await client.get(f"{uni.base}/councils")).json()["items"] if c["unit_id"] is None]
        assert (
            f"/bodies/council/{council['id']}" not in bodies_panel and f"/bodies/council/{own[0]['id']}" in bodies_panel
        )

        renamed = await admin.post(f"{base}/{chair_id}", data={"name": "Кафедра физики", "parent_id": faculty_id})
        assert renamed.status_code == 303
        assert (await client.get(f"{uni.base}/units/{chair_id}")).json()["name"] == "Кафедра физики"
        # The API's refusal (a unit with a live sub-unit) at the top of the unit's form.
        blocked = await admin.post(f"{base}/{faculty_id}/archive", data={"confirmed": "yes"}, params={"lang": "en"})
        assert blocked.status_code == 409 and "sub-units first" in blocked.text and 'id="form-error"' in blocked.text
        asked = await admin.post(f"{base}/{chair_id}/archive", params={"lang": "en"})
        assert asked.status_code == 200 and "Archive this unit?" in asked.text
        done = await admin.post(f"{base}/{chair_id}/archive", data={"confirmed": "yes"})
        assert done.status_code == 303 and (await client.get(f"{uni.base}/units/{chair_id}")).json()["archived_at"]
    finally:
        await admin.aclose()


async def test_a_school_is_offered_a_schools_unit_kinds_and_a_teacher_none(
    admin: httpx.AsyncClient, teacher: httpx.AsyncClient, region: Region
) -> None:
    page = await admin.get(f"{web(region.school)}/units", params={"lang": "kk"})
    kinds = offered_kinds(page.text)
    assert "association" in kinds and "subject_commission" in kinds
    assert not {"faculty", "institute", "department"} & set(kinds)
    read = await teacher.get(f"{web(region.school)}/units", params={"lang": "en"})
    assert read.status_code == 200 and 'id="unit-form"' not in read.text


# --- the academic calendar ---------------------------------------------------------------------


async def test_school_year_created_edited_archived(
    admin: httpx.AsyncClient, teacher: httpx.AsyncClient, client: httpx.AsyncClient, region: Region
) -> None:
    school, base = region.school, f"{web(region.school)}/academic-calendar"
    page = await admin.get(base, params={"lang": "ru"})
    assert (
        page.status_code == 200 and "Академический календарь" in page.text and "Четверть 4" in page.text
    )  # a school has quarters

    bad = await admin.post(
        base,
        data={"school_year": "next", "starts_2": "2043-11-03", "ends_3": "2044-01-01", "starts_3": "2044-03-01"},
        params={"lang": "en"},
    )
    assert bad.status_code == 422
    assert "school year starts" in field_error(bad.text, "school_year")
    assert "first and the last day" in field_error(bad.text, "term_1") and "first and the last day" in field_error(
        bad.text, "term_2"
    )
    assert field_error(bad.text, "term_3") == "The term ends before it starts."
    assert 'value="2043-11-03"' in bad.text

    created = await admin.post(base, data={"school_year": "2043"})
    assert created.status_code == 303
    year = (await client.get(f"{school.base}/calendar/2043")).json()
    assert [t["number"] for t in year["terms"]] == [1, 2, 3, 4]
    exists = await admin.post(base, data={"school_year": "2043"}, params={"lang": "en"})
    assert exists.status_code == 422 and "2043/2044" in field_error(exists.text, "school_year")
    own = {"school_year": "2044"}
    for n, (s, e) in enumerate(
        [
            ("2044-09-02", "2044-10-27"),
            ("2044-11-04", "2044-12-27"),
            ("2045-01-09", "2045-03-17"),
            ("2045-03-31", "2045-05-24"),
        ],
        1,
    ):
        own |= {f"starts_{n}": s, f"ends_{n}": e}
    assert (await admin.post(base, data=own)).status_code == 303
    assert (await client.get(f"{school.base}/calendar/2044")).json()["terms"][0]["starts_on"] == "2044-09-02"

    q1, q2 = year["terms"][0], year["terms"][1]
    term_path = f"{base}/terms/{q1['id']}"
    form = await admin.get(term_path, params={"lang": "kk"})
    assert form.status_code == 200 and "Тоқсан 1" in form.text
    backwards = await admin.post(
        term_path, data={"starts_on": "2043-10-01", "ends_on": "2043-09-01"}, params={"lang": "en"}
    )
    assert backwards.status_code == 422 and field_error(backwards.text, "ends_on") == "The term ends before it starts."
    blank = await admin.post(term_path, data={"starts_on": "", "ends_on": "soon"}, params={"lang": "en"})
    assert field_error(blank.text, "starts_on") == "Fill in this field." and "date such as" in field_error(
        blank.text, "ends_on"
    )
    overlap = await admin.post(
        term_path, data={"starts_on": "2043-09-01", "ends_on": q2["starts_on"]}, params={"lang": "en"}
    )
    assert (
        overlap.status_code == 422 and field_error(overlap.text, "ends_on") == "Quarter 2 overlaps the one before it."
    )
    in_russian = await admin.post(
        term_path, data={"starts_on": "2043-09-01", "ends_on": q2["starts_on"]}, params={"lang": "ru"}
    )
    assert field_error(in_russian.text, "ends_on") == "Четверть 2 пересекается с предыдущей."
    saved = await admin.post(term_path, data={"starts_on": "2043-09-01", "ends_on": "2043-10-28"})
    assert (
        saved.status_code == 303
        and (await client.get(f"{school.base}/calendar/terms/{q1['id']}")).json()["ends_on"] == "2043-10-28"
    )

    read = await teacher.get(term_path, params={"lang": "en"})
    assert read.status_code == 200 and 'id="term-facts"' in read.text and 'name="confirmed"' not in read.text
    asked = await admin.post(f"{term_path}/archive", params={"lang": "en"})
    assert asked.status_code == 200 and "2043/2044" in asked.text and "with all its terms" in asked.text
    done = await admin.post(f"{term_path}/archive", data={"confirmed": "yes"})
    assert done.status_code == 303
    assert (await client.get(f"{school.base}/calendar/2043")).json()["terms"] == []
    assert 'id="year-2043"' not in (await admin.get(base)).text and 'id="year-2044"' in (await admin.get(base)).text


async def test_a_deputy_head_adds_staff_but_links_no_account(
    app: Any, db: Any, client: httpx.AsyncClient, region: Region
) -> None:
    """The deputy head shapes the staff (cl. 14, 31) but reads no accounts' e-mail addresses: the
    form says who links accounts, and what the deputy saves leaves a link as it was."""
    school, base = region.school, f"{web(region.school)}/staff"
    deputy = await signed_in(app, db, Grant(Role.DEPUTY_HEAD, organisation_id=school.id), name="Deputy Head")
    try:
        form = await deputy.get(f"{base}/new", params={"lang": "en"})
        assert form.status_code == 200 and "The organisation's administrator links accounts." in form.text
        assert 'name="user_id"' not in form.text
        linked = (
            await client.post(
                f"{school.base}/staff",
                json={"full_name": "Linked Teacher", "positions": ["teacher"], "user_id": str(uuid.uuid4())},
            )
        ).json()
        saved = await deputy.post(
            f"{base}/{linked['id']}",
            data={"full_name": "Linked Teacher Renamed", "positions": ["teacher", "methodist"]},
        )
        assert saved.status_code == 303
        after = (await client.get(f"{school.base}/staff/{linked['id']}")).json()
        assert after["full_name"] == "Linked Teacher Renamed" and after["user_id"] == linked["user_id"]
    finally:
        await deputy.aclose()


async def test_the_staff_list_is_paged(app: Any, db: Any, client: httpx.AsyncClient, region: Region) -> None:
    place, base = region.far_school, f"{web(region.far_school)}/staff"
    mark = uuid.uuid4().hex[:6]
    for n in range(22):
        assert (
            await client.post(
                f"{place.base}/staff", json={"full_name": f"Pager {mark} {n:02d}", "positions": ["teacher"]}
            )
        ).status_code == 201
    reader = await signed_in(app, db, Grant(Role.HEAD, organisation_id=place.id), name="Head Reader")
    try:
        first = await reader.get(base, params={"q": f"Pager {mark}", "lang": "en"})
        assert first.text.count('<tr id="staff-') == 20 and "22 staff members" in first.text
        assert f"Pager {mark} 00" in first.text and f"Pager {mark} 21" not in first.text
        assert 'rel="next"' in first.text and 'id="add-staff"' not in first.text  # the head reads; the admin changes
        second = await reader.get(base, params={"q": f"Pager {mark}", "page": "2", "lang": "en"})
        assert second.text.count('<tr id="staff-') == 2 and f"Pager {mark} 21" in second.text
        turned = await reader.get(base, params={"q": f"Pager {mark}", "sort": "-name", "lang": "en"})
        assert re.search(rf'<a href="[^"]+">Pager {mark} 21</a>', turned.text) and f"Pager {mark} 00" not in turned.text
    finally:
        await reader.aclose()
