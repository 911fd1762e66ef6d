"""The items of an association's work plan in the pages: add, edit in place, remove (cl. 7, 29).

While the plan is a draft, its keepers (the association's leader, the deputy head, the
administrator: the API's `may_keep`) change its items: "Edit" turns the row into a form in place
(HTMX; without JavaScript the link opens the page with that row as a form), "Remove" asks first
(hx-confirm; without JavaScript a page asks). So an item added without its responsible people —
which keeps the plan from being submitted — can be put right. Everything else the page shows is
the association's (web/structure/associations.py); the API decides and its refusals are shown next to the
field they name, all of the form's own checks at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first, organisation_crumb
from web.forms import once
from web.structure.associations import association_context
from web.structure.common import Work
from web.templating import page
from web.views import PUBLIC

ITEM_FIELDS = ("title", "direction", "starts_on", "ends_on", "responsible_ids")
TEMPLATE = "structure/association.html"


def item_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """What the item form holds, as typed: given back on a refusal, so nothing is lost."""
    return {
        "title": str(form.get("title") or "").strip(),
        "direction": str(form.get("direction") or ""),
        "starts_on": str(form.get("starts_on") or "").strip(),
        "ends_on": str(form.get("ends_on") or "").strip(),
        "responsible_ids": [str(v) for v in form.getall("responsible_ids")] if "responsible_ids" in form else [],  # type: ignore[attr-defined]
    }


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def check_item(values: Mapping[str, Any]) -> dict[str, str]:
    """The form's own checks, all of them at once; the API's rules (the school year, the staff)
    come after these pass."""
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Say what the item is.")
    starts, ends = _date(values["starts_on"]), _date(values["ends_on"]) if values["ends_on"] else None
    if starts is None:
        errors["starts_on"] = _("Give the day the item starts.")
    if values["ends_on"] and ends is None:
        errors["ends_on"] = _("Give the day the item ends as a date.")
    elif starts and ends and ends < starts:
        errors["ends_on"] = _("The item must end on or after its start.")
    if not values["responsible_ids"]:
        errors["responsible_ids"] = _(
            "Name at least one responsible person: a plan is submitted only when every item has one."
        )
    return errors


def field_of(error: ApiError) -> str:
    """The item form's field an API refusal names ('' for the whole form)."""
    name = (error.field or "").split("[", 1)[0].rsplit(".", 1)[-1]
    return name if name in ITEM_FIELDS else ""


def item_payload(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": values["title"],
        "direction": values["direction"],
        "starts_on": values["starts_on"],
        "ends_on": values["ends_on"] or None,
        "responsible_ids": list(values["responsible_ids"]),
    }


