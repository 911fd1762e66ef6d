"""The two servers `bench/api.py` compares, each run in a process of its own:

    python bench/api_servers.py product URL PORT
    python bench/api_servers.py bare URL PORT

`product` is the application as `metodist serve` runs it (API and web on one port, uvicorn, no
worker). `bare` is the least a server can do to answer the same staff list: Litestar, an asyncpg
pool, the organisation's schema known in advance, the staff list's three statements, the same
JSON. Both run under the same uvicorn settings and pool size.

With `BENCH_COUNT=1` each counts, for the requests that carry `X-Bench-Count: 1`, the round trips
to PostgreSQL (every asyncpg call that sends a query and waits for its answer) and the pool
checkouts, and answers the totals at `GET /__bench/counts`. Counting costs time, so the benchmark
counts in a separate, short run.

The product server also makes browser sessions for the pages' measurement (bench/api_pages.py):
`GET /__bench/session?user_id=…` starts one as a sign-in leaves it and answers the cookie. And a
request with `X-Bench-Trace: 1` has the API calls the web app's client makes for it listed
(method and path with query), answered, and cleared, at `GET /__bench/calls`.
"""

from __future__ import annotations

import contextvars
import datetime
import os
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from litestar import Response

ROOT = Path(__file__).resolve().parent.parent
# The project's `api` package, not bench/api.py beside this file.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

COUNT_HEADER = b"x-bench-count"
TRACE_HEADER = b"x-bench-trace"
_counting: contextvars.ContextVar[bool] = contextvars.ContextVar("bench_counting", default=False)
_tracing: contextvars.ContextVar[list[dict[str, str]] | None] = contextvars.ContextVar("bench_tracing", default=None)
COUNTS = {"requests": 0, "round_trips": 0, "checkouts": 0}
TRACED: list[dict[str, str]] = []


def _count_round_trips() -> None:
    """Wraps the asyncpg calls that each make one round trip (a simple query, a prepare, a bound
    execute); BEGIN/COMMIT/ROLLBACK go through `Connection.execute` and are counted there."""
    import asyncpg.connection
    import asyncpg.prepared_stmt

    def wrap(cls: Any, name: str) -> None:
        original = getattr(cls, name)

        async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            if _counting.get():
                COUNTS["round_trips"] += 1
                token = _counting.set(False)  # an inner call of the same round trip is not counted again
                try:
                    return await original(self, *args, **kwargs)
                finally:
                    _counting.reset(token)
            return await original(self, *args, **kwargs)

        setattr(cls, name, counted)

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare"):
        wrap(asyncpg.connection.Connection, name)
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        wrap(asyncpg.prepared_stmt.PreparedStatement, name)


def _trace_api_calls() -> None:
    """Wraps the web app's one API client (web.client.ApiClient.send), which every page's call
    goes through, to note each call of a traced request."""
    import httpx

    from web.client import ApiClient

    original = ApiClient.send

    async def send(self: Any, method: str, path: str, **kwargs: Any) -> Any:
        calls = _tracing.get()
        if calls is not None:
            url = httpx.URL(path, params=kwargs.get("params"))
            calls.append({"method": method, "path": url.raw_path.decode()})
        return await original(self, method, path, **kwargs)

    ApiClient.send = send  # type: ignore[method-assign]


async def _session_cookie(api: Any, user_id: UUID) -> str:
    """A browser session of the user, as sign-in leaves it (index row + store entry), as the
    access tests make theirs (tests/identity/access/principals.py)."""
    from api.identity.sessions import SESSION_COOKIE, SessionManager

    manager = SessionManager.of(api)
    async with api.state.db.session() as session:
        token, payload = await manager.start(
            session, user_id=user_id, provider="bench", id_token=None, user_agent="bench", ip_address=None
        )
        await session.commit()
    await manager.activate(token, payload)
    return f"{SESSION_COOKIE}={token}"


