"""Registering an organisation through the form, its live status, its actions; the list's search and paging."""

from __future__ import annotations

import asyncio
import html
import re
import time
import uuid
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


async def _wait_for_badge(web: httpx.AsyncClient, organisation_id: str, status: str, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        badge = await web.get(f"/organisations/{organisation_id}/status?was=provisioning", headers={"HX-Request": "true"})
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
        ({"kind": "school", "levels": ["primary"]}, "territory_id", "Организация вида «школа» размещается на территории вида"),
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


async def test_the_form_starts_from_the_territory_it_was_opened_from(web: httpx.AsyncClient, places: dict[str, str]) -> None:
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


async def test_suspend_resume_and_their_refusals(web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str]) -> None:
    org = await college(api, places["region"])
    await _wait_for_badge(web, org["id"], "active")

    detail = (await web.get(f"/organisations/{org['id']}?lang=ru")).text
    suspend_form = re.search(rf'<form method="post" action="/organisations/{org["id"]}/suspend"[^>]*>', detail, re.DOTALL)
    assert suspend_form and 'hx-confirm="Приостановить эту организацию?' in suspend_form.group(0)
    assert 'hx-target="#org-panel"' in suspend_form.group(0)

    # Without JavaScript: post, then back to the page with the outcome.
    done = await web.post(f"/organisations/{org['id']}/suspend?lang=ru")
    assert done.status_code == 303 and done.headers["location"] == f"/organisations/{org['id']}?done=suspend"
    page = (await web.get(done.headers["location"])).text
    assert "Работа организации приостановлена." in page and 'data-status="suspended"' in page
    assert "Возобновить" in page and "Приостановить</button>" not in page

    # With HTMX: the panel comes back; a refusal of the API is shown in it, in the language.
    refused = await web.post(f"/organisations/{org['id']}/suspend?lang=kk", headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert refused.text.lstrip().startswith('<section id="org-panel"')
    assert "Тек белсенді ұйымның жұмысын тоқтата тұруға болады; бұл ұйымның мәртебесі: «тоқтатылған»." in refused.text

    resumed = await web.post(f"/organisations/{org['id']}/resume?lang=en", headers={"HX-Request": "true"})
    assert resumed.status_code == 200
    assert "The organisation has been resumed." in resumed.text and 'data-status="active"' in resumed.text
    assert (await api.get(f"/api/organisations/{org['id']}")).json()["status"] == "active"

    unknown = await web.post(f"/organisations/{org['id']}/explode")
    assert unknown.status_code == 404


async def test_retrying_a_failed_preparation(web: httpx.AsyncClient, db: Any, places: dict[str, str]) -> None:
    organisation_id = await waiting_organisation(db, places["region"])
    await set_status(db, organisation_id, "failed", "RuntimeError: interrupted")
    retried = await web.post(f"/organisations/{organisation_id}/provision?lang=ru", headers={"HX-Request": "true"})
    assert retried.status_code == 200
    assert "Подготовка запущена повторно." in retried.text
    badge = await _wait_for_badge(web, str(organisation_id), "active")
    assert "Активна" in badge.text or "Active" in badge.text


# --- the list -------------------------------------------------------------------------------------


async def test_search_paging_filters_and_sorting(web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str]) -> None:
    token = uuid.uuid4().hex[:8]
    names = [f"Пейджинг {token} {letter}" for letter in "АБВГД"]
    for name in names:
        await college(api, places["region"], name_ru=name, name_kk=f"Бет {token}")

    first = await web.get(f"/organisations?q={token}&page_size=2&lang=ru")
    page = first.text
    assert "Найдено 5 организаций · страница 1 из 3" in page
    assert names[0] in page and names[1] in page and names[2] not in page
    assert re.search(r'<span class="current" aria-current="page">1</span>', page)
    for number in (2, 3):
        href = f"/organisations?q={token}&amp;page_size=2&amp;page={number}"
        assert f'href="{href}" hx-get="{href}"' in page
    assert 'rel="next"' in page and 'rel="prev"' not in page

    last = (await web.get(f"/organisations?q={token}&page_size=2&page=3", headers={"HX-Request": "true"})).text
    assert last.lstrip().startswith('<section id="results"')
    assert names[4] in last and names[0] not in last and 'rel="prev"' in last and 'rel="next"' not in last
    searched = await web.get(f"/organisations?q={token}&kind=&status=&territory_id=&sort=name", headers={"HX-Request": "true"})
    assert searched.headers["hx-push-url"] == f"/organisations?q={token}"  # the address bar shows no empty fields

    newest_first = (await web.get(f"/organisations?q={token}&sort=-name&lang=ru")).text
    assert newest_first.index(names[4]) < newest_first.index(names[0])

    assert "Нет организаций, подходящих под поиск и фильтры." in (await web.get(f"/organisations?q={token}&kind=school&lang=ru")).text
    assert names[0] in (await web.get(f"/organisations?q={token}&kind=college&territory_id={places['region']}")).text
    nothing = (await web.get(f"/organisations?q={token}&territory_id={places['town']}&lang=kk")).text
    assert "Іздеу мен сүзгілерге сәйкес келетін ұйым жоқ." in nothing
    assert 'href="/organisations">Іздеу мен сүзгілерді тазалау</a>' in nothing

    beyond = (await web.get(f"/organisations?q={token}&page_size=2&page=9&lang=en")).text
    assert "This page is past the end of the list." in beyond

    # Bad values are not errors: they mean no filter.
    lenient = await web.get(f"/organisations?q={token}&page=abc&page_size=-4&kind=spaceport&status=x&territory_id=y&sort=z")
    assert lenient.status_code == 200 and "5 organisations found · page 1 of 5" in lenient.text

    # The search box asks as the user types, and filters ask on change; all into the results block.
    form = page.split('<form class="filters"', 1)[1].split("</form>", 1)[0]
    assert 'hx-target="#results"' in form and 'hx-push-url="true"' in form
    assert 'hx-trigger="keyup changed delay:300ms, search"' in form
    assert form.count('hx-trigger="change"') == 4
