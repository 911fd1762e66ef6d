"""An association's page: its members, its leader, its meetings of the current term and its work
plan (cl. 7, 29, 30); the plan's items are web/plans/items.py's."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import school_year_of, today
from api.i18n import N_
from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.identity.viewer import viewer_via
from web.structure.common import Work, labels, offers
from web.templating import go_to, local_now, page
from web.views import PUBLIC

# A leader's term is flagged this many days before it ends (cl. 30: elected for one year).
TERM_WARNING_DAYS = 30

PLAN_ACTIONS: Mapping[str, str] = {
    "submit": N_("The plan has been submitted to the head for approval."),
    "approve": N_("The plan has been approved."),
    "versions": N_("A new version of the plan has been made: change it and submit it again."),
}


async def association_context(
    api: ApiClient, organisation_id: UUID, association_id: UUID, **extra: Any
) -> dict[str, Any]:
    """The association page's context (its plan panel is also web/plans/items.py's)."""
    work = Work(api, organisation_id)
    org, association, body, term, staff, who = await together(
        api.organisation(organisation_id),
        work.get(f"/associations/{association_id}"),
        work.get(f"/bodies/association/{association_id}"),
        work.current_term(),
        work.get("/staff", page_size=200),
        viewer_via(api),
    )
    members = {m["staff_id"] for m in body["members"]}
    candidates = [s for s in staff["items"] if s["id"] not in members]
    meetings = (
        await work.meetings_between(
            association_id, datetime.date.fromisoformat(term["starts_on"]), datetime.date.fromisoformat(term["ends_on"])
        )
        if term
        else []
    )
    year = term["school_year"] if term else school_year_of(today())
    plans = (await work.get("/plans", association_id=association_id, school_year=year))["items"]
    leader = association.get("leader")
    warning = bool(
        leader
        and leader.get("in_office")
        and leader.get("days_left") is not None
        and leader["days_left"] <= TERM_WARNING_DAYS
    )
    return {
        "org": org,
        "association": association,
        "body": body,
        "term": term,
        "meetings": meetings,
        "candidates": candidates,
        "panel": None,
        "plan": plans[0] if plans else None,
        "older_plans": plans[1:],
        "school_year": year,
        "leader": leader,
        "term_warning": warning,
        "error": None,
        "notice": None,
        "now_local": local_now(),
        **await offers(api, who, organisation_id, body, leader),
        **labels(),
        **extra,
    }


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class AssociationPages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    @get("/associations/{association_id:uuid}", name="structure:association", opt=PUBLIC)
    async def association(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        done: FromQuery[str | None] = None,
    ) -> Template:
        notice = (
            _("The association has been created. Add its members and its leader.")
            if done == "created"
            else (_(PLAN_ACTIONS[done]) if done in PLAN_ACTIONS else None)
        )
        context = await association_context(api, organisation_id, association_id, notice=notice)
        return page(request, "structure/association.html", None, context)

    @post("/associations/{association_id:uuid}/members", name="structure:member-add", opt=PUBLIC, status_code=200)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        extra: dict[str, Any] = {"panel": "members_panel"}
        status_code = 200
        try:
            await Work(once(api, form), organisation_id).post(
                f"/bodies/association/{association_id}/members", {"staff_id": str(form.get("staff_id") or "")}
            )
            extra["notice"] = _("The member has been added.")
        except ApiError as error:
            if error.status >= 500 or error.status == 404:
                raise
            extra["error"], status_code = error, error.status
        if not request.htmx and status_code == 200:  # type: ignore[attr-defined]
            return Redirect(f"/organisations/{organisation_id}/associations/{association_id}", status_code=303)
        context = await association_context(api, organisation_id, association_id, **extra)
        return page(request, "structure/association.html", "members_panel", context, status_code=status_code)

    @post("/associations/{association_id:uuid}/plans", name="structure:plan-create", opt=PUBLIC, status_code=303)
    async def create_plan(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        payload = {
            "association_id": str(association_id),
            "school_year": _int(form.get("school_year")),
            "basis": str(form.get("basis") or "").strip() or None,
        }
        try:
            await Work(once(api, form), organisation_id).post("/plans", payload)
        except ApiError as error:
            if error.status >= 500:
                raise
            context = await association_context(api, organisation_id, association_id, error=error)
            return page(request, "structure/association.html", "plan_panel", context, status_code=error.status)
        return go_to(request, f"/organisations/{organisation_id}/associations/{association_id}#plan")

    # A plan's items are added, changed and removed in web/plans/items.py.

    @post(
        "/associations/{association_id:uuid}/plans/{plan_id:uuid}/{action:str}",
        name="structure:plan-action",
        opt=PUBLIC,
        status_code=303,
    )
    async def plan_action(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        association_id: FromPath[UUID],
        plan_id: FromPath[UUID],
        action: FromPath[str],
    ) -> Template | Redirect | ClientRedirect:
        if action not in PLAN_ACTIONS:
            raise ApiError(404, _("There is no such action."))
        try:
            # Only "versions" creates (a new draft); its form carries a key, the others none.
            await Work(once(api, await request.form()), organisation_id).post(f"/plans/{plan_id}/{action}")
        except ApiError as error:
            if error.status >= 500 or error.status == 404:
                raise
            context = await association_context(api, organisation_id, association_id, error=error)
            return page(request, "structure/association.html", "plan_panel", context, status_code=error.status)
        return go_to(request, f"/organisations/{organisation_id}/associations/{association_id}?done={action}#plan")
