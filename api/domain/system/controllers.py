from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from api.access import Scope, access
from migrations.runner import CONTROL_DIR, head_revision


@get("/api/health", name="system:health", operation_id="Health", opt=access(Scope.PUBLIC))
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


# Readiness answers within a second whatever is down: each check gets this long.
CHECK_TIMEOUT_S = 0.8


async def _database(request: Request[Any, Any, Any]) -> dict[str, str]:
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


async def _redis(request: Request[Any, Any, Any]) -> dict[str, str]:
    status = await request.app.stores.ping()
    return {} if status is None else {"redis": status}


@get("/api/ready", name="system:ready", operation_id="Ready", opt=access(Scope.PUBLIC))
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Readiness, within a second, `checks` naming what is down: 503 `unavailable` when the database
    does not answer or the control plane is not at its migration head; 200 `degraded` when only Redis
    (configured) does not answer — reads and API tokens still work then, so a proxy should keep
    routing here (docs/operations.md); 200 `ok` otherwise."""
    database, redis = await asyncio.gather(_database(request), _redis(request))
    checks: dict[str, Any] = {**database, **redis}
    if database.get("database") != "ok" or database.get("migrations") != "ok":
        return Response({"status": "unavailable", "checks": checks}, status_code=503)
    status = "ok" if redis.get("redis", "ok") == "ok" else "degraded"
    return Response({"status": status, "checks": checks}, status_code=200)
