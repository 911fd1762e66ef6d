"""Registering an organisation through the form, its live status, its actions; the list's search and paging."""

from __future__ import annotations

import asyncio
import html
import re
import time
from typing import Any

import httpx
import pytest

from tests.support import fresh_bin
from tests.web.helpers import ACTIVE, college, element, set_status, waiting_organisation


def _form(places: dict[str, str], **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "kind": "college",
        "territory_id": places["region"],
        "bin": fresh_bin(),
        "name_kk": "Қарағанды сынақ колледжі",
        "name_ru": "Карагандинский тестовый колледж",
        "name_en": "",
        "levels": ["technical_vocational", "post_secondary"],
    }
    form.update(overrides)
    return form


async def _wait_for_badge(
    web: httpx.AsyncClient, organisation_id: str, status: str, timeout: float = 30
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        badge = await web.get(
            f"/organisations/{organisation_id}/status?was=provisioning", headers={"HX-Request": "true"}
        )
        if f'data-status="{status}"' in badge.text:
            return badge
        assert time.monotonic() < deadline, badge.text
        await asyncio.sleep(0.1)


# --- the form -------------------------------------------------------------------------------------


async def test_registering_through_the_form_then_watching_it_become_active(
    web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str]
) -> None:
    form = _form(places, name_ru="Колледж из формы")
    created = await web.post("/organisations?lang=ru", data=form)
    assert created.status_code == 303
    location = created.headers["location"]
    match = re.fullmatch(r"/organisations/([0-9a-f-]{36})\?done=created", location)
    assert match, location
    organisation_id = match.group(1)

    stored = (await api.get(f"/api/organisations/{organisation_id}")).json()
    assert stored["bin"] == form["bin"] and stored["name_ru"] == "Колледж из формы"
    assert stored["name_en"] is None  # left empty in the form
    assert sorted(stored["levels"]) == ["post_secondary", "technical_vocational"]

    detail = (await web.get(location)).text
    assert "Организация зарегистрирована. Её рабочее пространство готовится." in detail

    badge = await _wait_for_badge(web, organisation_id, "active")
    assert ACTIVE["ru"] in badge.text
    assert "hx-trigger" not in badge.text  # polling stops once the status settles
    assert badge.headers["hx-trigger"] == "org-status-changed"  # ...and the page around it refreshes
    assert "HX-Request" in badge.headers["vary"]

    detail = (await web.get(f"/organisations/{organisation_id}")).text
    assert stored["schema_name"] in detail
    assert (await api.get(f"/api/organisations/{organisation_id}")).json()["schema_version"] in detail
    assert "Приостановить" in detail and "Отправить в архив" in detail


async def test_htmx_submission_redirects_the_browser_to_the_new_organisation(
    web: httpx.AsyncClient, places: dict[str, str]
) -> None:
    created = await web.post("/organisations", data=_form(places), headers={"HX-Request": "true"})
    assert created.status_code == 200
    assert re.fullmatch(r"/organisations/[0-9a-f-]{36}\?done=created", created.headers["hx-redirect"])


