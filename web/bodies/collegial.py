"""One set of pages for the collegial bodies (web.bodies.kinds): the list of a kind with the form
that creates one, a body's page with its members, chair, secretary and meetings, and the changes
— edit, archive, add a member, end a membership — each refused next to the field the API names.

Archiving a body and ending a membership are confirmed first: with JavaScript by `hx-confirm`
(the form then carries `confirmed=yes`), without it by a page that asks."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import now, today
from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.changes import Answer, BodyPage
from web.bodies.forms import errors_of, one_year_term, refusable, text
from web.bodies.kinds import COMMISSION_KINDS, KINDS, LEADER_METHODS, QUORUM_RULES, CollegialKind
from web.bodies.powers import powers
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.structure.common import UNIT_KINDS, Work
from web.templating import go_to, local_now, page
from web.views import PUBLIC

CREATE_FIELDS = ("name", "kind", "unit_id", "quorum_rule")
LEADER_FIELDS = ("staff_id", "method", "starts_on", "ends_on")
EDIT_FIELDS = ("name", "quorum_rule", "chair_staff_id", "secretary_staff_id")
MEMBER_FIELDS = ("staff_id", "starts_on", "ends_on")
DONE = {
    "created": N_("The body has been formed. Add its members, then name its chair and secretary."),
    "saved": N_("The changes have been saved."),
    "member": N_("The member has been added."),
    "ended": N_("The membership has been ended; it stays in the body's history."),
    "archived": N_("The body has been archived; its meetings and history stay readable."),
    "leader": N_("The leader has been recorded."),
    "leader_ended": N_("The leader's term has been ended."),
}


def _kind(body_kind: str) -> CollegialKind:
    spec = KINDS.get(body_kind)
    if spec is None:
        raise ApiError(404, _("There is no such page."))
    return spec


def _with_leaders(body_kind: str) -> CollegialKind:
    """A kind whose leader is elected or appointed (an association's, cl. 30); no such page for the others."""
    spec = _kind(body_kind)
    if not spec.leaders:
        raise ApiError(404, _("There is no such page."))
    return spec


def _labels() -> dict[str, Any]:
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
            work.get("/units", page_size=200) if spec.unit_kinds is not None else _nothing(),
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
            **_labels(),
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
        spec = _kind(body_kind)
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
        spec = _kind(body_kind)
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

    # --- one body ---------------------------------------------------------------------------------

    async def _detail_context(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        spec: CollegialKind,
        body_id: UUID,
        **extra: Any,
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, row, body, memberships, staff, units, meetings = await together(
            api.organisation(organisation_id),
            work.get(f"{spec.api}/{body_id}"),
            work.get(f"/bodies/{spec.body_kind}/{body_id}"),
            work.get(f"/bodies/{spec.body_kind}/{body_id}/members", include_past="true", page_size=200),
            work.get("/staff", page_size=200),
            work.get("/units", page_size=200) if spec.unit_kinds is not None else _nothing(),
            work.get("/meetings", body_id=body_id, page_size=50),
        )
        if not spec.owns(row):
            raise ApiError(404, _("There is no such page."))
        current = [m for m in memberships["items"] if m["left_on"] is None]
        past = [m for m in memberships["items"] if m["left_on"] is not None]
        member_ids = {m["staff_id"] for m in current}
        values = {
            "name": row["name"],
            "quorum_rule": row["quorum_rule"],
            "chair_staff_id": row.get("chair_staff_id") or "",
            "secretary_staff_id": row.get("secretary_staff_id") or "",
        } | extra.pop("values", {})
        member_values = {"staff_id": "", "starts_on": "", "ends_on": ""} | extra.pop("member_values", {})
        start = today()
        leader_values = {
            "staff_id": "",
            "method": "elected",
            "starts_on": start.isoformat(),
            "ends_on": one_year_term(start).isoformat(),
        } | extra.pop("leader_values", {})
        unit_names = {u["id"]: u["name"] for u in (units["items"] if units else [])}
        held = [work.with_times(m) for m in meetings["items"]]
        since = now()
        upcoming = sorted((m for m in held if m["starts_at"] >= since), key=lambda m: m["starts_at"])
        return {
            "org": org,
            "spec": spec,
            "row": row,
            "body": body,
            "current": current,
            "past": past,
            "candidates": [s for s in staff["items"] if s["id"] not in member_ids],
            "unit_name": unit_names.get(row.get("unit_id")),
            "meetings": held,
            "next_meeting": upcoming[0] if upcoming else (held[0] if held else None),
            "powers": await powers(request, api, org, {**body, "leader": row.get("leader")}),
            "values": values,
            "member_values": member_values,
            "leader": row.get("leader"),
            "leader_values": leader_values,
            "leader_errors": {},
            "errors": {},
            "member_errors": {},
            "error": None,
            "notice": None,
            "now_local": local_now(),
            **_labels(),
            **extra,
        }

    @get("/{body_kind:str}/{body_id:uuid}", name="bodies:detail-page", opt=PUBLIC)
    async def detail(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        spec = _kind(body_kind)
        notice = _(DONE[done]) if done in DONE else None
        context = await self._detail_context(request, api, organisation_id, spec, body_id, notice=notice)
        return page(request, "bodies/detail.html", None, context)

    def _page(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, spec: CollegialKind, body_id: UUID
    ) -> BodyPage:
        path = f"/organisations/{organisation_id}/bodies/{spec.body_kind}/{body_id}"
        context = partial(self._detail_context, request, api, organisation_id, spec, body_id)
        return BodyPage(request, api, organisation_id, path, "bodies/detail.html", context)

    @post("/{body_kind:str}/{body_id:uuid}/edit", name="bodies:edit-page", opt=PUBLIC, status_code=303)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Answer:
        spec = _kind(body_kind)
        form = await request.form()
        values = {name: text(form, name) for name in EDIT_FIELDS}
        body = self._page(request, api, organisation_id, spec, body_id)
        return await body.saved(
            Work(api, organisation_id).patch(f"{spec.api}/{body_id}", spec.edit_payload(values)),
            values=values,
            fields=EDIT_FIELDS,
            prefix="",
            block="settings_panel",
            done=body.back("saved"),
        )

    @post("/{body_kind:str}/{body_id:uuid}/members", name="bodies:member-add-page", opt=PUBLIC, status_code=303)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Answer:
        spec = _kind(body_kind)
        form = await request.form()
        values = {name: text(form, name) for name in MEMBER_FIELDS}
        payload = {
            "staff_id": values["staff_id"],
            "starts_on": values["starts_on"] or None,
            "ends_on": values["ends_on"] or None,
        }
        body = self._page(request, api, organisation_id, spec, body_id)
        return await body.saved(
            Work(once(api, form), organisation_id).post(f"/bodies/{spec.body_kind}/{body_id}/members", payload),
            values=values,
            fields=MEMBER_FIELDS,
            prefix="member_",
            block="members_panel",
            done=body.back("member"),
        )

    @post(
        "/{body_kind:str}/{body_id:uuid}/members/{membership_id:uuid}/end",
        name="bodies:member-end-page",
        opt=PUBLIC,
        status_code=303,
    )
    async def end_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
        membership_id: FromPath[UUID],
    ) -> Answer:
        spec = _kind(body_kind)
        body = self._page(request, api, organisation_id, spec, body_id)
        return await body.confirmed(
            f"/bodies/{spec.body_kind}/{body_id}/members/{membership_id}/end",
            question=_("End this membership? The person leaves the body today; the record stays in its history."),
            button=_("End the membership"),
            done=body.back("ended"),
            block="members_panel",
        )

    @post("/{body_kind:str}/{body_id:uuid}/leaders", name="bodies:leader-page", opt=PUBLIC, status_code=303)
    async def add_leader(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Answer:
        """An association's leader, elected (appointed) from its teachers for at most one year (cl. 30)."""
        spec = _with_leaders(body_kind)
        form = await request.form()
        values = {name: text(form, name) for name in LEADER_FIELDS}
        body = self._page(request, api, organisation_id, spec, body_id)
        return await body.saved(
            Work(once(api, form), organisation_id).post(f"{spec.api}/{body_id}/leaders", values),
            values=values,
            fields=LEADER_FIELDS,
            prefix="leader_",
            block="settings_panel",
            done=body.back("leader"),
        )

    @post(
        "/{body_kind:str}/{body_id:uuid}/leaders/{term_id:uuid}/end",
        name="bodies:leader-end-page",
        opt=PUBLIC,
        status_code=303,
    )
    async def end_leader(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
        term_id: FromPath[UUID],
    ) -> Answer:
        spec = _with_leaders(body_kind)
        body = self._page(request, api, organisation_id, spec, body_id)
        return await body.confirmed(
            f"{spec.api}/{body_id}/leaders/{term_id}/end",
            question=_("End the leader's term today? Elect or appoint the next leader for at most one year (cl. 30)."),
            button=_("End the term"),
            done=body.back("leader_ended"),
            block="settings_panel",
        )

    @post("/{body_kind:str}/{body_id:uuid}/archive", name="bodies:archive-page", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Answer:
        spec = _kind(body_kind)
        return await self._page(request, api, organisation_id, spec, body_id).confirmed(
            f"{spec.api}/{body_id}/archive",
            question=_(
                "Archive this body? It holds no more meetings; its members, meetings and decisions stay readable."
            ),
            button=_("Archive"),
            done=f"/organisations/{organisation_id}/bodies/{spec.body_kind}?done=archived",
            block="settings_panel",
        )


async def _nothing() -> None:
    return None
