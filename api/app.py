"""The API application: `create_api_app(...)` assembles routes, dependencies, errors and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
import swagger_ui_bundle
from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Operation
from litestar.static_files import create_static_files_router

from api import idempotency
from api.access import PERSON_ONLY_EXTENSION, Scope, access, is_person_only
from api.db import Database, create_engine
from api.dependencies import dependencies
from api.domain.compliance.engine import ensure_default_rule_set
from api.domain.documents.storage import build_file_store
from api.errors import exception_handlers
from api.identity.guards import access_guard
from api.identity.middleware import AuthenticationMiddleware, RequestConnectionMiddleware
from api.identity.ratelimit import RateLimitMiddleware
from api.identity.stores import build_stores
from api.job_queue import build_queue
from api.jobs import Jobs
from api.metrics import metrics, prometheus_config
from api.openapi_declared import complete_openapi
from api.request_checks import check_request
from api.routes import route_handlers
from api.settings import Settings

log = structlog.get_logger()

API_TITLE = "Metodist API"
API_VERSION = "0.1.0"
_ASSETS = "/api/schema/assets"


def openapi_config() -> OpenAPIConfig:
    # The viewer's scripts are served from the installed bundle: nothing is fetched from outside.
    swagger = SwaggerRenderPlugin(
        js_url=f"{_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{_ASSETS}/favicon-32x32.png'>",
        path="/",
    )
    return OpenAPIConfig(
        title=API_TITLE,
        version=API_VERSION,
        description=(
            "Educational- and scientific-methodological work of Kazakhstan's education organisations "
            "(Rules approved by order No. 583). Errors always come as "
            '`{"status", "message", "field", "clause"}`.'
        ),
        path="/api/schema",
        render_plugins=[swagger, JsonRenderPlugin(path="/openapi.json")],
        # The API's description is public; declared like every other route (api.access).
        openapi_router=Router("/api/schema", route_handlers=[], include_in_schema=False, opt=access(Scope.PUBLIC)),
    )


def create_api_app(
    settings: Settings, database_url: str, *, run_worker: bool = True, owner_url: str | None = None
) -> Litestar:
    """The API on `database_url` (the application's role). Background jobs — building, renaming
    and dropping schemas — run on `owner_url` when given (api.db_roles), else on the same."""
    settings.check_safe()  # production refuses a missing, default or weak secret key
    stores = build_stores(settings)
    # Built now so that a misconfigured file store (METODIST_FILE_STORE=s3 without a bucket) stops the start.
    file_store = build_file_store(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = Database(create_engine(settings, database_url), citus=settings.citus)
        jobs_url = owner_url or database_url
        jobs_db = (
            Database(create_engine(settings, jobs_url), citus=settings.citus)
            if owner_url and owner_url != database_url
            else db
        )
        jobs = Jobs(build_queue(settings, jobs_url), jobs_db, settings, jobs_url)
        app.state.db = db
        app.state.jobs = jobs
        app.state.settings = settings
        app.state.file_store = file_store
        await ensure_default_rule_set(db)  # the Rules of order No. 583, when no rule set is loaded
        await jobs.start(run_worker=run_worker)
        await jobs.resume_interrupted_provisioning()
        await jobs.resume_interrupted_imports()
        try:
            yield
        finally:
            await jobs.stop()
            await db.dispose()
            if jobs_db is not db:
                await jobs_db.dispose()
            await stores.close()  # the Redis connections of sessions, sign-in state and rate limits
            if hasattr(file_store, "close"):
                file_store.close()  # the S3 client's connection pool

    app = Litestar(
        route_handlers=[
            *route_handlers,
            metrics,
            create_static_files_router(
                path=_ASSETS,
                directories=[swagger_ui_bundle.swagger_ui_path],
                include_in_schema=False,
                opt={"scope": "public", "role": None},
            ),
        ],
        dependencies=dependencies,
        # Sessions, sign-in state and rate limits: Redis when REDIS_URL is set, else files.
        stores=stores,
        # Who is calling (session or API token), then the rate limits that count per caller.
        # Request timings by route template first, so refusals are timed too (api/metrics.py).
        middleware=[
            prometheus_config("api").middleware,
            RequestConnectionMiddleware(),
            AuthenticationMiddleware(allowed_origins=(settings.public_url,)),
            RateLimitMiddleware(),
        ],
        # The one guard: each handler's declared scope and role against the caller's grants.
        guards=[access_guard],
        # Query text, declared upload size and JSON bodies, checked before anything reads them.
        before_request=before_handler,
        # A creating request's answer is kept with its Idempotency-Key, before its transaction commits.
        after_request=idempotency.store_answer,
        exception_handlers={**exception_handlers, idempotency.Replayed: idempotency.replayed_handler},  # type: ignore[arg-type,dict-item]
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        debug=False,
    )
    # Person-only operations first: completing the document builds it, once.
    declare_person_only_operations(app)
    complete_openapi(app)
    return app


async def before_handler(request: Any) -> None:
    idempotency.remember_scope(request)
    await check_request(request)


def declare_person_only_operations(app: Litestar) -> None:
    """The OpenAPI document shows which operations only a person may call (`access(…, person_only=True)`):
    `x-metodist-person-only: true`, and a sentence in the description, so a regional system's
    developers see before calling that an API token is refused there."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if is_person_only(handler.opt) and hasattr(handler, "operation_class"):
                handler.operation_class = PersonOnlyOperation


class PersonOnlyOperation(Operation):
    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema[PERSON_ONLY_EXTENSION] = True
        note = "Only a signed-in person may do this: an API token is refused with 403."
        schema["description"] = f"{schema['description']}\n\n{note}" if schema.get("description") else note
        return schema
