"""Bad input answers a 4xx in the one error format, writes nothing and never stalls the server.

Each case here once answered 500, and each 500 spent seconds of the event loop rendering a
traceback with local variables (request data among them) into the log while every other request
waited: a NUL in a search or a name, invalid UTF-8, JSON nested 1,000 deep, a page number beyond
any integer, a body sent as another media type.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.domain.organisations.models import Organisation
from tests.support import school_payload, territory_id, wait_for_status

ERROR_KEYS = {"status", "message", "field", "clause"}


def _college(region: str, **overrides: Any) -> dict[str, Any]:
    return {**school_payload(region), "kind": "college", "levels": ["technical_vocational"], **overrides}


def _refused(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["status"] == status and body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


async def _organisations(db: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Organisation)) or 0)


@pytest.fixture(scope="module")
async def college(client: httpx.AsyncClient) -> str:
    """An active college's API path, for the tenant routes."""
    region = await territory_id(client, "karaganda")
    created = (await client.post("/api/organisations", json=_college(region))).json()
    await wait_for_status(client, created["id"], {"active"})
    return f"/api/organisations/{created['id']}"


@pytest.mark.parametrize("path", ["", "/subjects", "/staff", "/councils", "/units"])
@pytest.mark.parametrize("value", ["a\x00b", "\u202eevil", "line\nbreak"])
async def test_control_characters_in_a_search_are_refused(
    client: httpx.AsyncClient, college: str, path: str, value: str
) -> None:
    url = f"{college}{path}" if path else "/api/organisations"
    body = _refused(await client.get(url, params={"q": value}), 400, "q")
    assert "Control characters" in body["message"]


@pytest.mark.parametrize("page", ["9223372036854775807", "9223372036854775808", str(10**30), "0", "-1"])
async def test_page_numbers_out_of_range_are_refused(client: httpx.AsyncClient, college: str, page: str) -> None:
    for url in ("/api/organisations", f"{college}/subjects", f"{college}/documents"):
        _refused(await client.get(url, params={"page": page}), 400, "page")


async def test_the_last_page_allowed_is_just_empty(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/organisations", params={"page": 100_000})
    assert answer.status_code == 200 and answer.json()["items"] == []


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Колледж\x00", "NUL"),
        ("Колледж \u202eлеб", "right-to-left override"),
        ("Кол\u2066ледж", "isolate"),
        ("Колледж\x1b[31m", "escape"),
        ("Колледж\nдва", "line break"),
        ("Колледж\x85", "C1 control"),
    ],
)
async def test_control_and_bidi_characters_in_names_are_refused(
    client: httpx.AsyncClient, db: Any, name: str, why: str
) -> None:
    region = await territory_id(client, "karaganda")
    before = await _organisations(db)
    body = _refused(await client.post("/api/organisations", json=_college(region, name_ru=name)), 400, "name_ru")
    assert "bidirectional" in body["message"], why
    assert await _organisations(db) == before


async def test_names_in_tenant_bodies_refuse_them_too(client: httpx.AsyncClient, college: str) -> None:
    _refused(
        await client.post(f"{college}/staff", json={"full_name": "A\u202eB", "positions": ["teacher"]}),
        400,
        "full_name",
    )
    _refused(await client.post(f"{college}/units", json={"name": "Unit\x00", "kind": "department"}), 400, "name")
    # A multi-line text keeps its line breaks and tabs, but not a NUL.
    staff = {"full_name": f"Person {uuid.uuid4().hex[:6]}", "positions": ["teacher"]}
    ok = await client.post(f"{college}/staff", json={**staff, "note": "first line\n\tsecond line"})
    assert ok.status_code == 201, ok.text
    _refused(await client.post(f"{college}/staff", json={**staff, "note": "a\x00b"}), 400, "note")


async def test_a_value_only_the_database_refuses_is_a_400(client: httpx.AsyncClient, college: str) -> None:
    """The e-mail pattern lets a NUL through; PostgreSQL cannot store it. The safety net answers 400."""
    staff = {"full_name": f"Person {uuid.uuid4().hex[:6]}", "positions": ["teacher"], "email": "a\x00b@school.kz"}
    body = _refused(await client.post(f"{college}/staff", json=staff), 400)
    assert "cannot be stored" in body["message"]


@pytest.mark.parametrize(
    "raw",
    [b'{"kind": "\xff\xfe"}', b"\xc3\x28", b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000],
    ids=["invalid-utf8-in-string", "invalid-utf8", "array-1000-deep", "object-1000-deep"],
)
async def test_bodies_that_are_not_json_are_refused(client: httpx.AsyncClient, db: Any, raw: bytes) -> None:
    before = await _organisations(db)
    body = _refused(
        await client.post("/api/organisations", content=raw, headers={"content-type": "application/json"}), 400
    )
    assert "not valid JSON" in body["message"]
    assert await _organisations(db) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None])
async def test_a_json_body_of_another_media_type_is_415(
    client: httpx.AsyncClient, db: Any, content_type: str | None
) -> None:
    region = await territory_id(client, "karaganda")
    before = await _organisations(db)
    headers = {"content-type": content_type} if content_type else {}
    request = client.build_request(
        "POST", "/api/organisations", content=json.dumps(_college(region)).encode(), headers=headers
    )
    assert content_type is not None or "content-type" not in request.headers
    body = _refused(await client.send(request), 415)
    assert "application/json" in body["message"]
    assert await _organisations(db) == before


async def test_json_with_a_charset_is_still_json(client: httpx.AsyncClient) -> None:
    region = await territory_id(client, "karaganda")
    answer = await client.post(
        "/api/organisations",
        content=json.dumps(_college(region)).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert answer.status_code == 202, answer.text


async def test_unknown_fields_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    region = await territory_id(client, "karaganda")
    _refused(await client.post("/api/organisations", json={**_college(region), "is_admin": True}), 400, "is_admin")


async def test_405_names_the_allowed_methods(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/api/organisations")
    _refused(answer, 405)
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_archiving_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    region = await territory_id(client, "karaganda")
    created = (await client.post("/api/organisations", json=_college(region))).json()
    await wait_for_status(client, created["id"], {"active"})
    first = await client.post(f"/api/organisations/{created['id']}/archive")
    assert first.status_code == 202, first.text
    body = _refused(await client.post(f"/api/organisations/{created['id']}/archive"), 409, "status")
    assert "archiv" in body["message"]
    await wait_for_status(client, created["id"], {"archived"}, timeout=60)
    _refused(await client.post(f"/api/organisations/{created['id']}/archive"), 409, "status")