async def test_a_provisioning_badge_polls_and_a_failed_one_says_why(
    web: httpx.AsyncClient, db: Any, places: dict[str, str]
) -> None:
    waiting = await waiting_organisation(db, places["region"])
    badge = await web.get(f"/organisations/{waiting}/status?lang=kk", headers={"HX-Request": "true"})
    tag = element(badge.text, f"status-{waiting}")
    assert 'hx-trigger="every 1s"' in tag and 'hx-swap="outerHTML"' in tag and 'hx-target="this"' in tag
    assert f'hx-get="/organisations/{waiting}/status?was=provisioning"' in tag
    assert "Дайындалуда" in badge.text
    assert "hx-trigger" not in badge.headers  # nothing changed yet
    detail = (await web.get(f"/organisations/{waiting}?lang=kk")).text
    assert 'hx-trigger="every 1s"' in element(detail, f"status-{waiting}")
    assert "Жұмыс кеңістігі дайындалуда; бұл бет өздігінен жаңарады." in detail

    await set_status(db, waiting, "failed", "OperationalError: disk full")
    failed = await web.get(f"/organisations/{waiting}/status?was=provisioning&lang=ru", headers={"HX-Request": "true"})
    assert "hx-trigger=" not in failed.text
    assert "Ошибка подготовки" in failed.text
    assert "Причина:" in failed.text and "OperationalError: disk full" in failed.text
    assert failed.headers["hx-trigger"] == "org-status-changed"
    detail = (await web.get(f"/organisations/{waiting}?lang=ru")).text
    assert "Повторить подготовку" in detail and "OperationalError: disk full" in detail


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"bin": "123456789012"}, "bin", "БИН должен состоять из 12 цифр с правильной контрольной цифрой."),
        ({"territory_id": ""}, "territory_id", "Заполните это поле."),
        ({"kind": ""}, "kind", "Заполните это поле."),
        ({"name_kk": "   "}, "name_kk", "Заполните это поле."),
        ({"name_ru": ""}, "name_ru", "Заполните это поле."),
        (
            {"kind": "school", "levels": ["primary"]},
            "territory_id",
            "Организация вида «школа» размещается на территории вида",
        ),
        ({"levels": ["higher"]}, "levels", "Организация вида «колледж» не реализует: высшее образование (п. 2)."),
        ({"levels": ["no-such-level"]}, "levels", "Недопустимое значение 'no-such-level'"),
        ({"kind": "college", "territory_id": "not-a-uuid"}, "territory_id", "Неверный идентификатор."),
    ],
)
async def test_api_errors_show_at_the_field_and_keep_what_was_typed(
    web: httpx.AsyncClient, places: dict[str, str], change: dict[str, Any], field: str, message: str
) -> None:
    form = _form(places, **change)
    for headers in ({}, {"HX-Request": "true"}):
        response = await web.post("/organisations?lang=ru", data=form, headers=headers)
        assert response.status_code == 422
        page = response.text
        error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.DOTALL)
        assert error, page
        assert message in html.unescape(error.group(1))
        assert page.count('class="field-error"') == 1
        # What the user typed is still there.
        if form["name_kk"].strip():
            assert f'value="{form["name_kk"]}"' in page
        if form["bin"]:
            assert f'value="{form["bin"]}"' in page
        for level in form["levels"]:
            if level == "no-such-level":
                continue
            assert re.search(rf'value="{level}"\s+checked', page)
        if headers:
            assert page.lstrip().startswith('<form id="org-form"') and "<html" not in page
            assert "HX-Request" in response.headers["vary"]
        else:
            assert page.lstrip().lower().startswith("<!doctype html>")


async def test_a_taken_bin_is_refused_at_the_bin_field(web: httpx.AsyncClient, places: dict[str, str]) -> None:
    form = _form(places)
    assert (await web.post("/organisations", data=form)).status_code == 303
    again = await web.post("/organisations?lang=kk", data={**form, "name_ru": "Другое название"})
    assert again.status_code == 422
    assert 'id="bin-error">Осы БСН-мен ұйым бұрыннан тіркелген.</p>' in again.text
    assert 'aria-invalid="true" aria-describedby="bin-error"' in element(again.text, "f-bin")
    assert 'value="Другое название"' in again.text


async def test_the_form_starts_from_the_territory_it_was_opened_from(
    web: httpx.AsyncClient, places: dict[str, str]
) -> None:
    page = (await web.get(f"/organisations/new?territory_id={places['district']}&kind=school&lang=ru")).text
    assert re.search(rf'<option value="{places["district"]}"\s+selected', page)
    assert re.search(r'<option value="school"\s+selected', page)
    # The territories come grouped by region, each with its own places.
    group = page.split('<optgroup label="Карагандинская область">', 1)[1].split("</optgroup>", 1)[0]
    assert "Тестовый район (район)" in group and "город Тестовый (город областного значения)" in group
    # Every education level can be chosen, labelled in the language.
    assert page.count('type="checkbox" name="levels"') == 7 and "Послевузовское образование" in page
    bogus = (await web.get("/organisations/new?territory_id=nonsense&kind=spaceport")).text
    assert "selected" not in bogus.split('id="f-kind"', 1)[1].split("</select>", 1)[0]


