"""Sector methodological unions (cl. 24), kept by the republic methodological cabinet: voluntary,
by sector, with members from education organisations, employers and social partners, who need no
account. A member from an education organisation is named by its BIN."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.changes import Answer, BodyPage
from web.bodies.forms import errors_of, refusable, text
from web.bodies.kinds import QUORUM_RULES
from web.bodies.powers import powers
from web.client import ApiClient, ApiError, OrganisationQuery, together
from web.forms import once
from web.structure.common import Work
from web.templating import go_to, local_now, page
from web.views import PUBLIC

CREATE_FIELDS = ("name", "sector", "description", "quorum_rule")
MEMBER_FIELDS = ("member_kind", "full_name", "represents", "bin", "email")
OFFICER_FIELDS = ("chair_member_id", "secretary_member_id")
MEMBER_KINDS: Mapping[str, str] = {
    "education_organisation": N_("Representative of an education organisation"),
    "employer": N_("Employer"),
    "social_partner": N_("Social partner"),
}
DONE = {
    "created": N_("The union has been formed. Add its members."),
    "member": N_("The member has been added."),
    "ended": N_("The membership has been ended; it stays in the union's history."),
    "saved": N_("The changes have been saved."),
    "archived": N_("The union has been archived; its meetings and history stay readable."),
}


def _labels() -> dict[str, Any]:
    return {
        "member_kinds": {k: _(v) for k, v in MEMBER_KINDS.items()},
        "quorum_rules": {k: _(v) for k, v in QUORUM_RULES.items()},
    }


class UnionPages(Controller):
    path = "/organisations/{organisation_id:uuid}/unions"

    async def _list_context(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, **extra: Any
    ) -> dict[str, Any]:
        org, rows = await together(
            api.organisation(organisation_id), Work(api, organisation_id).get("/unions", page_size=200)
        )
        values = {"name": "", "sector": "", "description": "", "quorum_rule": "more_than_half"} | extra.pop(
            "values", {}
        )
        return {
            "org": org,
            "rows": rows["items"],
            "powers": await powers(request, api, org),
            "values": values,
            "errors": {},
            "notice": None,
            **_labels(),
            **extra,
        }

    @get("/", name="unions:list-page", opt=PUBLIC)
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        notice = _(DONE[done]) if done in DONE else None
        return page(
            request, "bodies/unions.html", None, await self._list_context(request, api, organisation_id, notice=notice)
        )

    @post("/", name="unions:create-page", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values = {name: text(form, name) for name in CREATE_FIELDS}
        payload = {
            "name": values["name"],
            "sector": values["sector"],
            "description": values["description"] or None,
            "quorum_rule": values["quorum_rule"] or "more_than_half",
        }
        try:
            created = await Work(once(api, form), organisation_id).post("/unions", payload)
        except ApiError as error:
            if not refusable(error, CREATE_FIELDS):
                raise
            context = await self._list_context(
                request, api, organisation_id, values=values, errors=errors_of(error, CREATE_FIELDS)
            )
            return page(request, "bodies/unions.html", "create_panel", context, status_code=422)
        return go_to(request, f"/organisations/{organisation_id}/unions/{created['id']}?done=created")

    async def _detail_context(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, union_id: UUID, **extra: Any
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, union, members, meetings = await together(
            api.organisation(organisation_id),
            work.get(f"/unions/{union_id}"),
            work.get(f"/unions/{union_id}/members", page_size=200),
            work.get("/meetings", body_id=union_id, page_size=50),
        )
        names = {m["id"]: m["full_name"] for m in members["items"]}
        values = {"member_kind": "employer", "full_name": "", "represents": "", "bin": "", "email": ""} | extra.pop(
            "member_values", {}
        )
        officers = {
            "chair_member_id": union.get("chair_member_id") or "",
            "secretary_member_id": union.get("secretary_member_id") or "",
        }
        return {
            "org": org,
            "union": union,
            "members": members["items"],
            "chair": names.get(union.get("chair_member_id")),
            "secretary": names.get(union.get("secretary_member_id")),
            "powers": await powers(request, api, org),
            "values": values,
            "officers": officers | extra.pop("officer_values", {}),
            "member_errors": {},
            "officer_errors": {},
            "meetings": [work.with_times(m) for m in meetings["items"]],
            "error": None,
            "notice": None,
            "now_local": local_now(),
            **_labels(),
            **extra,
        }

    @get("/{union_id:uuid}", name="unions:detail-page", opt=PUBLIC)
    async def detail(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        union_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        notice = _(DONE[done]) if done in DONE else None
        return page(
            request,
            "bodies/union.html",
            None,
            await self._detail_context(request, api, organisation_id, union_id, notice=notice),
        )

    def _page(self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, union_id: UUID) -> BodyPage:
        path = f"/organisations/{organisation_id}/unions/{union_id}"
        context = partial(self._detail_context, request, api, organisation_id, union_id)
        return BodyPage(request, api, organisation_id, path, "bodies/union.html", context)

    async def _organisation_by_bin(self, api: ApiClient, bin_: str) -> str:
        """The id of the education organisation with this BIN, as far as the viewer can see it."""
        digits = "".join(bin_.split())
        found = await api.organisations(OrganisationQuery(q=digits, page_size=5)) if digits else None
        match = next((o for o in found.items if o.bin == digits), None) if found else None
        if match is None:
            raise ApiError(422, _("No education organisation with this BIN: check the 12 digits."), "bin", "24")
        return str(match.id)

    @post("/{union_id:uuid}/members", name="unions:member-add-page", opt=PUBLIC, status_code=303)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        union_id: FromPath[UUID],
    ) -> Answer:
        form = await request.form()
        values = {name: text(form, name) for name in MEMBER_FIELDS}
        payload: dict[str, Any] = {
            "member_kind": values["member_kind"],
            "full_name": values["full_name"],
            "represents": values["represents"] or None,
            "email": values["email"] or None,
        }

        async def sending() -> None:
            if values["member_kind"] == "education_organisation":
                payload["organisation_id"] = await self._organisation_by_bin(api, values["bin"])
            await Work(once(api, form), organisation_id).post(f"/unions/{union_id}/members", payload)

        body = self._page(request, api, organisation_id, union_id)
        return await body.saved(
            sending(),
            values=values,
            fields=(*MEMBER_FIELDS, "organisation_id"),
            renamed={"organisation_id": "bin"},
            prefix="member_",
            block="members_panel",
            done=body.back("member"),
        )

    @post("/{union_id:uuid}/officers", name="unions:officers-page", opt=PUBLIC, status_code=303)
    async def officers(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        union_id: FromPath[UUID],
    ) -> Answer:
        form = await request.form()
        values = {name: text(form, name) for name in OFFICER_FIELDS}
        body = self._page(request, api, organisation_id, union_id)
        return await body.saved(
            Work(api, organisation_id).patch(f"/unions/{union_id}", {k: v or None for k, v in values.items()}),
            values=values,
            fields=OFFICER_FIELDS,
            prefix="officer_",
            block="officers_panel",
            done=body.back("saved"),
        )

    @post("/{union_id:uuid}/members/{member_id:uuid}/end", name="unions:member-end-page", opt=PUBLIC, status_code=303)
    async def end_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        union_id: FromPath[UUID],
        member_id: FromPath[UUID],
    ) -> Answer:
        body = self._page(request, api, organisation_id, union_id)
        return await body.confirmed(
            f"/unions/{union_id}/members/{member_id}/end",
            question=_("End this membership? The member leaves the union today; the record stays in its history."),
            button=_("End the membership"),
            done=body.back("ended"),
            block="members_panel",
        )

    @post("/{union_id:uuid}/archive", name="unions:archive-page", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        union_id: FromPath[UUID],
    ) -> Answer:
        return await self._page(request, api, organisation_id, union_id).confirmed(
            f"/unions/{union_id}/archive",
            question=_(
                "Archive this union? It holds no more meetings; its members, meetings and decisions stay readable."
            ),
            button=_("Archive"),
            done=f"/organisations/{organisation_id}/unions?done=archived",
        )
