"""The structural units pages (cl. 10): the unit tree with the councils, commissions and
associations of each unit under it, a new unit (of a kind this organisation has, placed where
that kind may sit), renaming or moving one, and archiving it.

The kinds offered come from the API (`…/units/kinds`), which answers by the organisation's kind:
a university is offered faculties, departments (кафедры) and institutes, never a school's
associations; and where each kind may sit, so a wrong place is named before the API is asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first, organisation_crumb
from web.forms import once
from web.setup.common import REQUIRED, Setup, done_notice, flatten, may_shape, must_show, refusal_at, text, unit_bodies
from web.setup.labels import labels
from web.structure.common import BODY_LABELS
from web.templating import go_to, page, parse_uuid, url_with
from web.views import PUBLIC

FIELDS: Mapping[str, str] = {"name": "name", "kind": "kind", "parent_id": "parent_id"}


def place_error(kind: str, parent: dict[str, Any] | None, kinds: Mapping[str, dict[str, Any]]) -> str | None:
    """Why a unit of `kind` cannot sit under `parent` (None: at the top), in the reader's words."""
    names = labels()["unit_kinds"]
    rule = kinds[kind]
    if parent is None:
        if rule["at_top"]:
            return None
        return _("A unit of the kind «%(kind)s» is placed inside one of: %(parents)s.") % {
            "kind": names.get(kind, kind),
            "parents": ", ".join(names.get(p, p) for p in rule["parent_kinds"]),
        }
    if parent["kind"] in rule["parent_kinds"]:
        return None
    return _("A unit of the kind «%(kind)s» cannot be placed inside «%(parent)s» (cl. 10).") % {
        "kind": names.get(kind, kind),
        "parent": names.get(parent["kind"], parent["kind"]),
    }


def below(node: dict[str, Any]) -> set[str]:
    """The ids of a node and everything under it (a unit cannot move inside itself)."""
    out = {str(node["id"])}
    for child in node.get("children") or []:
        out |= below(child)
    return out


