"""The organisations API: creation rules, bad input that writes nothing, listing, lifecycle."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.domain.organisations.models import Organisation
from tests.support import fresh_bin, school_payload, territory_id, wait_for_status


async def _count(db: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Organisation)) or 0)


@pytest.fixture
async def district(client: httpx.AsyncClient) -> str:
    """A district of Karaganda region for schools (created once, reused)."""
    tree = (await client.get("/api/territories")).json()
    from tests.support import find_territory

    try:
        return find_territory(tree, "test-district")["id"]
    except LookupError:
        pass
    from api.domain.territories.models import TerritoryKind
    from api.domain.territories.services import TerritoryService

    db = client._transport.app.api.state.db  # type: ignore[attr-defined]
    async with db.session() as session, session.begin():
        region = await TerritoryService(session).by_slug("karaganda")
        new_id = await TerritoryService(session).upsert(
            slug="test-district",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Сынақ ауданы",
            name_ru="Тестовый район",
            name_en="Test District",
        )
    return str(new_id)


async def test_create_and_read_back(client: httpx.AsyncClient, district: str) -> None:
    payload = school_payload(district, name_ru="  Школа   №7 ")
    created = await client.post("/api/organisations", json=payload)
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["status"] == "provisioning"
    assert body["name_ru"] == "Школа №7"  # white space folded
    assert body["schema_name"] == f"t_{payload['bin']}"
    await wait_for_status(client, body["id"], {"active"})
    read = (await client.get(f"/api/organisations/{body['id']}")).json()
    assert read["status"] == "active"
    assert read["levels"] == payload["levels"]


BAD_INPUTS = [
    ("invalid BIN check digit", {"bin": "123456789012"}, 422, "bin"),
    ("BIN with letters", {"bin": "12345678901a"}, 422, "bin"),
    ("BIN too short", {"bin": "1234"}, 422, "bin"),
    ("kind unknown", {"kind": "kindergarten"}, 400, "kind"),
    ("kind/level mismatch", {"levels": ["higher"]}, 422, "levels"),
    ("school without levels", {"levels": []}, 422, "levels"),
    ("level named twice", {"levels": ["primary", "primary"]}, 422, "levels"),
    ("empty Kazakh name", {"name_kk": ""}, 400, "name_kk"),
    ("blank Russian name", {"name_ru": "   "}, 422, "name_ru"),
    ("name too long", {"name_ru": "Ш" * 301}, 400, "name_ru"),
    ("unknown field", {"colour": "red"}, 400, "colour"),
    ("territory not a uuid", {"territory_id": "karaganda"}, 400, "territory_id"),
]


@pytest.mark.parametrize(("case", "override", "status", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
async def test_bad_input_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, db: Any, district: str, case: str, override: dict[str, Any], status: int, field: str
) -> None:
    before = await _count(db)
    response = await client.post("/api/organisations", json=school_payload(district, **override))
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["field"] == field
    assert body["message"]
    assert await _count(db) == before


async def test_unknown_territory(client: httpx.AsyncClient, db: Any) -> None:
    before = await _count(db)
    response = await client.post("/api/organisations", json=school_payload("00000000-0000-7000-8000-000000000000"))
    assert response.status_code == 422
    assert response.json()["field"] == "territory_id"
    assert await _count(db) == before


async def test_school_under_a_region_is_refused(client: httpx.AsyncClient, db: Any) -> None:
    region = await territory_id(client, "karaganda")
    before = await _count(db)
    response = await client.post("/api/organisations", json=school_payload(region))
    assert response.status_code == 422
    assert response.json()["field"] == "territory_id"
    assert "district" in response.json()["message"]
    assert await _count(db) == before


async def test_cabinet_levels_and_placement(client: httpx.AsyncClient, district: str) -> None:
    region = await territory_id(client, "karaganda")
    wrong = await client.post(
        "/api/organisations",
        json=school_payload(region, kind="cabinet_region", levels=["primary"]),
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "levels"
    misplaced = await client.post("/api/organisations", json=school_payload(district, kind="cabinet_region", levels=[]))
    assert misplaced.status_code == 422 and misplaced.json()["field"] == "territory_id"
    right = await client.post("/api/organisations", json=school_payload(region, kind="cabinet_region", levels=[]))
    assert right.status_code == 202, right.text


async def test_duplicate_bin_is_a_conflict(client: httpx.AsyncClient, db: Any, district: str) -> None:
    payload = school_payload(district)
    assert (await client.post("/api/organisations", json=payload)).status_code == 202
    before = await _count(db)
    again = await client.post("/api/organisations", json={**payload, "name_ru": "Другая школа"})
    assert again.status_code == 409
    assert again.json()["field"] == "bin"
    assert await _count(db) == before


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/organisations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"status", "message", "field", "clause"}


async def test_list_filters_search_sort_and_pages(client: httpx.AsyncClient, district: str) -> None:
    marker = fresh_bin()
    names = ["Альфа", "Бета", "Гамма"]
    ids = []
    for name in names:
        created = await client.post(
            "/api/organisations",
            json=school_payload(
                district,
                name_ru=f"{name} {marker}",
                name_kk=f"{name} мектебі {marker}",
                name_en=f"{name} School {marker}",
            ),
        )
        ids.append(created.json()["id"])
    page1 = (await client.get("/api/organisations", params={"q": marker, "page_size": 2, "sort": "name_ru"})).json()
    assert page1["total"] == 3 and page1["page"] == 1
    assert [o["name_ru"] for o in page1["items"]] == [f"Альфа {marker}", f"Бета {marker}"]
    page2 = (
        await client.get("/api/organisations", params={"q": marker, "page_size": 2, "page": 2, "sort": "name_ru"})
    ).json()
    assert [o["name_ru"] for o in page2["items"]] == [f"Гамма {marker}"]
    desc = (await client.get("/api/organisations", params={"q": marker, "sort": "-name_ru"})).json()
    assert desc["items"][0]["name_ru"] == f"Гамма {marker}"
    # Search reaches the Kazakh and English names too, case-insensitively.
    assert (await client.get("/api/organisations", params={"q": f"бета мектебі {marker}"})).json()["total"] == 1
    assert (await client.get("/api/organisations", params={"q": f"ГАММА SCHOOL {marker}"})).json()["total"] == 1
    # A territory filter includes everything below it.
    region = await territory_id(client, "karaganda")
    in_region = (await client.get("/api/organisations", params={"q": marker, "territory_id": region})).json()
    assert in_region["total"] == 3
    astana = await territory_id(client, "astana")
    assert (await client.get("/api/organisations", params={"q": marker, "territory_id": astana})).json()["total"] == 0
    by_kind = (await client.get("/api/organisations", params={"q": marker, "kind": "college"})).json()
    assert by_kind["total"] == 0
    # LIKE wildcards in the query are taken literally.
    assert (await client.get("/api/organisations", params={"q": "%"})).json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page_size": 500}, "page_size"),
        ({"sort": "bin"}, "sort"),
        ({"status": "gone"}, "status"),
    ],
)
async def test_list_bad_parameters(client: httpx.AsyncClient, params: dict[str, Any], field: str) -> None:
    response = await client.get("/api/organisations", params=params)
    assert response.status_code == 400
    assert response.json()["field"] == field


async def test_update_suspend_resume(client: httpx.AsyncClient, db: Any, district: str) -> None:
    created = (await client.post("/api/organisations", json=school_payload(district))).json()
    await wait_for_status(client, created["id"], {"active"})
    url = f"/api/organisations/{created['id']}"
    renamed = await client.patch(url, json={"name_en": "Renamed School"})
    assert renamed.status_code == 200 and renamed.json()["name_en"] == "Renamed School"
    bad = await client.patch(url, json={"levels": ["higher"]})
    assert bad.status_code == 422 and bad.json()["field"] == "levels"
    assert (await client.get(url)).json()["levels"] == created["levels"]
    immutable = await client.patch(url, json={"bin": fresh_bin()})
    assert immutable.status_code == 400 and immutable.json()["field"] == "bin"
    assert (await client.patch(url, json={})).status_code == 422
    assert (await client.post(f"{url}/suspend")).json()["status"] == "suspended"
    again = await client.post(f"{url}/suspend")
    assert again.status_code == 409 and again.json()["field"] == "status"
    assert (await client.post(f"{url}/resume")).json()["status"] == "active"
    assert (await client.post(f"{url}/resume")).status_code == 409


async def test_missing_organisation(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-7000-8000-000000000000"
    for method, path in [("GET", ""), ("GET", "/provisioning"), ("POST", "/suspend"), ("POST", "/archive")]:
        response = await client.request(method, f"/api/organisations/{missing}{path}")
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["message"] == "Organisation not found."
