"""A collegial body's page (web.bodies.kinds) with its members, chair, secretary and meetings, and its
changes — edit, archive, add a member, end a membership, a leader's term — each refused next to
the field the API names. Archiving and ending a membership are confirmed first (collegial.py)."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import KZ_TIME, today
from api.i18n import gettext as _
from web.bodies.collegial import DONE, collegial_kind, nothing, page_labels
from web.bodies.forms import confirmed_post, errors_of, one_year_term, refusable, text
from web.bodies.kinds import CollegialKind
from web.bodies.powers import powers
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.structure.pages import Work
from web.templating import go_to, page
from web.views import PUBLIC

LEADER_FIELDS = ("staff_id", "method", "starts_on", "ends_on")
EDIT_FIELDS = ("name", "quorum_rule", "chair_staff_id", "secretary_staff_id")
MEMBER_FIELDS = ("staff_id", "starts_on", "ends_on")


def now_local() -> str:
    return datetime.datetime.now(KZ_TIME).strftime("%Y-%m-%dT%H:%M")


class CollegialBodyPages(Controller):
    path = "/organisations/{organisation_id:uuid}/bodies"

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
            work.get("/units", page_size=200) if spec.unit_kinds is not None else nothing(),
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
        now = datetime.datetime.now(KZ_TIME)
        upcoming = sorted((m for m in held if m["starts_at"] >= now), key=lambda m: m["starts_at"])
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
            "now_local": now_local(),
            **page_labels(),
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
        spec = collegial_kind(body_kind)
        notice = _(DONE[done]) if done in DONE else None
        context = await self._detail_context(request, api, organisation_id, spec, body_id, notice=notice)
        return page(request, "bodies/detail.html", None, context)

    async def _saved(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        spec: CollegialKind,
        body_id: UUID,
        sending: Awaitable[Any],
        values: dict[str, str],
        fields: tuple[str, ...],
        prefix: str,
        block: str,
        done: str,
    ) -> Template | Redirect | ClientRedirect:
        """A form of the body's page sent: on to `done`, or its panel `block` again with what was typed
        (`{prefix}values`) and the refusal beside the field it names (`{prefix}errors`)."""
        try:
            await sending
        except ApiError as error:
            if not refusable(error, fields):
                raise
            context = await self._detail_context(
                request,
                api,
                organisation_id,
                spec,
                body_id,
                **{f"{prefix}values": values, f"{prefix}errors": errors_of(error, fields)},
            )
            return page(request, "bodies/detail.html", block, context, status_code=422)
        return go_to(request, done)

    def _refused(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        spec: CollegialKind,
        body_id: UUID,
        block: str,
    ) -> Callable[[ApiError], Awaitable[Template]]:
        """The panel `block` again, with the API's refusal above it."""

        async def refused(error: ApiError) -> Template:
            context = await self._detail_context(request, api, organisation_id, spec, body_id, error=error)
            return page(request, "bodies/detail.html", block, context, status_code=error.status)

        return refused

    def _back(self, organisation_id: UUID, spec: CollegialKind, body_id: UUID, done: str) -> str:
        return f"/organisations/{organisation_id}/bodies/{spec.body_kind}/{body_id}?done={done}"

    @post("/{body_kind:str}/{body_id:uuid}/edit", name="bodies:edit-page", opt=PUBLIC, status_code=303)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        spec = collegial_kind(body_kind)
        form = await request.form()
        values = {name: text(form, name) for name in EDIT_FIELDS}
        return await self._saved(
            request,
            api,
            organisation_id,
            spec,
            body_id,
            Work(api, organisation_id).patch(f"{spec.api}/{body_id}", spec.edit_payload(values)),
            values,
            EDIT_FIELDS,
            "",
            "settings_panel",
            self._back(organisation_id, spec, body_id, "saved"),
        )

    @post("/{body_kind:str}/{body_id:uuid}/members", name="bodies:member-add-page", opt=PUBLIC, status_code=303)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        spec = collegial_kind(body_kind)
        form = await request.form()
        values = {name: text(form, name) for name in MEMBER_FIELDS}
        payload = {
            "staff_id": values["staff_id"],
            "starts_on": values["starts_on"] or None,
            "ends_on": values["ends_on"] or None,
        }
        return await self._saved(
            request,
            api,
            organisation_id,
            spec,
            body_id,
            Work(once(api, form), organisation_id).post(f"/bodies/{spec.body_kind}/{body_id}/members", payload),
            values,
            MEMBER_FIELDS,
            "member_",
            "members_panel",
            self._back(organisation_id, spec, body_id, "member"),
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
    ) -> Template | Redirect | ClientRedirect:
        spec = collegial_kind(body_kind)
        return await confirmed_post(
            request,
            api,
            organisation_id,
            _("End this membership? The person leaves the body today; the record stays in its history."),
            _("End the membership"),
            f"/organisations/{organisation_id}/bodies/{spec.body_kind}/{body_id}",
            f"/bodies/{spec.body_kind}/{body_id}/members/{membership_id}/end",
            self._back(organisation_id, spec, body_id, "ended"),
            self._refused(request, api, organisation_id, spec, body_id, "members_panel"),
        )

    @post("/{body_kind:str}/{body_id:uuid}/leaders", name="bodies:leader-page", opt=PUBLIC, status_code=303)
    async def add_leader(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        """An association's leader, elected (appointed) from its teachers for at most one year (cl. 30)."""
        spec = collegial_kind(body_kind)
        if not spec.leaders:
            raise ApiError(404, _("There is no such page."))
        form = await request.form()
        values = {name: text(form, name) for name in LEADER_FIELDS}
        payload = {
            "staff_id": values["staff_id"],
            "method": values["method"],
            "starts_on": values["starts_on"],
            "ends_on": values["ends_on"],
        }
        return await self._saved(
            request,
            api,
            organisation_id,
            spec,
            body_id,
            Work(once(api, form), organisation_id).post(f"{spec.api}/{body_id}/leaders", payload),
            values,
            LEADER_FIELDS,
            "leader_",
            "settings_panel",
            self._back(organisation_id, spec, body_id, "leader"),
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
    ) -> Template | Redirect | ClientRedirect:
        spec = collegial_kind(body_kind)
        if not spec.leaders:
            raise ApiError(404, _("There is no such page."))
        return await confirmed_post(
            request,
            api,
            organisation_id,
            _("End the leader's term today? Elect or appoint the next leader for at most one year (cl. 30)."),
            _("End the term"),
            f"/organisations/{organisation_id}/bodies/{spec.body_kind}/{body_id}",
            f"{spec.api}/{body_id}/leaders/{term_id}/end",
            self._back(organisation_id, spec, body_id, "leader_ended"),
            self._refused(request, api, organisation_id, spec, body_id, "settings_panel"),
        )

    @post("/{body_kind:str}/{body_id:uuid}/archive", name="bodies:archive-page", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        spec = collegial_kind(body_kind)
        return await confirmed_post(
            request,
            api,
            organisation_id,
            _("Archive this body? It holds no more meetings; its members, meetings and decisions stay readable."),
            _("Archive"),
            f"/organisations/{organisation_id}/bodies/{spec.body_kind}/{body_id}",
            f"{spec.api}/{body_id}/archive",
            f"/organisations/{organisation_id}/bodies/{spec.body_kind}?done=archived",
            self._refused(request, api, organisation_id, spec, body_id, "settings_panel"),
        )
