"""The pages in Kazakh, Russian and English; page-or-fragment answers; the language choice."""

from __future__ import annotations

import html as html_lib
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po

from api.i18n import po_path
from tests.support import fresh_bin
from tests.web.helpers import NAV, college, set_status, text_of, waiting_organisation

LOCALES = ("kk", "ru", "en")


def _ui_strings_of_other_languages(locale: str) -> list[str]:
    """English texts of the interface that must not show on a page in `locale` (kk, ru).

    Only phrases of two or more words: single words (a kind, "BIN") could be part of data.
    """
    with po_path(locale).open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    phrases = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or "{" in message.id or "%(" in message.id:
            continue
        if len(message.id.split()) >= 2 and message.string != message.id:
            phrases.append(message.id)
    return phrases


async def _pages(api: httpx.AsyncClient, places: dict[str, str]) -> list[str]:
    org = await college(api, places["region"])
    return [
        "/",
        "/territories",
        f"/territories?territory_id={places['region']}",
        "/organisations",
        "/organisations/new",
        f"/organisations/{org['id']}",
    ]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_page_comes_out_in_the_chosen_language(
    web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str], locale: str
) -> None:
    untranslated = _ui_strings_of_other_languages(locale) if locale != "en" else []
    for url in await _pages(api, places):
        separator = "&" if "?" in url else "?"
        response = await web.get(f"{url}{separator}lang={locale}")
        assert response.status_code == 200, (url, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert f'<html lang="{locale}">' in page
        for label in NAV[locale]:
            assert f">{label}</a>" in page, (url, label)
        visible = html_lib.unescape(text_of(page))
        leaked = [phrase for phrase in untranslated if phrase in visible]
        assert not leaked, f"{url} in {locale} shows untranslated text: {leaked}"


async def test_home_counts_organisations_by_status(
    web: httpx.AsyncClient, api: httpx.AsyncClient, db: Any, places: dict[str, str]
) -> None:
    waiting = await waiting_organisation(db, places["region"])
    await set_status(db, await waiting_organisation(db, places["region"]), "failed", "boom")
    labels = {
        "active": "Активна",
        "provisioning": "Подготавливается",
        "failed": "Ошибка подготовки",
        "suspended": "Приостановлена",
    }

    async def totals() -> dict[str, int]:
        return {
            status: (await api.get("/api/organisations", params={"status": status, "page_size": 1})).json()["total"]
            for status in labels
        }

    # Other tests' organisations may finish provisioning meanwhile: compare with a quiet moment.
    for _ in range(50):
        before = await totals()
        page = (await web.get("/?lang=ru")).text
        if before == await totals():
            break
    assert before["provisioning"] >= 1 and before["failed"] >= 1
    for status, label in labels.items():
        card = page.split(f'href="/organisations?status={status}"', 1)[1].split("</a>", 1)[0]
        assert f'<span class="stat-number">{before[status]}</span>' in card
        assert label in card
    assert "Недавно зарегистрированные" in page
    assert f'href="/organisations/{waiting}"' in page  # the newest is among the recent ones


async def test_the_language_is_asked_remembered_and_negotiated(web: httpx.AsyncClient, app: Any) -> None:
    # Nothing said: Russian. (Nobody is signed in: the pages send the visitor to the sign-in page,
    # which speaks the negotiated language as well.)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=True) as bare:
        assert '<html lang="ru">' in (await bare.get("/territories", headers={"accept-language": ""})).text
        # A language we do not have: Russian as well.
        assert (
            '<html lang="ru">' in (await bare.get("/territories", headers={"accept-language": "de-DE,fr;q=0.8"})).text
        )
        # The browser's preference, by quality.
        page = (await bare.get("/territories", headers={"accept-language": "de;q=1, kk;q=0.9, en;q=0.5"})).text
        assert '<html lang="kk">' in page and "Аумақтар" in page
        # An unknown ?lang= changes nothing and sets no language cookie.
        response = await bare.get("/territories?lang=fr", headers={"accept-language": "en"})
        assert [r.headers["location"] for r in response.history] == ["/sign-in?return_to=%2Fterritories%3Flang%3Dfr"]
        assert '<html lang="en">' in response.text
        assert not any("metodist_lang" in r.headers.get("set-cookie", "") for r in (*response.history, response))

    # ?lang= wins and is remembered: later pages come in Kazakh even though the browser asks for English.
    chosen = await web.get("/organisations?lang=kk", headers={"accept-language": "en"})
    assert "metodist_lang=kk" in chosen.headers["set-cookie"]
    later = await web.get("/territories", headers={"accept-language": "en"})
    assert '<html lang="kk">' in later.text
    # The switch links keep the page and its query.
    assert 'href="/organisations?q=abc&amp;lang=ru"' in (await web.get("/organisations?q=abc")).text


@pytest.mark.parametrize(
    ("url", "block_id"),
    [
        ("/organisations", "results"),
        ("/territories?territory_id={region}", "territory-panel"),
        ("/organisations/new", "org-form"),
        ("/organisations/{org}", "org-panel"),
    ],
)
async def test_htmx_gets_the_block_and_browsers_the_page(
    web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str], url: str, block_id: str
) -> None:
    org = await college(api, places["region"])
    url = url.format(region=places["region"], org=org["id"])

    full = await web.get(url)
    assert full.status_code == 200
    assert full.text.lstrip().lower().startswith("<!doctype html>")
    assert f'id="{block_id}"' in full.text
    assert "HX-Request" in full.headers["vary"]

    fragment = await web.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["vary"]
    body = fragment.text.strip()
    assert body.startswith("<") and f'id="{block_id}"' in body.split(">", 1)[0]
    assert "<html" not in body and '<nav class="main-nav"' not in body

    # A history restore asks for the whole page again.
    restored = await web.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restored.text.lstrip().lower().startswith("<!doctype html>")


