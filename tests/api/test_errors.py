"""Failures the services cannot foresee still answer in the one error format, never a bare 500."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from tests.support import school_payload, territory_id, wait_for_status


async def test_a_schema_behind_the_code_reads_as_not_ready(client: httpx.AsyncClient, db: Any) -> None:
    region = await territory_id(client, "karaganda")
    created = await client.post(
        "/api/organisations", json={**school_payload(region), "kind": "college", "levels": ["technical_vocational"]}
    )
    org = created.json()
    await wait_for_status(client, org["id"], {"active"})
    async with db.engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {org['schema_name']}.unit CASCADE"))
    answer = await client.get(f"/api/organisations/{org['id']}/units")
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert set(body) == {"status", "message", "field", "clause"}
    assert "brought up to date" in body["message"]
