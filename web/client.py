"""The one client the web app uses to reach the API.

In the single-process run it speaks to the API app in process (httpx's ASGI transport); deployed
apart, over the network to METODIST_API_URL. Either way it is plain HTTP with the user's language
and identity passed along, and API errors come back as `ApiError` in the API's one error format.

`caller_headers` is the one place that decides what of the browser's request goes to the API.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from uuid import UUID

import httpx
import msgspec

from api.paging import Page

T = TypeVar("T")

# Identity travels as the browser sent it: the session cookie or a bearer token.
FORWARDED_HEADERS: tuple[str, ...] = ("cookie", "authorization")


def caller_headers(request_headers: Mapping[str, str], locale: str) -> dict[str, str]:
    """The headers every API call made for this browser request carries."""
    headers = {"accept-language": locale}
    for name in FORWARDED_HEADERS:
        value = request_headers.get(name)
        if value:
            headers[name] = value
    return headers


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """Several API calls at once, answered as if they had been made one after the other: when some
    fail, the first failure in the order given is raised, whichever came back first. So a page
    always answers the same (an organisation that is not yours is "not found", never the 403 of a
    list fetched beside it), where `asyncio.gather` would raise whichever error arrived first."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


@dataclass
class ApiError(Exception):
    status: int
    message: str
    field: str | None = None
    clause: str | None = None


class Territory(msgspec.Struct):
    id: UUID
    slug: str
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    parent_id: UUID | None = None
    children: list[Territory] = msgspec.field(default_factory=list)


class Organisation(msgspec.Struct):
    id: UUID
    kind: str
    levels: list[str]
    territory_id: UUID
    bin: str
    name_kk: str
    name_ru: str
    name_en: str | None
    schema_name: str
    status: str
    status_reason: str | None
    schema_version: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    provisioned_at: datetime.datetime | None
    archived_at: datetime.datetime | None


class Provisioning(msgspec.Struct):
    id: UUID
    status: str
    status_reason: str | None
    schema_version: str | None
    provisioned_at: datetime.datetime | None


class OrganisationQuery(msgspec.Struct, omit_defaults=True):
    territory_id: UUID | None = None
    kind: str | None = None
    status: str | None = None
    q: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 20

    def params(self) -> dict[str, str]:
        return {k: str(v) for k, v in msgspec.structs.asdict(self).items() if v not in (None, "")}


OrganisationAction = Literal["suspend", "resume", "archive", "provision"]


class ApiClient:
    def __init__(self, http: httpx.AsyncClient, headers: Mapping[str, str] | None = None) -> None:
        self.http = http
        self.headers = dict(headers or {})

    @classmethod
    def in_process(cls, api_app: Any) -> ApiClient:
        return cls(httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://api.internal"))

    @classmethod
    def remote(cls, base_url: str) -> ApiClient:
        return cls(httpx.AsyncClient(base_url=base_url, timeout=30))

    def bound(self, headers: Mapping[str, str]) -> ApiClient:
        """The same connection, speaking for one caller (see `caller_headers`)."""
        return ApiClient(self.http, {**self.headers, **headers})

    async def send(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        response = await self.http.request(method, path, headers={**self.headers, **(headers or {})}, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            raise ApiError(
                response.status_code,
                str(body.get("message") or response.reason_phrase),
                body.get("field"),
                body.get("clause"),
            )
        return response

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.send(method, path, **kwargs)
        return response.json() if response.content else None

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, **kwargs)

    async def _typed(self, kind: type[T], method: str, path: str, **kwargs: Any) -> T:
        response = await self.send(method, path, **kwargs)
        return msgspec.json.decode(response.content, type=kind)

    # --- the calls the pages make ---

    async def territories(self) -> list[Territory]:
        return await self._typed(list[Territory], "GET", "/api/territories")

    async def organisations(self, query: OrganisationQuery) -> Page[Organisation]:
        return await self._typed(Page[Organisation], "GET", "/api/organisations", params=query.params())

    async def organisation(self, organisation_id: UUID) -> Organisation:
        return await self._typed(Organisation, "GET", f"/api/organisations/{organisation_id}")

    async def provisioning(self, organisation_id: UUID) -> Provisioning:
        return await self._typed(Provisioning, "GET", f"/api/organisations/{organisation_id}/provisioning")

    async def create_organisation(self, payload: Mapping[str, Any]) -> Organisation:
        return await self._typed(Organisation, "POST", "/api/organisations", json=dict(payload))

    async def organisation_action(self, organisation_id: UUID, action: OrganisationAction) -> Organisation:
        return await self._typed(Organisation, "POST", f"/api/organisations/{organisation_id}/{action}")

    async def aclose(self) -> None:
        await self.http.aclose()
