"""The API answers errors in the caller's language (Accept-Language); field and clause never change."""

from __future__ import annotations

import httpx
import pytest

from tests.support import fresh_bin


def _college(territory_id: str, **overrides: object) -> dict[str, object]:
    return {
        "kind": "college",
        "territory_id": territory_id,
        "bin": fresh_bin(),
        "name_kk": "Колледж",
        "name_ru": "Колледж",
        "levels": ["technical_vocational"],
        **overrides,
    }


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (None, "The BIN must be 12 digits with a valid check digit."),
        ("kk", "БСН 12 цифрдан тұруы және бақылау цифры дұрыс болуы керек."),
        ("ru-RU,ru;q=0.9,en;q=0.8", "БИН должен состоять из 12 цифр с правильной контрольной цифрой."),
        ("en-GB", "The BIN must be 12 digits with a valid check digit."),
        ("de", "The BIN must be 12 digits with a valid check digit."),
    ],
)
async def test_domain_errors_in_the_callers_language(
    api: httpx.AsyncClient, places: dict[str, str], language: str | None, message: str
) -> None:
    headers = {"accept-language": language} if language else {}
    response = await api.post("/api/organisations", json=_college(places["region"], bin="123"), headers=headers)
    assert response.status_code == 422
    assert response.json() == {"status": 422, "message": message, "field": "bin", "clause": None}
    assert "Accept-Language" in response.headers["vary"]


async def test_messages_with_values_keep_field_and_clause(api: httpx.AsyncClient, places: dict[str, str]) -> None:
    response = await api.post(
        "/api/organisations", json=_college(places["region"], levels=["higher"]), headers={"accept-language": "kk"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "message": "«Колледж» түріндегі ұйым мына білім беру деңгейлерін іске асырмайды: жоғары білім беру (2-тармақ).",
        "field": "levels",
        "clause": "2",
    }


async def test_validation_and_not_found_messages_are_translated(api: httpx.AsyncClient, places: dict[str, str]) -> None:
    body = _college(places["region"])
    del body["territory_id"]
    missing = await api.post("/api/organisations", json=body, headers={"accept-language": "ru"})
    assert missing.status_code == 400
    assert missing.json()["message"] == "Заполните это поле." and missing.json()["field"] == "territory_id"

    paging = await api.get("/api/organisations?page=0", headers={"accept-language": "kk"})
    assert paging.json()["message"] == "Мән 1 санынан кем болмауы керек." and paging.json()["field"] == "page"

    unknown = await api.get(
        "/api/organisations/01900000-0000-7000-8000-000000000000", headers={"accept-language": "ru"}
    )
    assert unknown.status_code == 404 and unknown.json()["message"] == "Организация не найдена."

    route = await api.get("/api/no-such-route", headers={"accept-language": "kk"})
    assert route.status_code == 404 and route.json()["message"] == "Табылмады."


@pytest.mark.parametrize(
    ("locale", "message", "clause", "shown"),
    [
        (
            "ru",
            "Объединение учителей одного предмета указывает предмет (п. 25).",
            "25",
            "Объединение учителей одного предмета указывает предмет (п. 25).",
        ),
        (
            "kk",
            "Бір пән мұғалімдерінің бірлестігі пәнді көрсетеді (25-тармақ).",
            "25",
            "Бір пән мұғалімдерінің бірлестігі пәнді көрсетеді (25-тармақ).",
        ),
        ("ru", "Срок руководителя не больше года.", "30", "Срок руководителя не больше года. (пункт 30)"),
        ("en", "Only 2 of 25 teachers (cl. 26).", "26", "Only 2 of 25 teachers (cl. 26)."),
        ("en", "Only 2 of 25 teachers.", "2", "Only 2 of 25 teachers. (clause 2)"),
        ("en", "Not found.", None, "Not found."),
    ],
)
def test_a_refusal_cites_its_clause_once(locale: str, message: str, clause: str | None, shown: str) -> None:
    from api.i18n import use_locale
    from web.client import ApiError
    from web.templating import refusal

    with use_locale(locale):
        assert refusal(ApiError(422, message, None, clause)) == shown


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("2026-12-06T20:30:00+00:00", "2026-12-07"),  # 01:30 the next morning in Kazakhstan
        ("2026-12-06T18:59:59Z", "2026-12-06"),
        ("2026-12-06", "2026-12-06"),
        (None, "—"),
    ],
)
def test_days_are_kazakhstans_days(sent: str | None, shown: str) -> None:
    from web.templating import day

    assert day(sent) == shown


def test_moments_from_the_api_are_shown_in_kazakhstans_time() -> None:
    from api.i18n import use_locale
    from web.templating import when

    with use_locale("en"):
        assert "1:30:00" in when("2026-12-06T20:30:00+00:00") and "Dec 7, 2026" in when("2026-12-06T20:30:00Z")


@pytest.mark.parametrize(
    ("locale", "stored", "shown"),
    [
        (
            "ru",
            "Methodological council of the organisation: Методический совет",
            "Методический совет организации: Методический совет",
        ),
        ("kk", "Commission: Математика", "Комиссия: Математика"),
        (
            "ru",
            "Approval by the head of the organisation or the deputy head for academic work",
            "Утверждение: руководитель организации или заместитель руководителя по учебной работе",
        ),
        ("kk", "Department of the authors", "Авторлардың кафедрасы"),
        ("ru", "Something an older version stored: Name", "Something an older version stored: Name"),
        ("en", None, ""),
    ],
)
def test_review_stages_are_named_in_the_readers_language(locale: str, stored: str | None, shown: str) -> None:
    from api.i18n import use_locale
    from web.reviews.pages import stage_label

    with use_locale(locale):
        assert stage_label(stored) == shown
