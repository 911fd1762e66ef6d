"""One connection per API request (api.db.RequestConnection): given back whatever happened, and
bound to one organisation's schema for that request only."""

from __future__ import annotations

import dataclasses
import uuid
import warnings
from typing import Any

import httpx

from tests.structure.conftest import Region
from tests.support import AsgiLifespan


async def test_each_request_gives_its_one_connection_back_and_keeps_its_schema_to_itself(
    settings: Any, database_url: str, national_admin_headers: dict[str, str], region: Region
) -> None:
    from api.asgi import create_app

    # A pool of one (and one overflow): requests for two schools take turns on the same connection.
    own = dataclasses.replace(settings, pool_size=1)
    app = create_app(own, database_url, run_worker=False)
    async with (
        AsgiLifespan(app) as dispatcher,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=dispatcher),
            base_url="http://testserver",
            headers=national_admin_headers,  # type: ignore[arg-type]
        ) as http,
    ):
        pool = app.api.state.db.engine.pool
        # A connection a request forgot would still reach the pool when its last reference goes,
        # with SQLAlchemy's warning that it was not checked in: the warning is what tells.
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            one, two = region.school, region.school2
            made = {}
            for place in (one, two):
                answer = await http.post(
                    f"{place.base}/subjects",
                    json={
                        "code": f"rc_{uuid.uuid4().hex[:8]}",
                        "name_kk": f"Пән {place.name_ru}",
                        "name_ru": f"Предмет {place.name_ru}",
                    },
                )
                assert answer.status_code == 201, answer.text
                made[place.id] = answer.json()["code"]
            for place, other in ((one, two), (two, one), (one, two)):
                listed = await http.get(f"{place.base}/subjects", params={"page_size": 200})
                assert listed.status_code == 200, listed.text
                codes = {s["code"] for s in listed.json()["items"]}
                assert made[place.id] in codes and made[other.id] not in codes
            # A refused write, a write the database refuses, a guard's 404 and a read: none keeps a connection.
            refused = await http.post(
                f"{one.base}/subjects", json={"code": "Not a code", "name_kk": "x", "name_ru": "x"}
            )
            assert refused.status_code == 400
            duplicate = await http.post(
                f"{one.base}/subjects", json={"code": made[one.id], "name_kk": "x", "name_ru": "x"}
            )
            assert duplicate.status_code == 409
            assert (await http.get(f"/api/organisations/{uuid.uuid4()}/staff")).status_code == 404
            assert (await http.get("/api/organisations", params={"page_size": 5})).status_code == 200
        assert pool.checkedout() == 0
        assert not [w for w in seen if "non-checked-in" in str(w.message)], [str(w.message) for w in seen]