async def test_static_files_are_served_from_the_app(web: httpx.AsyncClient) -> None:
    htmx = await web.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "javascript" in htmx.headers["content-type"]
    assert "htmx" in htmx.text[:200]
    css = await web.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    page = (await web.get("/")).text
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in page
    # No fonts or scripts from elsewhere.
    assert "https://" not in page and "http://" not in page.replace("http://testserver", "")


async def test_unknown_pages_and_organisations_answer_404_in_the_language(web: httpx.AsyncClient) -> None:
    missing_page = await web.get("/no-such-page?lang=kk")
    assert missing_page.status_code == 404
    assert "Мұндай бет жоқ." in missing_page.text and '<html lang="kk">' in missing_page.text

    # The API's own message, translated by the API for the caller's language.
    missing_org = await web.get("/organisations/01900000-0000-7000-8000-000000000000?lang=ru")
    assert missing_org.status_code == 404
    assert "Организация не найдена." in missing_org.text

    # An HTMX request gets the message for the page's message area.
    fragment = await web.get("/organisations/01900000-0000-7000-8000-000000000000", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert fragment.headers["hx-retarget"] == "#messages"
    assert 'role="alert"' in fragment.text and "<html" not in fragment.text


async def test_territory_tree_lists_places_in_the_language_and_their_organisations(
    web: httpx.AsyncClient, api: httpx.AsyncClient, places: dict[str, str]
) -> None:
    in_district = await api.post(
        "/api/organisations",
        json={
            "kind": "school",
            "territory_id": places["district"],
            "bin": fresh_bin(),
            # Digits sort first, so the school is on the region's first page however many
            # organisations other tests have placed there.
            "name_kk": "0 Аудан мектебі",
            "name_ru": "0 Районная школа",
            "name_en": "0 District School",
            "levels": ["primary"],
        },
    )
    assert in_district.status_code == 202, in_district.text

    tree = (await web.get("/territories?lang=kk")).text
    assert "Қарағанды облысы" in tree and "Сынақ ауданы" in tree and "Қазақстан Республикасы" in tree
    assert "Карагандинская область" not in tree
    assert "Ұйымдарын көру үшін сол жақтан аумақты таңдаңыз." in tree  # the panel waits for a choice
    district_link = f'href="/territories?territory_id={places["district"]}"'
    assert district_link in tree
    assert f'hx-get="/territories?territory_id={places["district"]}"' in tree

    panel = await web.get(f"/territories?territory_id={places['district']}&lang=ru", headers={"HX-Request": "true"})
    assert "Районная школа" in panel.text
    assert "Тестовый район" in panel.text and "Район" in panel.text
    # The region lists what is placed in it and below it.
    region_panel = (await web.get(f"/territories?territory_id={places['region']}&lang=ru")).text
    assert "Районная школа" in region_panel
    # … and its districts, each a step down; the district's panel leads back up to the region.
    panel_only = region_panel[region_panel.index('id="territory-panel"') :]
    assert "Территории:" in panel_only and district_link in panel_only
    assert f'href="/territories?territory_id={places["region"]}"' in panel.text

    # An unknown territory is no choice at all.
    unknown = await web.get("/territories?territory_id=not-a-uuid&lang=en")
    assert unknown.status_code == 200 and "Choose a territory on the left" in unknown.text