async def _answer(send: Any, body: bytes, media_type: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", media_type)]})
    await send({"type": "http.response.body", "body": body})


class Counting:
    """ASGI wrapper: marks counted and traced requests, serves the totals and the traced calls,
    and makes sessions (the product only)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        import json

        if scope["type"] == "http" and scope["path"] == "/__bench/counts":
            await _answer(send, json.dumps(COUNTS).encode())
            return
        if scope["type"] == "http" and scope["path"] == "/__bench/calls":
            body = json.dumps(TRACED).encode()
            TRACED.clear()
            await _answer(send, body)
            return
        if scope["type"] == "http" and scope["path"] == "/__bench/session":
            from urllib.parse import parse_qs

            user_id = UUID(parse_qs(scope["query_string"].decode())["user_id"][0])
            await _answer(send, (await _session_cookie(self.app.api, user_id)).encode(), b"text/plain")
            return
        if scope["type"] == "http" and any(k == TRACE_HEADER for k, _ in scope.get("headers", [])):
            token = _tracing.set(TRACED)
            try:
                await self.app(scope, receive, send)
            finally:
                _tracing.reset(token)
            return
        if scope["type"] == "http" and any(k == COUNT_HEADER for k, _ in scope.get("headers", [])):
            COUNTS["requests"] += 1
            token = _counting.set(True)
            try:
                await self.app(scope, receive, send)
            finally:
                _counting.reset(token)
            return
        await self.app(scope, receive, send)


def product_app(url: str) -> Any:
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    from api.asgi import create_app
    from api.logs import configure_logging
    from api.settings import Settings

    if os.environ.get("BENCH_COUNT"):
        _count_round_trips()

        @event.listens_for(Pool, "checkout")
        def _checkout(*_: Any) -> None:
            if _counting.get():
                COUNTS["checkouts"] += 1

    _trace_api_calls()
    settings = Settings.from_env()
    configure_logging(json=settings.log_json)
    return create_app(settings, url, run_worker=False)


# --- the bare server -------------------------------------------------------------------------

# The statements the product's staff list runs (api/domain/structure/services.py, StaffService.list),
# as SQLAlchemy renders them for asyncpg, with the schema written in.
COUNT_SQL = (
    "SELECT count(*) AS count_1 FROM (SELECT {s}.staff.id AS id, {s}.staff.full_name AS full_name, "
    "{s}.staff.iin AS iin, {s}.staff.user_id AS user_id, {s}.staff.email AS email, {s}.staff.positions AS positions, "
    "{s}.staff.unit_id AS unit_id, {s}.staff.heads_unit_id AS heads_unit_id, "
    "{s}.staff.qualification_category AS qualification_category, "
    "{s}.staff.supervised_subject_ids AS supervised_subject_ids, {s}.staff.note AS note, "
    "{s}.staff.archived_at AS archived_at, {s}.staff.sa_orm_sentinel AS sa_orm_sentinel, "
    "{s}.staff.created_at AS created_at, {s}.staff.updated_at AS updated_at FROM {s}.staff "
    "WHERE {s}.staff.archived_at IS NULL) AS anon_1"
)
PAGE_SQL = (
    "SELECT {s}.staff.id, {s}.staff.full_name, {s}.staff.iin, {s}.staff.user_id, {s}.staff.email, "
    "{s}.staff.positions, {s}.staff.unit_id, {s}.staff.heads_unit_id, {s}.staff.qualification_category, "
    "{s}.staff.supervised_subject_ids, {s}.staff.note, {s}.staff.archived_at, {s}.staff.sa_orm_sentinel, "
    "{s}.staff.created_at, {s}.staff.updated_at FROM {s}.staff WHERE {s}.staff.archived_at IS NULL "
    "ORDER BY {s}.staff.full_name, {s}.staff.id LIMIT $1::INTEGER OFFSET $2::INTEGER"
)
SUBJECTS_SQL = (
    "SELECT {s}.staff_subject.staff_id, {s}.staff_subject.subject_id FROM {s}.staff_subject "
    "WHERE {s}.staff_subject.staff_id = ANY ($1::UUID[])"
)


def bare_app(url: str) -> Any:
    import asyncpg
    import msgspec
    from litestar import Litestar, get

    from api.db import libpq_dsn
    from api.settings import Settings

    settings = Settings.from_env()
    state: dict[str, Any] = {}
    counting = bool(os.environ.get("BENCH_COUNT"))
    if counting:
        _count_round_trips()

    class StaffItem(msgspec.Struct):
        id: UUID
        full_name: str
        user_id: UUID | None
        email: str | None
        positions: list[str]
        unit_id: UUID | None
        heads_unit_id: UUID | None
        qualification_category: str | None
        subject_ids: list[UUID]
        supervised_subject_ids: list[UUID]
        note: str | None
        archived_at: datetime.datetime | None

    class StaffPage(msgspec.Struct):
        items: list[StaffItem]
        total: int
        page: int
        page_size: int

    async def start() -> None:
        state["pool"] = await asyncpg.create_pool(
            libpq_dsn(url),
            min_size=1,
            max_size=settings.pool_size * 2,
            statement_cache_size=settings.statement_cache_size,
        )
        async with state["pool"].acquire() as conn:
            rows = await conn.fetch("SELECT id, schema_name FROM public.organisation WHERE status = 'active'")
        state["schemas"] = {r["id"]: r["schema_name"] for r in rows}

    async def stop() -> None:
        await state["pool"].close()

    @get("/api/organisations/{organisation_id:uuid}/staff")
    async def staff(organisation_id: UUID, page: int = 1, page_size: int = 50) -> Response[bytes]:
        s = state["schemas"][organisation_id]
        if counting and _counting.get():
            COUNTS["checkouts"] += 1
        async with state["pool"].acquire() as conn:
            total = await conn.fetchval(COUNT_SQL.format(s=s))
            rows = await conn.fetch(PAGE_SQL.format(s=s), page_size, (page - 1) * page_size)
            ids = [r["id"] for r in rows]
            subjects: dict[UUID, list[UUID]] = {i: [] for i in ids}
            for link in await conn.fetch(SUBJECTS_SQL.format(s=s), ids) if ids else []:
                subjects[link["staff_id"]].append(link["subject_id"])
        items = [
            StaffItem(
                r["id"],
                r["full_name"],
                r["user_id"],
                r["email"],
                list(r["positions"]),
                r["unit_id"],
                r["heads_unit_id"],
                r["qualification_category"],
                sorted(subjects[r["id"]], key=str),
                list(r["supervised_subject_ids"] or []),
                r["note"],
                r["archived_at"],
            )
            for r in rows
        ]
        body = msgspec.json.encode(StaffPage(items, total, page, page_size))
        return Response(body, media_type="application/json")

    return Litestar([staff], on_startup=[start], on_shutdown=[stop], debug=False)


def main() -> None:
    import uvicorn

    kind, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = product_app(url) if kind == "product" else bare_app(url)
    # The same server settings for both: `metodist serve`'s (one process, uvicorn's defaults).
    uvicorn.run(Counting(app), host="127.0.0.1", port=port, log_level="warning", access_log=False, log_config=None)


if __name__ == "__main__":
    main()
