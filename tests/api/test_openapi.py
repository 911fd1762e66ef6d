"""The OpenAPI document: served with a local viewer, and docs/openapi.json is the current one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from api.openapi_doc import render_openapi


async def test_openapi_served_with_local_viewer(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/organisations" in document["paths"]
    # What is served is the completed document (declared errors, closed bodies), as in docs/.
    assert document == json.loads(render_openapi())
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


def test_every_error_is_declared_with_the_one_error_body() -> None:
    from api.openapi_doc import openapi_document

    document = openapi_document()
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["clause", "field", "message", "status"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            errors = {int(code) for code in responses if int(code) >= 400}
            assert {400, 404, 422, 429} <= errors, (method, path)
            if not path.startswith(("/api/health", "/api/ready", "/api/auth/", "/api/schema")):
                assert {401, 403} <= errors, (method, path)
            for code in errors - {502}:  # 502: only sign-in's HTML page, when the provider fails
                content = responses[str(code)]["content"]
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (
                    method,
                    path,
                    code,
                )
            body = operation.get("requestBody")
            if body and "application/json" in body["content"]:
                assert {409, 413, 415} <= errors, (method, path)
                schema = body["content"]["application/json"]["schema"]
                ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
                # Unknown fields are refused (400), and the document says so.
                assert schemas[ref.rsplit("/", 1)[-1]]["additionalProperties"] is False, (method, path)
