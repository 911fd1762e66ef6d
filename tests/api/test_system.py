from __future__ import annotations

import os

import httpx

from tests.support import school_payload, territory_id, wait_for_status


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/health")).json() == {"status": "ok"}
    ready = await client.get("/api/ready")
    assert ready.status_code == 200
    expected = {"database": "ok", "migrations": "ok"}
    if os.environ.get("REDIS_URL"):
        expected["redis"] = "ok"
    assert ready.json() == {"status": "ok", "checks": expected}


async def test_create_school_becomes_active(client: httpx.AsyncClient) -> None:
    district = await territory_id(client, "kz")
    assert district
    region = await territory_id(client, "karaganda")
    created = await client.post(
        "/api/organisations",
        json={**school_payload(region), "kind": "college", "levels": ["technical_vocational"]},
    )
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "provisioning"
    final = await wait_for_status(client, created.json()["id"], {"active", "failed"})
    assert final["status"] == "active", final
    assert final["schema_version"]
