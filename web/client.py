"""The one client the web app uses to reach the API.

In the single-process run it speaks to the API app in process (httpx's ASGI transport); deployed
apart, over the network to METODIST_API_URL. Either way it is plain HTTP with the user's language
and identity passed along, and API errors come back as `ApiError` in the API's one error format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class ApiError(Exception):
    status: int
    message: str
    field: str | None = None
    clause: str | None = None


class ApiClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    def in_process(cls, api_app: Any) -> ApiClient:
        return cls(httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://api.internal"))

    @classmethod
    def remote(cls, base_url: str) -> ApiClient:
        return cls(httpx.AsyncClient(base_url=base_url, timeout=30))

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ApiError(
                response.status_code,
                str(body.get("message") or response.reason_phrase),
                body.get("field"),
                body.get("clause"),
            )
        return response.json() if response.content else None

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, **kwargs)

    async def aclose(self) -> None:
        await self.http.aclose()
