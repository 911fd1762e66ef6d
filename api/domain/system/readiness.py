"""What readiness asks of the database and Redis, each check bounded in time."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request
from sqlalchemy import text

from migrations.runner import CONTROL_DIR, head_revision

# Readiness answers within a second whatever is down: each check gets this long.
CHECK_TIMEOUT_S = 0.8


async def database_check(request: Request[Any, Any, Any]) -> dict[str, str]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            async with request.app.state.db.engine.connect() as conn:
                version = await conn.scalar(text("SELECT version_num FROM public.alembic_version"))
    except TimeoutError:
        return {"database": f"unreachable: no answer in {CHECK_TIMEOUT_S} s"}
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        return {"database": f"unreachable: {type(exc).__name__}"}
    head = head_revision(CONTROL_DIR)
    return {"database": "ok", "migrations": "ok" if version == head else f"at {version}, head is {head}"}


async def redis_check(request: Request[Any, Any, Any]) -> dict[str, str]:
    status = await request.app.stores.ping()
    return {} if status is None else {"redis": status}
