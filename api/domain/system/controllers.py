from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from api.access import Scope, access
from migrations.runner import CONTROL_DIR, head_revision


@get("/api/health", name="system:health", operation_id="Health", opt=access(Scope.PUBLIC))
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/api/ready", name="system:ready", operation_id="Ready", opt=access(Scope.PUBLIC))
async def ready(state: State) -> Response[dict[str, Any]]:
    """Readiness: the database answers and the control plane is at its migration head."""
    checks: dict[str, Any] = {}
    try:
        async with state.db.engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM public.alembic_version"))
        checks["database"] = "ok"
        checks["migrations"] = "ok" if version == head_revision(CONTROL_DIR) else f"at {version}, head is {head_revision(CONTROL_DIR)}"
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ok = checks.get("database") == "ok" and checks.get("migrations") == "ok"
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)
