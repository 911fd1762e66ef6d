"""Fixtures of the web tests: a national administrator's credential, clients for the pages and
the API, and a district and a town so that schools can be placed.

The pages pass the caller's identity through to the API; here it is the shared national
administrator's API token (tests/conftest.py), which the web client forwards like any credential.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.domain.territories.models import Territory, TerritoryKind
from api.domain.territories.services import TerritoryService
from api.identity.csrf import CSRF_COOKIE, CSRF_HEADER

DISTRICT_SLUG = "web-test-district"
TOWN_SLUG = "web-test-town"


@pytest.fixture(scope="session")
async def places(app: Any, db: Any) -> dict[str, str]:
    """Ids of the republic, a region, and a district and a town of that region (made once)."""
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug("karaganda")
        district = await territories.upsert(
            slug=DISTRICT_SLUG,
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Сынақ ауданы",
            name_ru="Тестовый район",
            name_en="Test District",
        )
        town = await territories.upsert(
            slug=TOWN_SLUG,
            kind=TerritoryKind.TOWN,
            parent_id=region.id,
            name_kk="Сынақ қаласы",
            name_ru="город Тестовый",
            name_en="Test Town",
        )
        republic = await session.scalar(select(Territory.id).where(Territory.slug == "kz"))
    return {"republic": str(republic), "region": str(region.id), "district": str(district), "town": str(town)}


@pytest.fixture
async def web(app: Any, national_admin_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's view: pages, with cookies kept for this test only.

    Like HTMX (hx-headers on <body>), it sends the CSRF token the first page gave it with every
    request that changes data.
    """
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=national_admin_headers
    ) as c:
        first = await c.get("/static/app.css")
        assert first.status_code == 200
        page = await c.get("/territories")
        token = c.cookies.get(CSRF_COOKIE)
        assert token and f'"X-CSRFToken": "{token}"' in page.text
        c.headers[CSRF_HEADER] = token
        yield c


@pytest.fixture
async def api(app: Any, national_admin_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The API directly, as the national administrator (set-up and checks)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=national_admin_headers
    ) as c:
        yield c