# --- actions --------------------------------------------------------------------------------------


async def test_suspend_resume_and_their_refusals(
    web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str]
) -> None:
    org = await college(api, places["region"])
    await _wait_for_badge(web, org["id"], "active")

    detail = (await web.get(f"/organisations/{org['id']}?lang=ru")).text
    suspend_form = re.search(
        rf'<form method="post" action="/organisations/{org["id"]}/suspend"[^>]*>', detail, re.DOTALL
    )
    assert suspend_form and 'hx-confirm="Приостановить эту организацию?' in suspend_form.group(0)
    assert 'hx-target="#org-panel"' in suspend_form.group(
        0
    ) and """hx-vals='{"confirmed": "yes"}'""" in suspend_form.group(0)

    # Without JavaScript the first post only asks, on a page of its own; nothing is done yet.
    asked = await web.post(f"/organisations/{org['id']}/suspend?lang=ru")
    assert asked.status_code == 200 and "Приостановить эту организацию?" in asked.text
    assert (
        '<input type="hidden" name="confirmed" value="yes">' in asked.text
        and f'href="/organisations/{org["id"]}"' in asked.text
    )
    assert (await api.get(f"/api/organisations/{org['id']}")).json()["status"] == "active"
    # Confirmed: done, then back to the page with the outcome.
    done = await web.post(f"/organisations/{org['id']}/suspend?lang=ru", data={"confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == f"/organisations/{org['id']}?done=suspend"
    page = (await web.get(done.headers["location"])).text
    assert "Работа организации приостановлена." in page and 'data-status="suspended"' in page
    assert "Возобновить" in page and "Приостановить</button>" not in page

    # With HTMX: the panel comes back; a refusal of the API is shown in it, in the language.
    refused = await web.post(
        f"/organisations/{org['id']}/suspend?lang=kk", headers={"HX-Request": "true"}, data={"confirmed": "yes"}
    )
    assert refused.status_code == 409
    assert refused.text.lstrip().startswith('<section id="org-panel"')
    assert "Тек белсенді ұйымның жұмысын тоқтата тұруға болады; бұл ұйымның мәртебесі: «тоқтатылған»." in refused.text

    resumed = await web.post(
        f"/organisations/{org['id']}/resume?lang=en", headers={"HX-Request": "true"}, data={"confirmed": "yes"}
    )
    assert resumed.status_code == 200
    assert "The organisation has been resumed." in resumed.text and 'data-status="active"' in resumed.text
    assert (await api.get(f"/api/organisations/{org['id']}")).json()["status"] == "active"

    unknown = await web.post(f"/organisations/{org['id']}/explode")
    assert unknown.status_code == 404


async def test_no_actions_for_those_who_may_not_take_them(
    app: Any, db: Any, api: httpx.AsyncClient, web: httpx.AsyncClient, places: dict[str, str]
) -> None:
    from api.access import Grant
    from tests.identity.access.principals import new_user, session_cookie
    from tests.work.test_pages import browser

    org = await college(api, places["region"])
    await _wait_for_badge(web, org["id"], "active")  # an active organisation is one that can be acted on
    people = {
        "district methodist": Grant("district_methodist", territory_id=places["district"]),
        "regional methodist": Grant("regional_methodist", territory_id=places["region"]),
        "regional admin": Grant("regional_admin", territory_id=places["region"]),
    }
    for name, grant in people.items():
        reader = await browser(app, await session_cookie(app.api, db, await new_user(db, [grant], name=name)))
        try:
            page = (await reader.get(f"/organisations/{org['id']}?lang=en")).text
            home = (await reader.get("/?lang=en")).text
        finally:
            await reader.aclose()
        may = name == "regional admin"
        assert ('role="group" aria-label="Actions"' in page) == may and ("/organisations/new" in home) == may, name
