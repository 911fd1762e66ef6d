"""Who is looking at the page, for the header: the signed-in person and the organisation they work in.

`viewer_middleware` asks the API once per request (`/api/auth/me`, with the browser's own
credentials) before the handler runs, and leaves the answer in the ASGI scope; the base template
reads it through `header(request)`. An HTMX request for part of a page renders no header and does
not ask. Error pages of paths that match no route are rendered before any middleware runs: there
the person is unknown, and the header shows neither a name nor a sign-in link.

A page that needs a signature and has none sends the browser to the sign-in page with the way
back (`sign_in_redirect`), instead of an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

import httpx
import structlog
from litestar import MediaType, Request, Response
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from api import i18n
from api.roles import Role
from web.client import ApiClient, ApiError, caller_headers

log = structlog.get_logger()

VIEWER_KEY = "metodist.viewer"
# Roles that administer an organisation's sign-in services and invitations: its own admin, and the
# regional and national admins whose reach covers it (the API decides on the organisation).
ADMIN_ROLES = frozenset({Role.ORGANISATION_ADMIN, Role.REGIONAL_ADMIN, Role.NATIONAL_ADMIN})
# Roles that read an organisation's findings ("what to fix"): its admin, head and deputy head at it,
# and the admins and methodists above it (the API decides on their reach).
FINDINGS_AT_ORGANISATION = frozenset({Role.ORGANISATION_ADMIN, Role.HEAD, Role.DEPUTY_HEAD})
FINDINGS_ABOVE = frozenset(
    {
        Role.REGIONAL_ADMIN,
        Role.NATIONAL_ADMIN,
        Role.DISTRICT_METHODIST,
        Role.REGIONAL_METHODIST,
        Role.NATIONAL_METHODIST,
    }
)
# Roles held at a district, region or the republic that read its compliance dashboard (the API's
# READ_DASHBOARD, where a national admin satisfies the regional admin's role).
DASHBOARD_ROLES = frozenset(
    {
        Role.NATIONAL_ADMIN,
        Role.REGIONAL_ADMIN,
        Role.NATIONAL_METHODIST,
        Role.REGIONAL_METHODIST,
        Role.DISTRICT_METHODIST,
    }
)
# Roles that shape an organisation's structure, staff, subjects and calendar (the API's SHAPE): its
# admin and deputy head there, and the regional and national admins above it (ADMINS_ABOVE).
SHAPERS_HERE = frozenset({Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD})
# Roles that register organisations (POST /api/organisations).
REGISTRARS = frozenset({Role.REGIONAL_ADMIN, Role.NATIONAL_ADMIN})
# Roles that keep bodies' records: members, meetings and their agenda, attendance, decisions and
# minutes, work plans (the API's KEEP for meetings and plans, cl. 14, 31); the administrators above
# keep them too. The API narrows further to the body (its leader or secretary) and says so.
RECORD_KEEPERS = frozenset(
    {
        Role.ORGANISATION_ADMIN,
        Role.DEPUTY_HEAD,
        Role.ASSOCIATION_LEADER,
        Role.COUNCIL_SECRETARY,
        Role.COUNCIL_CHAIR,
        Role.UNIT_HEAD,
    }
)
ADMINS_ABOVE = frozenset({Role.REGIONAL_ADMIN, Role.NATIONAL_ADMIN})


@dataclass(frozen=True)
class Viewer:
    user_id: str
    name: str
    email: str | None
    grants: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, me: dict[str, Any]) -> Viewer:
        return cls(
            user_id=str(me["user_id"]),
            name=str(me.get("full_name") or me.get("email") or ""),
            email=me.get("email"),
            grants=tuple(me.get("grants") or ()),
        )

    def organisations(self) -> list[str]:
        """The organisations the person holds a role in (at the organisation or one of its units)."""
        found: list[str] = []
        for grant in self.grants:
            org = grant.get("organisation_id")
            if org and str(org) not in found:
                found.append(str(org))
        return found

    def works_at(self, organisation_id: str) -> bool:
        # Every role held at an organisation or its units is one of its staff's roles.
        return organisation_id in self.organisations()

    def reads_findings(self, organisation_id: str) -> bool:
        return any(
            (
                g.get("role") in FINDINGS_AT_ORGANISATION
                and g.get("organisation_id") == organisation_id
                and not g.get("unit_id")
            )
            or (g.get("role") in FINDINGS_ABOVE and not g.get("organisation_id"))
            for g in self.grants
        )

    def reads_dashboards(self) -> bool:
        return any(
            g.get("role") in DASHBOARD_ROLES and g.get("territory_id") and not g.get("organisation_id")
            for g in self.grants
        )

    def shapes(self, organisation_id: str) -> bool:
        return self.above(ADMINS_ABOVE) or any(
            g.get("role") in SHAPERS_HERE and str(g.get("organisation_id") or "") == organisation_id
            for g in self.grants
        )

    def above(self, roles: frozenset[Role]) -> bool:
        """Holds one of `roles` at a territory (the API decides whether it reaches the organisation)."""
        return any(g.get("role") in roles and not g.get("organisation_id") for g in self.grants)

    def keeps_records(self, organisation_id: str) -> bool:
        """May keep some body's records here (which bodies: `keeps_all_records`, `keeps_at_units`)."""
        return self.above(ADMINS_ABOVE) or any(
            g.get("role") in RECORD_KEEPERS and g.get("organisation_id") == organisation_id for g in self.grants
        )

    def keeps_all_records(self, organisation_id: str) -> bool:
        """The organisation's admin and deputy head, and the admins above, keep every body's records."""
        return self.shapes(organisation_id)

    def keeps_at_units(self, organisation_id: str, nodes: set[str]) -> bool:
        """A keeping role held at one of `nodes` (a body or its unit) keeps that body's records."""
        return any(
            g.get("role") in RECORD_KEEPERS
            and g.get("organisation_id") == organisation_id
            and str(g.get("unit_id") or "") in nodes
            for g in self.grants
        )

    def approves_plans(self, organisation_id: str) -> bool:
        # Cl. 29: the head of the organisation, and no one else, approves an association's plan.
        return any(g.get("role") == Role.HEAD and g.get("organisation_id") == organisation_id for g in self.grants)

    def reads_documents(self, organisation_id: str) -> bool:
        # Documents are read by the organisation's staff and the administrators above, not by the
        # methodists above (they read findings and the catalogue).
        return self.works_at(organisation_id) or self.above(ADMINS_ABOVE)

    def administers(self, organisation_id: str) -> bool:
        return any(
            g.get("role") in ADMIN_ROLES and (g.get("organisation_id") in (None, organisation_id)) for g in self.grants
        )