class PlanItemPages(Controller):
    path = "/organisations/{organisation_id:uuid}/associations/{association_id:uuid}/plans/{plan_id:uuid}/items"

    async def _panel(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        association_id: UUID,
        *,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        # The association page's context: the plan panel is a block of its page.
        context = await association_context(api, organisation_id, association_id, panel="plan_panel", **extra)
        return page(request, TEMPLATE, "plan_panel", context, status_code=status_code)

    def _back(self, organisation_id: UUID, association_id: UUID) -> Redirect:
        return Redirect(f"/organisations/{organisation_id}/associations/{association_id}#plan", status_code=303)

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        association_id: UUID,
        form_name: str,
        values: dict[str, Any],
        errors: dict[str, str],
        error: ApiError | None,
        status_code: int,
        editing: str | None = None,
    ) -> Template:
        return await self._panel(
            request,
            api,
            organisation_id,
            association_id,
            status_code=status_code,
            item_form=form_name,
            item_values=values,
            item_errors=errors,
            error=error,
            editing=editing,
        )

    @post("/", name="plans:item-add", opt=PUBLIC, status_code=303)
    async def add(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        plan_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        values = item_values(form)
        errors = check_item(values)
        if not errors:
            try:
                await Work(once(api, form), organisation_id).post(f"/plans/{plan_id}/items", item_payload(values))
            except ApiError as error:
                if error.status >= 500 or error.status == 404:
                    raise
                field = field_of(error)
                return await self._refused(
                    request,
                    api,
                    organisation_id,
                    association_id,
                    "add",
                    values,
                    {field: error.message} if field else {},
                    None if field else error,
                    error.status,
                )
        else:
            return await self._refused(request, api, organisation_id, association_id, "add", values, errors, None, 422)
        if request.htmx:  # type: ignore[attr-defined]
            return await self._panel(
                request, api, organisation_id, association_id, notice=_("The item has been added.")
            )
        return self._back(organisation_id, association_id)

    @get("/{item_id:uuid}/edit", name="plans:item-edit", opt=PUBLIC)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        plan_id: FromPath[UUID],
        item_id: FromPath[UUID],
    ) -> Template:
        """The row as a form: HTMX swaps the plan panel; without JavaScript the whole page comes."""
        plan = await Work(api, organisation_id).get(f"/plans/{plan_id}")
        item = next((i for i in plan["items"] if i["id"] == str(item_id)), None)
        if item is None:
            raise ApiError(404, _("The item is not in this plan."), "item_id")
        values = {k: item[k] or "" for k in ("title", "direction", "starts_on", "ends_on")} | {
            "responsible_ids": [str(r) for r in item["responsible_ids"]]
        }
        context = await association_context(
            api,
            organisation_id,
            association_id,
            panel="plan_panel",
            editing=str(item_id),
            item_form="edit",
            item_values=values,
        )
        return page(request, TEMPLATE, "plan_panel", context)

    @post("/{item_id:uuid}", name="plans:item-update", opt=PUBLIC, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        plan_id: FromPath[UUID],
        item_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        values = item_values(form)
        errors = check_item(values)
        if not errors:
            try:
                await Work(api, organisation_id).patch(f"/plans/{plan_id}/items/{item_id}", item_payload(values))
            except ApiError as error:
                if error.status >= 500 or error.status == 404:
                    raise
                field = field_of(error)
                return await self._refused(
                    request,
                    api,
                    organisation_id,
                    association_id,
                    "edit",
                    values,
                    {field: error.message} if field else {},
                    None if field else error,
                    error.status,
                    editing=str(item_id),
                )
        else:
            return await self._refused(
                request, api, organisation_id, association_id, "edit", values, errors, None, 422, editing=str(item_id)
            )
        if request.htmx:  # type: ignore[attr-defined]
            return await self._panel(
                request, api, organisation_id, association_id, notice=_("The item has been changed.")
            )
        return self._back(organisation_id, association_id)

    @post("/{item_id:uuid}/remove", name="plans:item-remove", opt=PUBLIC, status_code=303)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        plan_id: FromPath[UUID],
        item_id: FromPath[UUID],
    ) -> Template | Redirect:
        work = Work(api, organisation_id)
        plan, org = await together(work.get(f"/plans/{plan_id}"), api.organisation(organisation_id))
        item = next((i for i in plan["items"] if i["id"] == str(item_id)), None)
        if item is None:
            raise ApiError(404, _("The item is not in this plan."), "item_id")
        back = f"/organisations/{organisation_id}/associations/{association_id}#plan"
        if asking := await ask_first(
            request,
            action=_("Remove the item"),
            subject=f"{item['position']}. {item['title']}",
            question=_("Remove this item from the draft of the work plan? The other items are numbered again."),
            back=back,
            crumbs=[
                organisation_crumb(org),
                (back, plan.get("association_name") or _("Work plan")),
            ],
            section="organisations",
        ):
            return asking
        try:
            await work.post(f"/plans/{plan_id}/items/{item_id}/remove")
        except ApiError as error:
            if error.status >= 500 or error.status == 404:
                raise
            return await self._panel(
                request, api, organisation_id, association_id, status_code=error.status, error=error
            )
        if request.htmx:  # type: ignore[attr-defined]
            return await self._panel(
                request, api, organisation_id, association_id, notice=_("The item has been removed.")
            )
        return self._back(organisation_id, association_id)
