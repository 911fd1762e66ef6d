"""Inter-school associations of a district (city) methodological cabinet (cl. 25, 30).

Their members are teachers of the district's schools, chosen school by school. Their leaders are
appointed by the district (city) education department (cl. 30): only the district methodist of
the cabinet's own district is offered the appointment; everyone else sees the leader."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import today
from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.changes import Answer, BodyPage
from web.bodies.forms import errors_of, localized, one_year_term, refusable, text
from web.bodies.kinds import QUORUM_RULES
from web.bodies.powers import Powers, powers
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.structure.common import ASSOCIATION_KINDS, Work
from web.templating import go_to, local_now, localized_name, page
from web.views import PUBLIC

CREATE_FIELDS = ("name", "kind", "subject_code", "quorum_rule")
MEMBER_FIELDS = ("member", "starts_on")
LEADER_FIELDS = ("member", "starts_on", "ends_on")
# The API names a teacher by their school and staff record; the form by one choice of both.
TEACHER = {"organisation_id": "member", "staff_id": "member"}
DONE = {
    "created": N_("The inter-school association has been formed. Add its teachers from the district's schools."),
    "member": N_("The member has been added."),
    "ended": N_("The membership has been ended; it stays in the association's history."),
    "leader": N_("The leader has been appointed."),
    "leader_ended": N_("The leader's term has been ended."),
    "archived": N_("The association has been archived; its meetings and history stay readable."),
}


def _teacher(value: str) -> dict[str, str]:
    """A choice of a teacher of a school, `organisation_id:staff_id`, as the API names them; empty
    parts when malformed."""
    school, _sep, staff = value.partition(":")
    return {"organisation_id": school, "staff_id": staff}


class InterSchoolPages(Controller):
    path = "/organisations/{organisation_id:uuid}/inter-school-associations"

    async def _district(self, work: Work, can: Powers) -> dict[str, Any]:
        # Only the cabinet's keepers may read the district's schools and staff (the API's CABINET).
        if not can.keeps_inter_school:
            return {"schools": [], "subjects": []}
        return await work.get("/inter-school-associations/district")

    # --- the list, and forming one ----------------------------------------------------------------

    async def _list_context(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        values: dict[str, str],
        **extra: Any,
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, rows = await together(
            api.organisation(organisation_id), work.get("/inter-school-associations", page_size=200)
        )
        can = await powers(request, api, org)
        district = await self._district(work, can)
        values = {"name": "", "kind": "subject", "subject_code": "", "quorum_rule": "more_than_half"} | values
        if values["kind"] not in ASSOCIATION_KINDS:
            values["kind"] = "subject"
        return {
            "org": org,
            "rows": rows["items"],
            "powers": can,
            "values": values,
            "errors": {},
            "subjects": [{"code": s["code"], "name": localized(s)} for s in district["subjects"]],
            "association_kinds": {k: _(v) for k, v in ASSOCIATION_KINDS.items()},
            "quorum_rules": {k: _(v) for k, v in QUORUM_RULES.items()},
            "notice": None,
            **extra,
        }

    @get("/", name="inter-school:list-page", opt=PUBLIC)
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        values = {
            name: str(request.query_params.get(name) or "").strip()
            for name in CREATE_FIELDS
            if request.query_params.get(name)
        }
        notice = _(DONE[done]) if done in DONE else None
        context = await self._list_context(request, api, organisation_id, values, notice=notice)
        # Changing the kind redraws the form only (HTMX), to show the subject for the kind that needs it.
        return page(request, "bodies/inter_school_list.html", "create_panel", context)

    @post("/", name="inter-school:create-page", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values = {name: text(form, name) for name in CREATE_FIELDS}
        payload: dict[str, Any] = {
            "name": values["name"],
            "kind": values["kind"],
            "quorum_rule": values["quorum_rule"] or "more_than_half",
        }
        work = Work(api, organisation_id)
        try:
            if values["kind"] == "subject" and values["subject_code"]:
                district = await work.get("/inter-school-associations/district")
                chosen = next((s for s in district["subjects"] if s["code"] == values["subject_code"]), None)
                if chosen is None:
                    raise ApiError(422, _("Choose a subject taught in the district's schools."), "subject_code")
                payload |= {"subject_code": chosen["code"], "subject_name": localized(chosen)}
            created = await Work(once(api, form), organisation_id).post("/inter-school-associations", payload)
        except ApiError as error:
            if not refusable(error, CREATE_FIELDS):
                raise
            context = await self._list_context(
                request, api, organisation_id, values, errors=errors_of(error, CREATE_FIELDS)
            )
            return page(request, "bodies/inter_school_list.html", "create_panel", context, status_code=422)
        return go_to(
            request, f"/organisations/{organisation_id}/inter-school-associations/{created['id']}?done=created"
        )

    # --- one association --------------------------------------------------------------------------

    async def _detail_context(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, association_id: UUID, **extra: Any
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        base = f"/inter-school-associations/{association_id}"
        org, association, members, leaders, meetings = await together(
            api.organisation(organisation_id),
            work.get(base),
            work.get(f"{base}/members", page_size=200),
            work.get(f"{base}/leaders"),
            work.get("/meetings", body_id=association_id, page_size=50),
        )
        can = await powers(request, api, org)
        district = await self._district(work, can)
        schools = {s["organisation_id"]: localized(s) for s in district["schools"]}
        unknown = sorted({m["organisation_id"] for m in members["items"]} - set(schools))
        found = await asyncio.gather(*(api.organisation(UUID(i)) for i in unknown), return_exceptions=True)
        schools |= {
            i: localized_name(o) for i, o in zip(unknown, found, strict=True) if not isinstance(o, BaseException)
        }
        taken = {(m["organisation_id"], m["staff_id"]) for m in members["items"]}
        choices = [
            {
                "name": localized(s),
                "teachers": [
                    t | {"value": f"{s['organisation_id']}:{t['staff_id']}"}
                    for t in s["teachers"]
                    if (s["organisation_id"], t["staff_id"]) not in taken
                ],
            }
            for s in district["schools"]
        ]
        start = today()
        values = {"member": "", "starts_on": "", "ends_on": ""} | extra.pop("member_values", {})
        leader_values = {
            "member": "",
            "starts_on": start.isoformat(),
            "ends_on": one_year_term(start).isoformat(),
        } | extra.pop("leader_values", {})
        return {
            "org": org,
            "association": association,
            "members": members["items"],
            "leaders": leaders,
            "schools": schools,
            "choices": [c for c in choices if c["teachers"]],
            "powers": can,
            "values": values,
            "leader_values": leader_values,
            "leader": association.get("leader"),
            "meetings": [work.with_times(m) for m in meetings["items"]],
            "association_kinds": {k: _(v) for k, v in ASSOCIATION_KINDS.items()},
            "member_errors": {},
            "leader_errors": {},
            "error": None,
            "notice": None,
            "now_local": local_now(),
            **extra,
        }

    @get("/{association_id:uuid}", name="inter-school:detail-page", opt=PUBLIC)
    async def detail(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        notice = _(DONE[done]) if done in DONE else None
        context = await self._detail_context(request, api, organisation_id, association_id, notice=notice)
        return page(request, "bodies/inter_school.html", None, context)

    def _page(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, association_id: UUID
    ) -> BodyPage:
        path = f"/organisations/{organisation_id}/inter-school-associations/{association_id}"
        context = partial(self._detail_context, request, api, organisation_id, association_id)
        return BodyPage(request, api, organisation_id, path, "bodies/inter_school.html", context)

    @post("/{association_id:uuid}/members", name="inter-school:member-add-page", opt=PUBLIC, status_code=303)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
    ) -> Answer:
        form = await request.form()
        values = {name: text(form, name) for name in MEMBER_FIELDS}
        payload = {**_teacher(values["member"]), "starts_on": values["starts_on"] or None}
        body = self._page(request, api, organisation_id, association_id)
        return await body.saved(
            Work(once(api, form), organisation_id).post(
                f"/inter-school-associations/{association_id}/members", payload
            ),
            values=values,
            fields=(*MEMBER_FIELDS, *TEACHER),
            renamed=TEACHER,
            prefix="member_",
            block="members_panel",
            done=body.back("member"),
        )

    @post(
        "/{association_id:uuid}/members/{member_id:uuid}/end",
        name="inter-school:member-end-page",
        opt=PUBLIC,
        status_code=303,
    )
    async def end_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        member_id: FromPath[UUID],
    ) -> Answer:
        body = self._page(request, api, organisation_id, association_id)
        return await body.confirmed(
            f"/inter-school-associations/{association_id}/members/{member_id}/end",
            question=_(
                "End this membership? The teacher leaves the association today; the record stays in its history."
            ),
            button=_("End the membership"),
            done=body.back("ended"),
            block="members_panel",
        )

    @post("/{association_id:uuid}/leaders", name="inter-school:leader-page", opt=PUBLIC, status_code=303)
    async def appoint_leader(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
    ) -> Answer:
        form = await request.form()
        values = {name: text(form, name) for name in LEADER_FIELDS}
        payload = {**_teacher(values["member"]), "starts_on": values["starts_on"], "ends_on": values["ends_on"]}
        body = self._page(request, api, organisation_id, association_id)
        return await body.saved(
            Work(once(api, form), organisation_id).post(
                f"/inter-school-associations/{association_id}/leaders", payload
            ),
            values=values,
            fields=(*LEADER_FIELDS, *TEACHER),
            renamed=TEACHER,
            prefix="leader_",
            block="leader_panel",
            done=body.back("leader"),
            above=(403,),  # not the district's to appoint (cl. 30): said above the panel, not beside a field
        )

    @post(
        "/{association_id:uuid}/leaders/{term_id:uuid}/end",
        name="inter-school:leader-end-page",
        opt=PUBLIC,
        status_code=303,
    )
    async def end_leader(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        term_id: FromPath[UUID],
    ) -> Answer:
        body = self._page(request, api, organisation_id, association_id)
        return await body.confirmed(
            f"/inter-school-associations/{association_id}/leaders/{term_id}/end",
            question=_("End the leader's term today? Appoint the next leader for at most one year (cl. 30)."),
            button=_("End the term"),
            done=body.back("leader_ended"),
            block="leader_panel",
        )

    @post("/{association_id:uuid}/archive", name="inter-school:archive-page", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
    ) -> Answer:
        return await self._page(request, api, organisation_id, association_id).confirmed(
            f"/inter-school-associations/{association_id}/archive",
            question=_(
                "Archive this association? It holds no more meetings; its members, meetings and decisions stay "
                "readable."
            ),
            button=_("Archive"),
            done=f"/organisations/{organisation_id}/inter-school-associations?done=archived",
        )