@dataclass(frozen=True)
class Header:
    """What the header shows: who is signed in, and the pages of the current organisation."""

    known: bool  # False: the person could not be asked about (see the module's note)
    viewer: Viewer | None
    organisation_id: str | None
    works_here: bool
    administers: bool
    sign_in_url: str
    # Signed in without any role yet: the header offers only what they can use (their welcome page).
    roleless: bool = False
    # Registering organisations is for national and regional admins; for nobody signed in the link
    # stays, and leads to the sign-in page.
    may_register: bool = True
    # Administrators see the access requests of the places they administer.
    answers_requests: bool = False
    # The organisation's admin, head and deputy head (and methodists above) see "what to fix".
    reads_findings: bool = False
    # The methodists and administrators of a district, region or the republic see its dashboard.
    reads_dashboards: bool = False
    # The organisation's admin and deputy head (and the admins above) change its set-up.
    shapes: bool = False


def viewer(scope: Scope) -> Viewer | None:
    return scope.get(VIEWER_KEY)  # type: ignore[return-value]


async def viewer_via(api: ApiClient) -> Viewer | None:
    """Who is asking, from the API: for what a page offers them, also in the HTMX fragments the
    middleware does not ask about. None for a caller who is no person (an API token)."""
    try:
        return Viewer.of(await api.get("/api/auth/me"))
    except ApiError as exc:
        if exc.status != 401:
            raise
        return None


