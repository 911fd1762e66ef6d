"""One set of pages for the collegial bodies (web.bodies.kinds): the list of a kind with the form
that creates one (here), and a body's page with its members, chair, secretary and meetings and its
changes — edit, archive, add a member, end a membership — each refused next to the field the API
names (collegial_body.py).

Archiving a body and ending a membership are confirmed first: with JavaScript by `hx-confirm`
(the form then carries `confirmed=yes`), without it by a page that asks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.forms import errors_of, refusable, text
from web.bodies.kinds import COMMISSION_KINDS, KINDS, LEADER_METHODS, QUORUM_RULES, CollegialKind
from web.bodies.powers import powers
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.structure.pages import UNIT_KINDS, Work
from web.templating import go_to, page
from web.views import PUBLIC

CREATE_FIELDS = ("name", "kind", "unit_id", "quorum_rule")
DONE = {
    "created": N_("The body has been formed. Add its members, then name its chair and secretary."),
    "saved": N_("The changes have been saved."),
    "member": N_("The member has been added."),
    "ended": N_("The membership has been ended; it stays in the body's history."),
    "archived": N_("The body has been archived; its meetings and history stay readable."),
    "leader": N_("The leader has been recorded."),
    "leader_ended": N_("The leader's term has been ended."),
}


def collegial_kind(body_kind: str) -> CollegialKind:
    spec = KINDS.get(body_kind)
    if spec is None:
        raise ApiError(404, _("There is no such page."))
    return spec


def page_labels() -> dict[str, Any]:
    return {
        "quorum_rules": {k: _(v) for k, v in QUORUM_RULES.items()},
        "commission_kinds": {k: _(v) for k, v in COMMISSION_KINDS.items()},
        "unit_kinds": {k: _(v) for k, v in UNIT_KINDS.items()},
        "kind_titles": {k: _(v.title) for k, v in KINDS.items()},
        "leader_methods": {k: _(v) for k, v in LEADER_METHODS.items()},
    }


class CollegialPages(Controller):
    path = "/organisations/{organisation_id:uuid}/bodies"

    # --- the list of a kind, and forming one ------------------------------------------------------

    async def _rows(self, work: Work, spec: CollegialKind, include_archived: bool) -> list[dict[str, Any]]:
        if spec.single:
            try:
                return [await work.get(spec.api)]
            except ApiError as error:
                if error.status == 404:
                    return []
                raise
        found = await work.get(
            spec.api, include_archived="true" if include_archived else None, page_size=200, **spec.list_params()
        )
        return [r for r in found["items"] if spec.owns(r)]

    async def _list_context(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, spec: CollegialKind, **extra: Any
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        include_archived = request.query_params.get("archived") == "yes"
        org, rows, units = await together(
            api.organisation(organisation_id),
            self._rows(work, spec, include_archived),
            work.get("/units", page_size=200) if spec.unit_kinds is not None else nothing(),
        )
        unit_items = units["items"] if units else []
        offered_units = [u for u in unit_items if not spec.unit_kinds or u["kind"] in spec.unit_kinds]
        values = {"name": "", "kind": next(iter(spec.subkinds), ""), "unit_id": "", "quorum_rule": spec.quorum}
        values |= extra.pop("values", {})
        return {
            "org": org,
            "spec": spec,
            "rows": rows,
            "units": offered_units,
            "unit_names": {u["id"]: u["name"] for u in unit_items},
            "powers": await powers(request, api, org),
            "values": values,
            "errors": {},
            "include_archived": include_archived,
            "notice": None,
            "kinds": KINDS,
            **page_labels(),
            **extra,
        }

    @get("/{body_kind:str}", name="bodies:list-page", opt=PUBLIC)
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        spec = collegial_kind(body_kind)
        notice = _(DONE[done]) if done in DONE else None
        context = await self._list_context(request, api, organisation_id, spec, notice=notice)
        return page(request, "bodies/list.html", None, context)

    @post("/{body_kind:str}", name="bodies:create-page", opt=PUBLIC, status_code=303)
    async def create(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
    ) -> Template | Redirect | ClientRedirect:
        spec = collegial_kind(body_kind)
        form = await request.form()
        values = {name: text(form, name) for name in CREATE_FIELDS}
        try:
            created = await Work(once(api, form), organisation_id).post(spec.api, spec.create_payload(values))
        except ApiError as error:
            if not refusable(error, CREATE_FIELDS):
                raise
            context = await self._list_context(
                request, api, organisation_id, spec, values=values, errors=errors_of(error, CREATE_FIELDS)
            )
            return page(request, "bodies/list.html", "create_panel", context, status_code=422)
        return go_to(request, f"/organisations/{organisation_id}/bodies/{spec.body_kind}/{created['id']}?done=created")


async def nothing() -> None:
    return None
