"""The welcome page of a person who holds no role yet, and the access requests it sends.

After a first sign-in most people hold no role: nothing else is theirs to read. The welcome page
says who grants roles (their organisation's administrator; for a district or a region, the
regional education department's), why an invitation they expected did not bind (their sign-in
service did not confirm the address), and lets them ask. Administrators answer on
`/access-requests`: the requests at the places they administer, approved with a role or declined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api import i18n
from api.i18n import N_
from api.roles import ROLE_LEVELS, NodeLevel
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first
from web.forms import once
from web.identity.pages import _dates, _name, role_label
from web.templating import page
from web.views import PUBLIC

REQUEST_STATUS: Mapping[str, str] = {
    "pending": N_("Waiting for an answer"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
NOTICES: Mapping[str, str] = {
    "requested": N_("Your request has been sent. The administrators will answer it here."),
    "withdrawn": N_("Your request has been withdrawn."),
    "approved": N_("The request has been approved and the role granted."),
    "declined": N_("The request has been declined."),
}
# The form field an API error belongs to.
REQUEST_FIELDS: Mapping[str, str] = {
    "organisation": "organisation",
    "territory_id": "territory_id",
    "role": "role",
    "message": "message",
}
ANSWER_FIELDS: Mapping[str, str] = {"role": "role", "note": "note", "unit_id": "role"}


def roles_at(level: str) -> list[str]:
    """The roles held at a level of the hierarchy, for a select."""
    try:
        wanted = NodeLevel(level)
    except ValueError:
        return []
    return [role.value for role, levels in ROLE_LEVELS.items() if wanted in levels]


def place_choices(tree: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Regions (and cities) with their districts (and towns), grouped for a select."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for root in tree:
        for top in sorted(root.get("children") or [], key=lambda t: _name(t).casefold()):
            choices = [(str(top["id"]), f"{_name(top)} ({i18n.label(top['kind']).lower()})")]
            choices += [
                (str(child["id"]), f"{_name(child)} ({i18n.label(child['kind']).lower()})")
                for child in sorted(top.get("children") or [], key=lambda t: _name(t).casefold())
            ]
            groups.append((_name(top), choices))
    return groups


def _notice(request: Request[Any, Any, Any]) -> str | None:
    key = request.query_params.get("done")
    return i18n.gettext(NOTICES[key]) if key in NOTICES else None


def _status_label(code: str) -> str:
    return i18n.gettext(REQUEST_STATUS.get(code, code))


class WelcomePages(Controller):
    path = "/"

    @get("/welcome", name="welcome", opt=PUBLIC)
    async def welcome(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        return await self._welcome_page(request, api, values={}, errors={})

    async def _welcome_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        *,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Template:
        me = await api.get("/api/auth/me")
        places, mine = await together(api.get("/api/access-requests/places"), api.get("/api/access-requests/mine"))
        waiting = [{**w, "place": _name(w, "place_name")} for w in me.get("waiting_invitations") or []]
        context = {
            "me": me,
            "waiting": waiting,
            "places": place_choices(places),
            "requests": [{**r, "place": _name(r, "place_name")} for r in _dates(mine, "created_at", "answered_at")],
            "roles": [r for r in roles_at("organisation")],
            "role_label": role_label,
            "status_label": _status_label,
            "values": values,
            "errors": errors,
            "notice": _notice(request),
        }
        return page(
            request,
            "identity/welcome.html",
            None,
            context,
            status_code=status_code,
            headers={"Cache-Control": "no-store"},
        )

    @post("/welcome/access-requests", name="access-request-create", opt=PUBLIC)
    async def ask(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template | Redirect:
        form = await request.form()
        values = {k: str(form.get(k) or "").strip() for k in ("organisation", "territory_id", "role", "message")}
        body: dict[str, Any] = {}
        # One place: the organisation's BIN when given, else the chosen territory.
        if values["organisation"]:
            body["organisation"] = values["organisation"]
        elif values["territory_id"]:
            body["territory_id"] = values["territory_id"]
        else:
            errors = {
                "organisation": i18n.gettext(N_("Enter your organisation's BIN or choose your district or region."))
            }
            return await self._welcome_page(request, api, values=values, errors=errors, status_code=400)
        if values["role"]:
            body["role"] = values["role"]
        if values["message"]:
            body["message"] = values["message"]
        try:
            await once(api, form).post("/api/access-requests", json=body)
        except ApiError as exc:
            if exc.status == 401 or exc.status >= 500:
                raise
            errors = {REQUEST_FIELDS.get(exc.field or "", ""): exc.message}
            return await self._welcome_page(request, api, values=values, errors=errors, status_code=exc.status)
        return Redirect("/welcome?done=requested", status_code=303)

    @post("/welcome/access-requests/{request_id:uuid}/withdraw", name="access-request-withdraw", opt=PUBLIC)
    async def withdraw(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], request_id: FromPath[UUID]
    ) -> Redirect | Template:
        if asking := await ask_first(
            request,
            action=i18n.gettext("Withdraw"),
            question=i18n.gettext("Withdraw this request? The administrators no longer see it."),
            back="/welcome",
        ):
            return asking
        await api.post(f"/api/access-requests/{request_id}/withdraw")
        return Redirect("/welcome?done=withdrawn", status_code=303)

    # --- administrators ---------------------------------------------------------------------------

    @get("/access-requests", name="access-requests", opt=PUBLIC)
    async def requests(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        return await self._requests_page(request, api, failed=None, values={}, errors={})

    async def _requests_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        *,
        failed: str | None,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Template:
        rows = await api.get("/api/access-requests", params={"status": "pending"})
        items = [
            {**r, "place": _name(r, "place_name"), "roles": roles_at(r["place_level"])}
            for r in _dates(rows, "created_at")
        ]
        context = {
            "items": items,
            "role_label": role_label,
            "failed": failed,
            "values": values,
            "errors": errors,
            "notice": _notice(request),
        }
        return page(request, "identity/access_requests.html", None, context, status_code=status_code)

    @post("/access-requests/{request_id:uuid}/answer", name="access-request-answer", opt=PUBLIC)
    async def answer(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], request_id: FromPath[UUID]
    ) -> Template | Redirect:
        form = await request.form()
        values = {k: str(form.get(k) or "").strip() for k in ("decision", "role", "note")}
        body: dict[str, Any] = {"decision": values["decision"]}
        if values["decision"] == "approve":
            body["role"] = values["role"]
        if values["note"]:
            body["note"] = values["note"]
        try:
            await api.post(f"/api/access-requests/{request_id}/answer", json=body)
        except ApiError as exc:
            if exc.status == 401 or exc.status >= 500:
                raise
            errors = {ANSWER_FIELDS.get(exc.field or "", ""): exc.message}
            return await self._requests_page(
                request, api, failed=str(request_id), values=values, errors=errors, status_code=exc.status
            )
        done = "approved" if values["decision"] == "approve" else "declined"
        return Redirect(f"/access-requests?done={done}", status_code=303)
