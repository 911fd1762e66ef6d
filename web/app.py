"""The web application: HTML pages over the API, in Kazakh, Russian and English.

It never touches the database. Everything it shows it asks the API for through `ApiClient`
(`client_factory` builds it once, at start-up); the caller's language and identity go with every
call. Pages are whole documents; HTMX requests get the one block that changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from litestar import Litestar, MediaType, Request, Response
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig

from api import i18n
from api.errors import log_unhandled
from api.i18n import N_
from api.identity.csrf import web_csrf_config
from api.metrics import prometheus_config
from api.settings import Settings
from web.bodies.associations import AssociationFormPages
from web.bodies.collegial import CollegialPages
from web.bodies.collegial_body import CollegialBodyPages
from web.bodies.inter_school import InterSchoolPages
from web.bodies.unions import UnionPages
from web.client import ApiClient, ApiError
from web.compliance.dashboard import DashboardPages
from web.compliance.pages import CompliancePages
from web.identity.admin import AdminPages
from web.identity.domains import DomainPages
from web.identity.pages import IdentityPages
from web.identity.viewer import sign_in_redirect, viewer_middleware
from web.identity.welcome import WelcomePages
from web.locale import choose_locale, locale_middleware
from web.onboarding.pages import OnboardingPages
from web.plans.items import PlanItemPages
from web.reviews.pages import ReviewPages
from web.security_headers import add_security_headers
from web.setup.pages import SETUP_PAGES
from web.structure.meetings import MeetingPages
from web.structure.pages import StructurePages
from web.structure.work_calendar import WorkCalendarPages
from web.templating import ENVIRONMENT, STATIC_DIR, VARY, is_fragment, template_engine
from web.views import PUBLIC, Pages, provide_api

log = structlog.get_logger()


def _error_response(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    # Rendered here, in the caller's language: error handlers run outside the route's middleware.
    locale, _ = choose_locale(request.scope)
    fragment = is_fragment(request)
    with i18n.use_locale(locale):
        name = "partials/error_message.html" if fragment else "pages/error.html"
        body = ENVIRONMENT.get_template(name).render(
            request=request, locale=locale, status=status, message=i18n.gettext(message)
        )
    headers = {"Vary": VARY}
    if fragment:
        # HTMX shows errors in the page's message area, whatever element asked.
        headers |= {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
    return Response(body, status_code=status, media_type=MediaType.HTML, headers=headers)


def api_error_handler(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    if exc.status == 401:
        # Not signed in (or the session ended): the sign-in page, and back here afterwards.
        return sign_in_redirect(request)
    # The API already answered in the caller's language.
    return _error_response(request, exc.status, exc.message)


def transport_error_handler(request: Request[Any, Any, Any], exc: httpx.TransportError) -> Response[Any]:
    log.warning("API unreachable", error=str(exc))
    return _error_response(request, 502, N_("The service is not answering. Try again in a minute."))


def not_found_handler(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    return _error_response(request, 404, N_("There is no such page."))


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 403:
        # The web app's own refusal is the CSRF check: a form from an old page or another site.
        return _error_response(request, 403, N_("The form is out of date. Reload the page and try again."))
    return _error_response(request, exc.status_code, N_("The request could not be handled."))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log_unhandled("unhandled error in the web app", exc, method=request.method, path=request.url.path)
    return _error_response(request, 500, N_("Something went wrong on our side. Try again later."))


def create_web_app(settings: Settings, client_factory: Callable[[], ApiClient]) -> Litestar:
    # Compiled now, so the first page is never shown untranslated (the .mo files are not in git).
    try:
        i18n.compile_catalogues()
    except OSError as exc:  # read-only installation: api.i18n compiles in memory instead
        log.warning("translations not compiled to disk", error=str(exc))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        client = client_factory()
        app.state.api_client = client
        app.state.settings = settings
        try:
            yield
        finally:
            await client.aclose()

    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt=PUBLIC,
        cache_control=CacheControlHeader(max_age=3600),
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[
            Pages,
            StructurePages,
            MeetingPages,
            WorkCalendarPages,
            CollegialPages,
            CollegialBodyPages,
            AssociationFormPages,
            InterSchoolPages,
            UnionPages,
            PlanItemPages,
            IdentityPages,
            DomainPages,
            AdminPages,
            WelcomePages,
            ReviewPages,
            CompliancePages,
            DashboardPages,
            OnboardingPages,
            *SETUP_PAGES,
            static,
        ],
        dependencies={"api": Provide(provide_api, sync_to_thread=False)},
        # The language first: the header's look-up of who is signed in speaks it too.
        # Page timings by route template (api/metrics.py); then language and the signed-in viewer.
        middleware=[prometheus_config("web").middleware, locale_middleware, viewer_middleware],
        plugins=[HTMXPlugin()],
        # Every POST/PUT/PATCH/DELETE carries the token (HTMX: hx-headers on <body>; forms: csrf_input).
        csrf_config=web_csrf_config(settings),
        template_config=TemplateConfig(instance=template_engine()),
        exception_handlers={  # type: ignore[dict-item]
            ApiError: api_error_handler,
            httpx.TransportError: transport_error_handler,
            NotFoundException: not_found_handler,
            HTTPException: http_error_handler,
            HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
        },
        lifespan=[lifespan],
        # Content-Security-Policy and frame protection on every answer (web/security_headers.py).
        before_send=[add_security_headers],
        openapi_config=None,
        debug=False,
    )
