"""A 500 is logged once, on one short line, without local variables or the request's values.

structlog's default renderer prints `exc_info` as a rich traceback with every frame's locals: one
500 rendered ~158 KB and held the event loop for seconds (every other request waited), and copied
whatever the frames held (request data, tokens) into the log.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from api.domain.territories.services import TerritoryService

SECRET = "do-not-log-" + uuid.uuid4().hex


async def _failing_get(self: TerritoryService, territory_id: Any) -> Any:
    bulky = ["x" * 100] * 2_000  # noqa: F841 - a large local: it must not reach the log
    token = SECRET  # noqa: F841 - nor must a sensitive one
    raise RuntimeError("a fault the services did not foresee")


async def test_a_500_is_logged_once_briefly_without_locals(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TerritoryService, "get", _failing_get)
    with capture_logs() as logs:
        answer = await client.get(f"/api/territories/{uuid.uuid4()}", params={"q": SECRET})
    assert answer.status_code == 500
    assert answer.json() == {"status": 500, "message": "Internal server error.", "field": None, "clause": None}

    errors = [entry for entry in logs if entry.get("log_level") in ("error", "exception", "critical")]
    assert len(errors) == 1, logs
    entry = errors[0]
    assert entry["event"] == "unhandled error" and entry["error"] == "RuntimeError"
    assert "exc_info" not in entry and "exception" not in entry
    assert "services" in entry["at"] or "test_error_logging" in entry["at"]  # where it was raised
    # Rendered as structlog renders by default, it stays one short line with nothing of the request's.
    line = structlog.dev.ConsoleRenderer(colors=False)(None, "error", dict(entry))
    assert len(line) < 1_000 and "\n" not in line.strip()
    assert SECRET not in line and "xxxxxxxx" not in line


async def test_a_web_page_500_is_logged_the_same_way(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.client import ApiClient

    async def failing_territories(self: ApiClient) -> Any:
        token = SECRET  # noqa: F841 - a sensitive local: it must not reach the log
        raise RuntimeError("a fault the page did not foresee")

    monkeypatch.setattr(ApiClient, "territories", failing_territories)
    with capture_logs() as logs:
        answer = await client.get("/organisations/new", params={"q": SECRET})
    assert answer.status_code == 500
    errors = [entry for entry in logs if entry.get("log_level") in ("error", "exception", "critical")]
    assert len(errors) == 1 and errors[0]["error"] == "RuntimeError", logs
    assert "exc_info" not in errors[0]
    line = structlog.dev.ConsoleRenderer(colors=False)(None, "error", dict(errors[0]))
    assert len(line) < 1_000 and SECRET not in line
