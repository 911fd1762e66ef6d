"""The one guard of the API: each route's declared scope and role against the caller's grants.

Registered once on the API app, it reads the handler's `opt` (`api.access.access(...)`):

- `public` routes pass;
- every other route needs a principal (401, saying why a presented credential was refused);
- when the path names an organisation (`organisation_id`), a grant must reach it — held at that
  organisation, at a unit of it, or at a territory above it. No grant there: 404, so that the
  organisation's existence does not leak; a grant there without the needed role: 403;
- otherwise the principal must hold the role somewhere (services narrow it further by reach);
- `"any"` admits every signed-in principal who holds some role, but the read-only roles
  (national, regional and district methodists) only for reading: they write only where a route
  names their role;
- `"self"` (`api.roles.SELF`) admits every signed-in principal, one without any role too, for
  reading and changing what is their own (who am I, my sessions). It is refused on a route that
  names an organisation: an organisation's data always needs a grant that reaches it;
- a route declared `person_only` (a conclusion, an approval, a body's decision) refuses API tokens
  with 403 once their grants have been checked (a token out of reach still gets 404): tokens read
  and register, people decide;
- a route that declares the `clause` naming its role cites it when it refuses a caller without
  that role (`{"clause": "29"}`), as the service behind it would.

A route declared `person_only` refuses API tokens with 403 and the route's reason, before its
role is looked at: no role makes a token a person.

A handler without a declaration is refused (and the architecture test fails on it).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.access import (
    CLAUSE,
    HERE_KEY,
    Grant,
    Here,
    Principal,
    Scope,
    principal,
    tokens_refused_because,
)
from api.db import request_connection
from api.errors import DomainError, Forbidden, NotFound
from api.identity.reach import (
    READ_ONLY_ROLES,
    describe_roles,
    organisation_placement,
    reach_of,
    role_names,
    satisfies,
)
from api.redis_state import SESSIONS_UNAVAILABLE, RedisUnavailable
from api.roles import SELF

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthenticated(DomainError):
    status = 401


def usable_grants(grants: list[Grant] | tuple[Grant, ...], role: Any, method: str) -> list[Grant]:
    needed = role_names(role)
    usable = [g for g in grants if satisfies(g.role, needed)]
    if needed is None and method not in SAFE_METHODS:
        usable = [g for g in usable if g.role not in READ_ONLY_ROLES]
    return usable


def _denial(p: Principal, role: Any, method: str, *, here: bool, clause: str | None = None) -> Forbidden:
    needed = role_names(role)
    where = " at this organisation" if here else ""
    if needed is None:
        held = sorted({g.role for g in p.grants})
        return Forbidden(
            f"Your role ({', '.join(held) or 'none'}) may only read{where}; this request changes data."
            if held
            else "You hold no role; ask an administrator to grant you one."
        )
    if clause is not None:
        return Forbidden(f"This needs the role {describe_roles(role)}{where} (cl. {clause}).", clause=clause)
    return Forbidden(f"This needs the role {describe_roles(role)}{where}.")


def is_auto_options(handler: BaseRouteHandler) -> bool:
    """Litestar's own OPTIONS answer (the Allow header) added to every path."""
    methods = getattr(handler, "http_methods", None) or set()
    return set(methods) == {"OPTIONS"} and getattr(getattr(handler, "fn", None), "__name__", "") == "options_handler"


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if is_auto_options(handler):
        return
    opt = handler.opt or {}
    if "scope" not in opt or "role" not in opt:
        raise Forbidden("This route declares no access rule, so it is closed.")
    if opt["scope"] == Scope.PUBLIC.value:
        return
    p = principal(connection)
    if p.is_anonymous:
        if p.reason == SESSIONS_UNAVAILABLE:
            raise RedisUnavailable(SESSIONS_UNAVAILABLE)
        raise Unauthenticated(p.reason or "Sign in to use this.")
    refusal = tokens_refused_because(opt)
    if p.via == "token" and refusal:
        raise Forbidden(refusal)
    method = connection.scope.get("method", "GET")
    role = opt["role"]
    organisation_id = connection.path_params.get("organisation_id")
    if role == SELF:
        if organisation_id is not None:
            raise Forbidden("This route is declared for oneself but names an organisation, so it is closed.")
        return  # the handler acts on the caller's own records only
    clause = opt.get(CLAUSE)
    if organisation_id is None:
        if not usable_grants(p.grants, role, method):
            raise _denial(p, role, method, here=False, clause=clause)
        return
    if not isinstance(organisation_id, UUID):
        organisation_id = UUID(str(organisation_id))
    conn = await request_connection(connection.scope).connection()  # type: ignore[arg-type]
    org = await organisation_placement(conn, organisation_id)
    reach = await reach_of(conn, p, must_know=[org.territory_id] if org else [])
    grants = tuple(reach.grants_for_organisation(organisation_id, org.territory_id if org else None))
    connection.scope[HERE_KEY] = Here(organisation_id, org, grants)  # type: ignore[literal-required]
    if not grants:
        raise NotFound("Organisation not found.", field="organisation_id")
    if not usable_grants(grants, role, method):
        raise _denial(p, role, method, here=True, clause=clause)
