"""The small world the access tests run in, and the callers in it.

Region R1 (Akmola) has district D1 with school A and the district's methodological cabinet C;
region R2 (Aktobe) has district D2 with school B. Names carry a marker of this run, so that a
response body can be searched for another tenant's data.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.access import Grant
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from tests.identity.access.principals import bearer, new_user, republic_id, session_cookie, token_secret
from tests.support import school_payload, wait_for_status


@dataclass
class Org:
    id: UUID
    bin: str
    name_kk: str
    name_ru: str
    name_en: str
    schema_name: str
    territory_id: UUID

    @property
    def markers(self) -> tuple[str, ...]:
        """Strings that only this organisation's data contains."""
        return (str(self.id), self.bin, self.name_kk, self.name_ru, self.name_en, self.schema_name)


@dataclass
class World:
    republic: UUID
    region1: UUID
    region2: UUID
    district1: UUID
    district2: UUID
    a: Org  # school in D1
    b: Org  # school in D2
    cabinet: Org  # district methodological cabinet of D1
    api: Any  # the API's Litestar app (session machinery)
    db: Any
    target_user: UUID | None = None  # a teacher at A whom routes about users name
    _users: dict[tuple[Grant, ...], UUID] = field(default_factory=dict)

    async def user(self, *grants: Grant) -> UUID:
        """A user holding exactly these grants (one per distinct set, made once)."""
        if grants not in self._users:
            self._users[grants] = await new_user(self.db, list(grants))
        return self._users[grants]

    async def session(self, *grants: Grant, revoked: bool = False) -> dict[str, str]:
        """A fresh browser session of the user holding these grants."""
        return await session_cookie(self.api, self.db, await self.user(*grants), revoked=revoked)

    async def token(self, grant: Grant, **kwargs: Any) -> dict[str, str]:
        return bearer(await token_secret(self.db, grant, **kwargs))


async def _district(db: Any, region_slug: str, marker: str, n: int) -> tuple[UUID, UUID]:
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug(region_slug)
        district = await territories.upsert(
            slug=f"access-{marker}-d{n}",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk=f"Қол жеткізу ауданы {n} {marker}",
            name_ru=f"Район доступа {n} {marker}",
            name_en=f"Access District {n} {marker}",
        )
    return region.id, district


async def _org(client: httpx.AsyncClient, payload: dict[str, Any]) -> Org:
    created = await client.post("/api/organisations", json=payload)
    assert created.status_code == 202, created.text
    body = created.json()
    final = await wait_for_status(client, body["id"], {"active", "failed"})
    assert final["status"] == "active", final
    return Org(
        UUID(body["id"]),
        body["bin"],
        body["name_kk"],
        body["name_ru"],
        body["name_en"],
        body["schema_name"],
        UUID(body["territory_id"]),
    )


@pytest.fixture(scope="session")
async def world(app: Any, client: httpx.AsyncClient, db: Any) -> World:
    marker = uuid.uuid4().hex[:8]
    region1, district1 = await _district(db, "akmola", marker, 1)
    region2, district2 = await _district(db, "aktobe", marker, 2)

    def names(label: str) -> dict[str, str]:
        return {
            "name_kk": f"Оқшаулау {label} {marker}",
            "name_ru": f"Изоляция {label} {marker}",
            "name_en": f"Isolation {label} {marker}",
        }

    a = await _org(client, school_payload(str(district1), **names("school A")))
    b = await _org(client, school_payload(str(district2), **names("school B")))
    cabinet = await _org(
        client, school_payload(str(district1), kind="cabinet_district", levels=[], **names("cabinet C"))
    )
    return World(await republic_id(db), region1, region2, district1, district2, a, b, cabinet, app.api, db)


@pytest.fixture
async def anonymous(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no credentials; tests pass headers per request."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


# Rate-limit counters live in the shared store (Redis when REDIS_URL is set) beyond one run: each
# run's addresses are its own.
RUN = uuid.uuid4().hex[:6]


def client_at(app: Any, address: str) -> httpx.AsyncClient:
    """A client seen from its own address, so rate limits of one test do not touch another's."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(f"{address}.{RUN}", 40000)), base_url="http://testserver"
    )