def _path_organisation(scope: Scope) -> str | None:
    value = (scope.get("path_params") or {}).get("organisation_id")
    try:
        return str(UUID(str(value))) if value else None
    except ValueError:
        return None


def header(request: Request[Any, Any, Any]) -> Header:
    scope = request.scope
    who = viewer(scope)
    organisation_id = _path_organisation(scope)
    if organisation_id is None and who is not None:
        # Outside an organisation's pages, the one organisation the person works in (if only one).
        theirs = who.organisations()
        organisation_id = theirs[0] if len(theirs) == 1 else None
    return Header(
        known=VIEWER_KEY in scope,
        viewer=who,
        organisation_id=organisation_id,
        works_here=bool(who and organisation_id and who.works_at(organisation_id)),
        administers=bool(who and organisation_id and who.administers(organisation_id)),
        # On the sign-in page itself, the link stays on it (keeping its way back).
        sign_in_url=return_path(request) if request.url.path == "/sign-in" else sign_in_url(return_path(request)),
        roleless=bool(who and not who.grants),
        may_register=who is None or any(g.get("role") in REGISTRARS for g in who.grants),
        answers_requests=bool(who and any(g.get("role") in ADMIN_ROLES for g in who.grants)),
        reads_findings=bool(who and organisation_id and who.reads_findings(organisation_id)),
        reads_dashboards=bool(who and who.reads_dashboards()),
        shapes=bool(who and organisation_id and who.shapes(organisation_id)),
    )


# --- signing in -------------------------------------------------------------------------------


def sign_in_url(back: str) -> str:
    return "/sign-in" if back in ("", "/") else "/sign-in?" + urlencode({"return_to": back})


def _local(url: str, host: str | None) -> str | None:
    """The path and query of a URL of this site; None for another site's."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != host:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return f"{path}?{parts.query}" if parts.query else path


def return_path(request: Request[Any, Any, Any]) -> str:
    """Where to come back to after signing in: this page; for a form or an HTMX request, the page
    it was sent from (HTMX names it in HX-Current-URL, a plain form in Referer)."""
    is_htmx = request.headers.get("hx-request") == "true"
    if request.method in ("GET", "HEAD") and not is_htmx:
        query = request.url.query
        return f"{request.url.path}?{query}" if query else request.url.path
    host = request.headers.get("host")
    for name in ("hx-current-url", "referer"):
        value = request.headers.get(name)
        local = _local(value, host) if value else None
        if local:
            return local
    return "/"


def sign_in_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    target = sign_in_url(return_path(request))
    if request.headers.get("hx-request") == "true":
        # HTMX follows HX-Redirect only on a success: the whole page goes to the sign-in page.
        return Response("", status_code=200, media_type=MediaType.HTML, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303, headers={"Cache-Control": "no-store"})


# --- the middleware -------------------------------------------------------------------------


def _header_value(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _wants_header(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("path", "").startswith("/static/"):
        return False
    fragment = (
        _header_value(scope, b"hx-request") == "true" and _header_value(scope, b"hx-history-restore-request") != "true"
    )
    return not fragment


async def look_up(api: ApiClient, headers: dict[str, str]) -> Viewer | None:
    """The signed-in person the credentials stand for; None for nobody (or an API token's script)."""
    if "cookie" not in headers and "authorization" not in headers:
        return None
    try:
        return Viewer.of(await api.bound(headers).get("/api/auth/me"))
    except ApiError as exc:
        if exc.status != 401:
            log.warning("who is signed in could not be read", status=exc.status, message=exc.message)
        return None
    except httpx.TransportError as exc:
        log.warning("API unreachable while reading who is signed in", error=str(exc))
        return None


def viewer_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if _wants_header(scope):
            raw = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
            client: ApiClient = scope["litestar_app"].state.api_client
            scope[VIEWER_KEY] = await look_up(client, caller_headers(raw, i18n.current_locale()))  # type: ignore[literal-required]
        await app(scope, receive, send)

    return middleware
