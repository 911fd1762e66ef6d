"""The OpenAPI document as a file, so docs/openapi.json stays the API's own description."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.app import create_api_app
from api.settings import Settings


def openapi_document() -> dict[str, Any]:
    # Building the app touches no database: the URL is only used when the lifespan starts.
    app = create_api_app(Settings(), "postgresql://unused@127.0.0.1/unused", run_worker=False)
    return app.openapi_schema.to_schema()


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_openapi(target: str | Path) -> None:
    Path(target).write_text(render_openapi(), encoding="utf-8")
