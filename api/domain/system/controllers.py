from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get

from api.access import Scope, access
from api.domain.system.readiness import database_check, redis_check


@get("/api/health", name="system:health", operation_id="Health", opt=access(Scope.PUBLIC))
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/api/ready", name="system:ready", operation_id="Ready", opt=access(Scope.PUBLIC))
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Readiness, within a second, `checks` naming what is down: 503 `unavailable` when the database
    does not answer or the control plane is not at its migration head; 200 `degraded` when only Redis
    (configured) does not answer — reads and API tokens still work then, so a proxy should keep
    routing here (docs/operations.md); 200 `ok` otherwise."""
    database, redis = await asyncio.gather(database_check(request), redis_check(request))
    checks: dict[str, Any] = {**database, **redis}
    if database.get("database") != "ok" or database.get("migrations") != "ok":
        return Response({"status": "unavailable", "checks": checks}, status_code=503)
    status = "ok" if redis.get("redis", "ok") == "ok" else "degraded"
    return Response({"status": status, "checks": checks}, status_code=200)
