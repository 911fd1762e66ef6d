"""The pages. Each handler asks the API (through `ApiClient`) and renders a page or, for HTMX, one block."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api import i18n
from api.access import Scope, access
from api.i18n import N_
from api.i18n import gettext as _
from web.client import (
    ApiClient,
    ApiError,
    Organisation,
    OrganisationAction,
    OrganisationQuery,
    caller_headers,
    together,
)
from web.forms import once
from web.identity.viewer import header, viewer
from web.listing import PAGE_SIZE, SORTS, Listing, Pager, TerritoryIndex, api_sort, territory_index
from web.templating import VARY, go_to, page, parse_uuid, url_with

PUBLIC = access(Scope.PUBLIC)

# --- forms ----------------------------------------------------------------------------------------

FORM_FIELDS = ("kind", "territory_id", "bin", "name_kk", "name_ru", "name_en")


def form_field(api_field: str | None) -> str:
    """The form field an API error names (`levels[0]` is the levels field); '' for the whole form."""
    base = (api_field or "").split("[", 1)[0].split(".", 1)[0]
    return base if base in (*FORM_FIELDS, "levels") else ""


def _form_errors(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["kind"]:
        errors["kind"] = _("Fill in this field.")
    if not values["territory_id"]:
        errors["territory_id"] = _("Fill in this field.")
    digits = "".join(values["bin"].split())
    if not (len(digits) == 12 and digits.isdigit()):
        errors["bin"] = _("The BIN must be 12 digits with a valid check digit.")
    if not values["name_kk"]:
        errors["name_kk"] = _("Fill in this field.")
    if not values["name_ru"]:
        errors["name_ru"] = _("Fill in this field.")
    return errors


def _payload(values: Mapping[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"levels": list(values["levels"])}
    for name in ("kind", "territory_id"):
        if values[name]:
            payload[name] = values[name]
    payload["bin"] = "".join(values["bin"].split())
    payload["name_kk"] = values["name_kk"]
    payload["name_ru"] = values["name_ru"]
    payload["name_en"] = values["name_en"] or None
    return payload


# --- organisation actions -------------------------------------------------------------------------

ACTIONS: dict[str, tuple[str, ...]] = {
    "active": ("suspend", "archive"),
    "suspended": ("resume", "archive"),
    "failed": ("provision", "archive"),
}
ACTION_LABELS: dict[str, str] = {
    "suspend": N_("Suspend"),
    "resume": N_("Resume"),
    "archive": N_("Archive"),
    "provision": N_("Retry preparation"),
}
ACTION_CONFIRMATIONS: dict[str, str] = {
    "suspend": N_("Suspend this organisation? Its users lose access until it is resumed."),
    "resume": N_("Resume this organisation? Its users get access again."),
    "archive": N_("Archive this organisation? Its data is exported and removed; this cannot be undone here."),
    "provision": N_("Run the preparation of this organisation's workspace again?"),
}
ACTION_DONE: dict[str, str] = {
    "suspend": N_("The organisation has been suspended."),
    "resume": N_("The organisation has been resumed."),
    "archive": N_("Archiving has started: the data is exported, then removed."),
    "provision": N_("The preparation has been started again."),
    "created": N_("The organisation has been registered. Its workspace is being prepared."),
}


def _action(name: str) -> OrganisationAction:
    if name not in ACTION_LABELS:
        raise ApiError(404, _("There is no such action."))
    return name  # type: ignore[return-value]


def _action_view(name: str) -> dict[str, str]:
    return {"name": name, "label": _(ACTION_LABELS[name]), "confirm": _(ACTION_CONFIRMATIONS[name])}


def _detail_context(
    request: Request[Any, Any, Any], org: Organisation, index: TerritoryIndex, **extra: Any
) -> dict[str, Any]:
    # Only national and regional administrators may act on an organisation; others are not offered it.
    actions = [_action_view(name) for name in ACTIONS.get(org.status, ())] if header(request).may_register else []
    return {"org": org, "territory_path": index.path(org.territory_id), "actions": actions, **extra}


# --- handlers -------------------------------------------------------------------------------------


class Pages(Controller):
    path = "/"

    @get("/", name="home", opt=PUBLIC)
    async def home(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template | Redirect:
        who = viewer(request.scope)
        if who is not None and not who.grants:
            # Nothing here is theirs to read yet: their page says who grants access, and asks.
            return Redirect("/welcome", status_code=303)
        statuses = tuple(i18n.STATUS_LABELS)
        pages = await together(
            api.organisations(OrganisationQuery(page_size=1)),
            *(api.organisations(OrganisationQuery(status=s, page_size=1)) for s in statuses),
            api.organisations(OrganisationQuery(sort="-created_at", page_size=5)),
        )
        counts = {status: result.total for status, result in zip(statuses, pages[1:-1], strict=True)}
        return page(
            request, "pages/home.html", None, {"total": pages[0].total, "counts": counts, "recent": pages[-1].items}
        )

    @get("/territories", name="territories", opt=PUBLIC)
    async def territories(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        territory_id: FromQuery[str | None] = None,
    ) -> Template:
        index = await territory_index(api)
        wanted = parse_uuid(territory_id)
        selected = index.by_id.get(wanted) if wanted else None
        result = None
        if selected is not None:
            result = await api.organisations(
                OrganisationQuery(territory_id=selected.id, sort=api_sort("name"), page_size=PAGE_SIZE)
            )
        context = {
            "index": index,
            "selected": selected,
            "result": result,
            "path": index.path(selected.id if selected else None),
        }
        return page(request, "pages/territories.html", "territory_panel", context)

    @get("/organisations", name="organisations", opt=PUBLIC)
    async def organisations(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        listing = Listing.read(request.query_params)
        result, index = await together(api.organisations(listing.query()), territory_index(api))
        pager = Pager(listing.page, max(1, math.ceil(result.total / listing.page_size)), result.total)
        context = {
            "listing": listing,
            "result": result,
            "index": index,
            "pager": pager,
            "sorts": {k: _(v) for k, v in SORTS.items()},
        }
        # The address bar shows the canonical URL of what is listed, without empty fields.
        canonical = url_with("/organisations", listing.params(), page=listing.page if listing.page > 1 else None)
        return page(request, "pages/organisations.html", "results", context, headers={"HX-Push-Url": canonical})

    @get("/organisations/new", name="organisations:new", opt=PUBLIC)
    async def new_organisation(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        index = await territory_index(api)
        values = {name: "" for name in FORM_FIELDS} | {"levels": []}
        # Opened from a territory or a filter, the form starts with that choice made.
        kind = request.query_params.get("kind") or ""
        territory = parse_uuid(request.query_params.get("territory_id"))
        values["kind"] = kind if kind in i18n.KIND_LABELS else ""
        values["territory_id"] = str(territory) if territory in index.by_id else ""
        return page(
            request, "pages/organisation_form.html", "org_form", {"index": index, "values": values, "errors": {}}
        )

    @post("/organisations", name="organisations:create", opt=PUBLIC, status_code=303)
    async def create_organisation(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in FORM_FIELDS}
        values["levels"] = [str(level) for level in form.getall("levels")] if "levels" in form else []
        # The form's own checks, all at once, so that one sending shows every missing field; the
        # API's rules (the check digit, the levels of the kind, the placement) come after them.
        errors = _form_errors(values)
        if not errors:
            try:
                org = await once(api, form).create_organisation(_payload(values))
            except ApiError as error:
                if error.status >= 500:
                    raise
                errors = {form_field(error.field): error.message}
        if errors:
            index = await territory_index(api)
            context = {"index": index, "values": values, "errors": errors}
            return page(request, "pages/organisation_form.html", "org_form", context, status_code=422)
        return go_to(request, url_with(f"/organisations/{org.id}", {}, done="created"))

    @get("/organisations/{organisation_id:uuid}", name="organisations:detail", opt=PUBLIC)
    async def organisation(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        org, index = await together(api.organisation(organisation_id), territory_index(api))
        notice = _(ACTION_DONE[done]) if done in ACTION_DONE else None
        return page(
            request,
            "pages/organisation.html",
            "org_panel",
            _detail_context(request, org, index, notice=notice, error=None),
        )

    @post(
        "/organisations/{organisation_id:uuid}/{action:str}", name="organisations:action", opt=PUBLIC, status_code=200
    )
    async def organisation_action(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        action: FromPath[str],
    ) -> Template | Redirect:
        chosen = _action(action)
        if (await request.form()).get("confirmed") != "yes":
            # Without JavaScript nothing asked yet (HTMX's hx-confirm did, and says so): a page asks.
            org = await api.organisation(organisation_id)
            return page(request, "pages/confirm_action.html", None, {"org": org, "action": _action_view(chosen)})
        notice = error = None
        status_code = 200
        try:
            await api.organisation_action(organisation_id, chosen)
            notice = _(ACTION_DONE[chosen])
        except ApiError as failure:
            if failure.status == 404 or failure.status >= 500:
                raise
            # A refusal (not now, not by you) is shown in the panel, in the caller's language.
            error, status_code = failure.message, failure.status
        if not request.htmx and error is None:  # type: ignore[attr-defined]
            return Redirect(url_with(f"/organisations/{organisation_id}", {}, done=action), status_code=303)
        org, index = await together(api.organisation(organisation_id), territory_index(api))
        context = _detail_context(request, org, index, notice=notice, error=error)
        return page(request, "pages/organisation.html", "org_panel", context, status_code=status_code)

    @get("/organisations/{organisation_id:uuid}/status", name="organisations:status", opt=PUBLIC)
    async def organisation_status(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        was: FromQuery[str | None] = None,
    ) -> Template:
        state = await api.provisioning(organisation_id)
        headers = {"Vary": VARY}
        if was == "provisioning" and state.status != "provisioning":
            # The page around the badge (the actions) is refreshed once the status settles.
            headers["HX-Trigger"] = "org-status-changed"
        return Template(
            template_name="partials/status_badge.html",
            context={"org": state, "locale": i18n.current_locale()},
            headers=headers,
        )


def provide_api(request: Request[Any, Any, Any]) -> ApiClient:
    """The API client speaking for this request's caller, in its language."""
    return request.app.state.api_client.bound(caller_headers(request.headers, i18n.current_locale()))
