"""An organisation's administration pages: its people with their roles, and API tokens.

Like every page, they ask the API for everything (the caller's own credentials go with each call),
so the API decides who may see and change what; a refusal there is the page's refusal. Errors
the API names a field for are shown at that field of the form, and nothing is written.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api import i18n
from api.clock import KZ_TIME, today
from api.i18n import N_
from api.roles import ROLE_LEVELS, NodeLevel
from web.client import ApiClient, ApiError
from web.confirm import ask_first
from web.forms import HEADER, once
from web.identity.pages import _dates, _name, role_label
from web.listing import Pager
from web.templating import go_to, page
from web.views import PUBLIC

PEOPLE_PAGE_SIZE = 20
# The roles held inside an organisation: at the organisation itself or at one of its units.
ORGANISATION_ROLES: tuple[str, ...] = tuple(
    role.value for role in ROLE_LEVELS if ROLE_LEVELS[role] & {NodeLevel.ORGANISATION, NodeLevel.UNIT}
)
TOKEN_DAYS_DEFAULT = 90
TOKEN_STATUS: Mapping[str, str] = {"active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}
NOTICES: Mapping[str, str] = {
    "granted": N_("The role has been granted."),
    "revoked": N_("The role has been revoked."),
    "token-revoked": N_("The API token has been revoked. Requests that present it are refused from now on."),
}

# The form field an API error belongs to, by the field the API names.
GRANT_FIELDS: Mapping[str, str] = {"user_id": "email", "email": "email", "role": "role", "unit_id": "unit_id"}
TOKEN_FIELDS: Mapping[str, str] = {"name": "name", "role": "role", "unit_id": "unit_id", "expires_at": "expires_at"}


def _field_errors(exc: ApiError, fields: Mapping[str, str]) -> dict[str, str]:
    """The API's message at its field; under "" (the whole form) when it names none of the form's."""
    return {fields.get(exc.field or "", ""): exc.message}


def _units(tree: list[dict[str, Any]], depth: int = 0) -> list[tuple[str, str]]:
    """The unit tree flattened for a select, indented by depth."""
    out: list[tuple[str, str]] = []
    for node in tree:
        out.append((str(node["id"]), "— " * depth + str(node["name"])))
        out += _units(node.get("children") or [], depth + 1)
    return out


async def _unit_choices(api: ApiClient, organisation_id: UUID) -> list[tuple[str, str]]:
    # The units live in the organisation's workspace; while it is being prepared there are none.
    try:
        return _units(await api.get(f"/api/organisations/{organisation_id}/units/tree"))
    except ApiError as exc:
        if exc.status == 401:
            raise
        return []


def _notice(request: Request[Any, Any, Any]) -> str | None:
    key = request.query_params.get("done")
    return i18n.gettext(NOTICES[key]) if key in NOTICES else None


def _ended(request: Request[Any, Any, Any]) -> int | None:
    try:
        return max(0, int(request.query_params["ended"])) if "ended" in request.query_params else None
    except ValueError:
        return None


def _expiry(value: str) -> str | None:
    """The end of the chosen day, local time, as the API wants it (with a zone); None if unreadable."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=KZ_TIME).isoformat()