class UnitPages(Controller):
    path = "/organisations/{organisation_id:uuid}/units"

    async def _tree(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        setup = Setup(api, organisation_id)
        org, tree, kinds, by_unit, shaper = await together(
            api.organisation(organisation_id),
            setup.get("/units/tree"),
            setup.get("/units/kinds"),
            unit_bodies(setup),
            may_shape(request, api, organisation_id),
        )
        done = request.query_params.get("done")
        context = {
            "org": org,
            "tree": tree,
            "units": flatten(tree),
            "kinds": kinds,
            "by_unit": by_unit,
            "may_shape": shaper,
            "values": values or {"name": "", "kind": kinds[0]["kind"] if kinds else "", "parent_id": ""},
            "errors": errors or {},
            "body_labels": {k: _(v) for k, v in BODY_LABELS.items()},
            "base": f"/organisations/{organisation_id}/units",
            "notice": done_notice(done) if not errors else None,
            **labels(),
        }
        return page(request, "setup/units.html", "unit_form" if errors else None, context, status_code=status_code)

    @get("/", name="setup:units", opt=PUBLIC)
    async def units(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._tree(request, api, organisation_id)

    @post("/", name="setup:unit-create", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values = {
            "name": text(form, "name"),
            "kind": text(form, "kind"),
            "parent_id": str(parse_uuid(form.get("parent_id")) or ""),
        }
        setup = Setup(api, organisation_id)
        kinds_list, tree = await together(setup.get("/units/kinds"), setup.get("/units/tree"))
        kinds = {k["kind"]: k for k in kinds_list}
        units = {str(u["id"]): u for u in flatten(tree)}
        errors: dict[str, str] = {}
        status = 422
        if not values["name"]:
            errors["name"] = _(REQUIRED)
        elif len(values["name"]) > 300:
            errors["name"] = _("At most %(max)s characters.") % {"max": 300}
        if values["kind"] not in kinds:
            errors["kind"] = _("Choose the kind of unit.")
        else:
            wrong = place_error(values["kind"], units.get(values["parent_id"]), kinds)
            if wrong:
                errors["parent_id"] = wrong
        if not errors:
            try:
                unit = {"name": values["name"], "kind": values["kind"], "parent_id": values["parent_id"] or None}
                await Setup(once(api, form), organisation_id).post("/units", unit)
                return go_to(request, url_with(f"/organisations/{organisation_id}/units", {}, done="created"))
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, FIELDS), (403 if error.status == 403 else 422)
        return await self._tree(request, api, organisation_id, values=values, errors=errors, status_code=status)

    async def _form(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        unit: dict[str, Any],
        *,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
        notice: str | None = None,
    ) -> Template:
        setup = Setup(api, organisation_id)
        org, tree, kinds, shaper = await together(
            api.organisation(organisation_id),
            setup.get("/units/tree"),
            setup.get("/units/kinds"),
            may_shape(request, api, organisation_id),
        )
        units = flatten(tree)
        node = next((u for u in units if str(u["id"]) == str(unit["id"])), None)
        inside = below(node) if node else {str(unit["id"])}
        allowed = next((k["parent_kinds"] for k in kinds if k["kind"] == unit["kind"]), [])
        context = {
            "org": org,
            "unit": unit,
            "values": values,
            "errors": errors,
            "may_shape": shaper,
            "notice": notice,
            "parents": [u for u in units if str(u["id"]) not in inside and u["kind"] in allowed],
            "at_top": any(k["at_top"] for k in kinds if k["kind"] == unit["kind"]),
            "parent_name": next((u["name"] for u in units if str(u["id"]) == str(unit["parent_id"] or "")), None),
            "base": f"/organisations/{organisation_id}/units",
            **labels(),
        }
        return page(request, "setup/unit_form.html", "unit_edit", context, status_code=status_code)

    @get("/{unit_id:uuid}", name="setup:unit", opt=PUBLIC)
    async def unit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        unit_id: FromPath[UUID],
    ) -> Template:
        found = await Setup(api, organisation_id).get(f"/units/{unit_id}")
        done = request.query_params.get("done")
        values = {"name": found["name"], "parent_id": str(found["parent_id"] or "")}
        return await self._form(
            request, api, organisation_id, found, values=values, errors={}, notice=done_notice(done)
        )

    @post("/{unit_id:uuid}", name="setup:unit-update", opt=PUBLIC, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        unit_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        found = await setup.get(f"/units/{unit_id}")
        form = await request.form()
        values = {"name": text(form, "name"), "parent_id": str(parse_uuid(form.get("parent_id")) or "")}
        errors: dict[str, str] = {}
        status = 422
        if not values["name"]:
            errors["name"] = _(REQUIRED)
        elif len(values["name"]) > 300:
            errors["name"] = _("At most %(max)s characters.") % {"max": 300}
        if not errors:
            try:
                await setup.patch(
                    f"/units/{unit_id}", {"name": values["name"], "parent_id": values["parent_id"] or None}
                )
                return go_to(request, f"/organisations/{organisation_id}/units/{unit_id}?done=saved")
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, FIELDS), (403 if error.status == 403 else 422)
        return await self._form(request, api, organisation_id, found, values=values, errors=errors, status_code=status)

    @post("/{unit_id:uuid}/archive", name="setup:unit-archive", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        unit_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        found, org = await together(setup.get(f"/units/{unit_id}"), api.organisation(organisation_id))
        base = f"/organisations/{organisation_id}/units"
        back = f"{base}/{unit_id}"
        if asking := await ask_first(
            request,
            action=_("Archive a unit"),
            subject=found["name"],
            question=_("Archive this unit? It leaves the structure; its sub-units must be archived or moved first."),
            back=back,
            button=_("Archive"),
            crumbs=[organisation_crumb(org), (back, found["name"])],
            section="organisations",
        ):
            return asking
        try:
            await setup.post(f"/units/{unit_id}/archive")
        except ApiError as error:
            if not must_show(error):
                raise
            values = {"name": found["name"], "parent_id": str(found["parent_id"] or "")}
            return await self._form(
                request,
                api,
                organisation_id,
                found,
                values=values,
                errors=refusal_at(error, {}),
                status_code=error.status,
            )
        return go_to(request, f"{base}?done=archived")
