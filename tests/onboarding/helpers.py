from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx


async def upload(
    client: httpx.AsyncClient, content: bytes, name: str, *, path: str = "/api/imports/organisations", lang: str = "en"
) -> httpx.Response:
    return await client.post(
        path, files={"file": (name, content, "application/octet-stream")}, headers={"accept-language": lang}
    )


async def checked(client: httpx.AsyncClient, content: bytes, name: str, **kwargs: Any) -> dict[str, Any]:
    response = await upload(client, content, name, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


async def rows(
    client: httpx.AsyncClient, job_id: str, state: str | None = None, lang: str = "en"
) -> list[dict[str, Any]]:
    params = {"page_size": "1000", **({"state": state} if state else {})}
    response = await client.get(f"/api/imports/{job_id}/rows", params=params, headers={"accept-language": lang})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def run_to_end(client: httpx.AsyncClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    started = await client.post(f"/api/imports/{job_id}/start")
    assert started.status_code == 202, started.text
    return await wait_done(client, job_id, timeout)


async def wait_done(client: httpx.AsyncClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = (await client.get(f"/api/imports/{job_id}")).json()
        if body["status"] in ("done", "failed"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"import {job_id} stayed {body['status']}: {body}")
        await asyncio.sleep(0.2)