class AdminPages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    # --- people and their roles ----------------------------------------------------------------

    @get("/people", name="people", opt=PUBLIC)
    async def people(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._people_page(request, api, organisation_id, values={}, errors={})

    async def _people_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: Mapping[str, Any],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Template:
        q = (request.query_params.get("q") or "").strip()[:200]
        try:
            number = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            number = 1
        params = {"q": q or None, "page": number, "page_size": PEOPLE_PAGE_SIZE}
        found = await api.get(
            f"/api/organisations/{organisation_id}/people", params={k: str(v) for k, v in params.items() if v}
        )
        org = await api.get(f"/api/organisations/{organisation_id}")
        units = await _unit_choices(api, organisation_id)
        people = [
            {**_dates([p], "last_sign_in_at")[0], "roles": _dates(p["roles"], "created_at")} for p in found["items"]
        ]
        context = {
            "org": org,
            "org_name": _name(org),
            "base": f"/organisations/{organisation_id}",
            "people": people,
            "q": q,
            "total": found["total"],
            "pager": Pager(number, max(1, math.ceil(found["total"] / PEOPLE_PAGE_SIZE)), found["total"]),
            "units": units,
            "unit_names": dict(units),
            "roles": ORGANISATION_ROLES,
            "role_label": role_label,
            "values": values,
            "errors": errors,
            "notice": _notice(request),
            "ended": _ended(request),
        }
        return page(request, "identity/people.html", "people_table", context, status_code=status_code)

    @post("/people/roles", name="people-grant", opt=PUBLIC)
    async def grant(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect:
        form = await request.form()
        values = {
            "email": str(form.get("email") or "").strip(),
            "role": str(form.get("role") or ""),
            "unit_id": str(form.get("unit_id") or ""),
        }
        if not values["email"]:
            errors = {"email": i18n.gettext(N_("Enter the person's e-mail address."))}
            return await self._people_page(request, api, organisation_id, values=values, errors=errors, status_code=400)
        try:
            # A role goes to someone the organisation knows; anyone else is invited first.
            found = await api.get(
                f"/api/organisations/{organisation_id}/people", params={"email": values["email"], "page_size": "1"}
            )
            if not found["items"]:
                errors = {
                    "email": i18n.gettext(
                        N_(
                            "Nobody with this e-mail holds a role here yet. Invite them: the role is theirs when "
                            "they first sign in."
                        )
                    )
                }
                return await self._people_page(
                    request, api, organisation_id, values=values, errors=errors, status_code=404
                )
            grant: dict[str, Any] = {
                "user_id": found["items"][0]["user_id"],
                "role": values["role"],
                "organisation_id": str(organisation_id),
            }
            if values["unit_id"]:
                grant["unit_id"] = values["unit_id"]
            await once(api, form).post("/api/role-assignments", json=grant)
        except ApiError as exc:
            if exc.status == 401:
                raise
            errors = _field_errors(exc, GRANT_FIELDS)
            return await self._people_page(
                request, api, organisation_id, values=values, errors=errors, status_code=exc.status
            )
        return Redirect(f"/organisations/{organisation_id}/people?done=granted", status_code=303)

    @post("/people/roles/{assignment_id:uuid}/revoke", name="people-revoke", opt=PUBLIC)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        assignment_id: FromPath[UUID],
    ) -> Redirect | ClientRedirect | Template:
        if asking := await ask_first(
            request,
            action=N_("Revoke"),
            question=N_("Revoke this role? The person loses what it allows at once."),
            back=f"/organisations/{organisation_id}/people",
        ):
            return asking
        await api.request("DELETE", f"/api/role-assignments/{assignment_id}")
        return go_to(request, f"/organisations/{organisation_id}/people?done=revoked")

    @post("/people/{user_id:uuid}/sessions/revoke", name="people-revoke-sessions", opt=PUBLIC)
    async def revoke_sessions(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        user_id: FromPath[UUID],
    ) -> Redirect | ClientRedirect | Template:
        if asking := await ask_first(
            request,
            action=N_("End all sessions"),
            question=N_("End all sessions of this person? They must sign in again on every device."),
            back=f"/organisations/{organisation_id}/people",
        ):
            return asking
        ended = await api.request("DELETE", f"/api/users/{user_id}/sessions")
        count = int(ended.get("revoked", 0)) if isinstance(ended, dict) else 0
        return go_to(request, f"/organisations/{organisation_id}/people?ended={count}")

    # --- API tokens ----------------------------------------------------------------------------

    @get("/api-tokens", name="api-tokens", opt=PUBLIC)
    async def tokens(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._tokens_page(request, api, organisation_id, values={}, errors={})

    async def _tokens_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: Mapping[str, Any],
        errors: Mapping[str, str],
        issued: Mapping[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        org = await api.get(f"/api/organisations/{organisation_id}")
        # The API lists the tokens within the caller's reach; this page shows this organisation's.
        tokens = [t for t in await api.get("/api/tokens") if t.get("organisation_id") == str(organisation_id)]
        units = await _unit_choices(api, organisation_id)
        default_expiry = (today() + datetime.timedelta(days=TOKEN_DAYS_DEFAULT)).isoformat()
        context = {
            "org": org,
            "org_name": _name(org),
            "base": f"/organisations/{organisation_id}",
            "tokens": _dates(tokens, "expires_at", "last_used_at", "revoked_at", "created_at"),
            "units": units,
            "unit_names": dict(units),
            "roles": ORGANISATION_ROLES,
            "role_label": role_label,
            "status_label": lambda s: i18n.gettext(TOKEN_STATUS.get(s, s)),
            "values": {"expires_on": default_expiry, **values},
            "errors": errors,
            "issued": issued,
            "notice": _notice(request),
        }
        # The secret is on this page once: no cache may keep it.
        return page(
            request,
            "identity/api_tokens.html",
            None,
            context,
            status_code=status_code,
            headers={"Cache-Control": "no-store"},
        )

    @post("/api-tokens", name="api-tokens-create", opt=PUBLIC)
    async def create_token(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        form = await request.form()
        values = {k: str(form.get(k) or "").strip() for k in ("name", "role", "unit_id", "expires_on")}
        expires_at = _expiry(values["expires_on"])
        if expires_at is None:
            errors = {"expires_at": i18n.gettext(N_("Choose the day the token stops working."))}
            return await self._tokens_page(request, api, organisation_id, values=values, errors=errors, status_code=400)
        body: dict[str, Any] = {
            "name": values["name"],
            "role": values["role"],
            "organisation_id": str(organisation_id),
            "expires_at": expires_at,
        }
        if values["unit_id"]:
            body["unit_id"] = values["unit_id"]
        try:
            issued = await once(api, form).post("/api/tokens", json=body)
        except ApiError as exc:
            if exc.status == 401:
                raise
            if exc.status == 409 and exc.field == HEADER:
                # The form was sent again (a double click, a reload): the first sending made the
                # token, and its secret is never answered twice. The page says so, above a fresh
                # form and the list that holds the token made.
                errors = {"": exc.message}
                return await self._tokens_page(request, api, organisation_id, values={}, errors=errors, status_code=409)
            errors = _field_errors(exc, TOKEN_FIELDS)
            return await self._tokens_page(
                request, api, organisation_id, values=values, errors=errors, status_code=exc.status
            )
        return await self._tokens_page(
            request, api, organisation_id, values={}, errors={}, issued=issued, status_code=201
        )

    @post("/api-tokens/{token_id:uuid}/revoke", name="api-tokens-revoke", opt=PUBLIC)
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        token_id: FromPath[UUID],
    ) -> Redirect | ClientRedirect | Template:
        if asking := await ask_first(
            request,
            action=N_("Revoke"),
            question=N_("Revoke this token? The system that uses it is refused from now on."),
            back=f"/organisations/{organisation_id}/api-tokens",
        ):
            return asking
        await api.post(f"/api/tokens/{token_id}/revoke")
        return go_to(request, f"/organisations/{organisation_id}/api-tokens?done=token-revoked")
