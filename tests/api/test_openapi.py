"""The OpenAPI document: served with a local viewer, and docs/openapi.json is the current one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from api.openapi_doc import render_openapi


async def test_openapi_served_with_local_viewer(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/organisations" in document["paths"]
    viewer = await client.get("/api/schema")
    assert viewer.status_code == 200
    assert "/api/schema/assets/swagger-ui-bundle.js" in viewer.text
    # The viewer's assets come from this server, not from the network.
    assert "https://" not in viewer.text.split("<body")[0]
    asset = await client.get("/api/schema/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000


def test_docs_openapi_is_current(project_root: Path) -> None:
    committed = (project_root / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(render_openapi()), "run `make openapi` and commit docs/openapi.json"
