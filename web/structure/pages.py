"""The structure pages: the tree, an association with its members and plans. Everything comes from
the API through the caller's `ApiClient`; a refusal of the API (no quorum, an approved plan, a
missing field) is shown next to what was asked. A body's meetings are meetings.py, the work
calendar work_calendar.py."""

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

from api.clock import KZ_TIME, school_year_of, today
from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.powers import officer_of, powers
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.identity.viewer import Viewer, viewer_via
from web.setup.common import Setup, unit_bodies
from web.templating import go_to, page
from web.views import PUBLIC

# A leader's term is flagged this many days before it ends (cl. 30: elected for one year).
TERM_WARNING_DAYS = 30

BODY_LABELS: Mapping[str, str] = {
    "association": N_("Methodological association"),
    "council": N_("Methodological council"),
    "pedagogical_council": N_("Pedagogical council"),
    "commission": N_("Commission"),
    "department": N_("Department"),
    "inter_school_association": N_("Inter-school association"),
    "union": N_("Sector methodological union"),
}
UNIT_KINDS: Mapping[str, str] = {  # cl. 10
    "association": N_("Methodological association"),
    "subject_commission": N_("Subject commission"),
    "cycle_commission": N_("Cycle commission"),
    "department": N_("Department"),
    "division": N_("Division"),
    "faculty": N_("Faculty"),
    "institute": N_("Institute"),
    "um_office": N_("Educational-methodological office"),
}
ASSOCIATION_KINDS: Mapping[str, str] = {
    "subject": N_("Teachers of one subject"),
    "primary_grades": N_("Teachers of grades 1-4"),
    "class_teachers": N_("Class teachers"),
    "preschool_educators": N_("Pre-school educators"),
    "boarding_educators": N_("Boarding-school educators"),
}
DIRECTIONS: Mapping[str, str] = {  # cl. 7, in the order's order
    "theory_and_methods": N_("Theory, methodology, pedagogy and psychology; effective methods"),
    "normative_documents": N_("Studying normative documents"),
    "forms_and_methods": N_("Forms and methods of teaching, extracurricular and educational work"),
    "best_experience": N_("Best and innovative experience"),
    "methodological_forms": N_("Forms of methodological work, help to teachers, olympiads"),
    "teaching_quality": N_("Teaching quality and students' achievement"),
    "certification": N_("Teacher certification"),
    "methodological_products": N_("Methodological products"),
}
PLAN_STATUSES: Mapping[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted for approval"),
    "approved": N_("Approved"),
    "superseded": N_("Replaced by a later version"),
}
EVENT_KINDS: Mapping[str, str] = {
    "seminar": N_("Seminar"),
    "lecture_series": N_("Lecture series"),
    "workshop": N_("Workshop"),
    "conference": N_("Conference"),
    "advanced_experience_school": N_("School of advanced experience"),
    "instructive_meeting": N_("Instructive-methodological meeting"),
}
PLAN_ACTIONS: Mapping[str, str] = {
    "submit": N_("The plan has been submitted to the head for approval."),
    "approve": N_("The plan has been approved."),
    "versions": N_("A new version of the plan has been made: change it and submit it again."),
}


class Work:
    """The API calls of these pages, for one organisation."""

    def __init__(self, api: ApiClient, organisation_id: UUID) -> None:
        self.api = api
        self.base = f"/api/organisations/{organisation_id}"

    async def get(self, path: str, **params: Any) -> Any:
        return await self.api.get(self.base + path, params={k: str(v) for k, v in params.items() if v is not None})

    async def post(self, path: str, payload: Any = None) -> Any:
        return await self.api.post(self.base + path, json=payload if payload is not None else {})

    async def patch(self, path: str, payload: Any) -> Any:
        return await self.api.patch(self.base + path, json=payload)

    async def put(self, path: str, payload: Any) -> Any:
        return await self.api.request("PUT", self.base + path, json=payload)

    async def current_term(self) -> dict[str, Any] | None:
        return (await self.get("/calendar/current"))["term"]

    @staticmethod
    def with_times(meeting: dict[str, Any]) -> dict[str, Any]:
        """A meeting as the API gave it, with its times as datetimes (the pages format them)."""
        for key in ("starts_at", "ends_at", "archived_at"):
            if isinstance(meeting.get(key), str):
                meeting[key] = datetime.datetime.fromisoformat(meeting[key])
        return meeting

    async def meetings_between(self, body_id: UUID, first: datetime.date, last: datetime.date) -> list[dict[str, Any]]:
        starts_from = datetime.datetime.combine(first, datetime.time.min, KZ_TIME)
        starts_before = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, KZ_TIME)
        page_ = await self.get(
            "/meetings",
            body_id=body_id,
            starts_from=starts_from.isoformat(),
            starts_before=starts_before.isoformat(),
            page_size=200,
        )
        return sorted((self.with_times(m) for m in page_["items"]), key=lambda m: m["starts_at"])


def page_labels() -> dict[str, Any]:
    return {
        "body_labels": {k: _(v) for k, v in BODY_LABELS.items()},
        "unit_kinds": {k: _(v) for k, v in UNIT_KINDS.items()},
        "association_kinds": {k: _(v) for k, v in ASSOCIATION_KINDS.items()},
        "directions": {k: _(v) for k, v in DIRECTIONS.items()},
        "plan_statuses": {k: _(v) for k, v in PLAN_STATUSES.items()},
        "event_kinds": {k: _(v) for k, v in EVENT_KINDS.items()},
    }


async def offers(
    api: ApiClient,
    who: Viewer | None,
    organisation_id: UUID,
    body: dict[str, Any],
    leader: dict[str, Any] | None = None,
) -> dict[str, bool]:
    """What the pages of a body offer their viewer: only what the viewer may do there. The body's
    records are kept by the organisation's admin and deputy head, and by a chair, secretary or
    leader of that body (or one holding a keeping role at its unit), as the API decides. A caller
    who is no person (an API token's script) is offered everything, and the API decides."""
    org = str(organisation_id)
    if who is None:
        return {"may_keep": True, "may_approve": True}
    keeps = who.keeps_all_records(org)
    if not keeps and who.keeps_records(org):
        nodes = {str(n) for n in (body.get("id"), body.get("unit_id")) if n}
        keeps = who.keeps_at_units(org, nodes) or await officer_of(api, org, who.user_id, {**body, "leader": leader})
    return {"may_keep": keeps, "may_approve": who.approves_plans(org)}


class StructurePages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    # --- the structure tree --------------------------------------------------------------------

    async def _tree_context(self, api: ApiClient, organisation_id: UUID, **extra: Any) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, units, bodies, by_unit = await together(
            api.organisation(organisation_id),
            work.get("/units/tree"),
            work.get("/bodies"),
            unit_bodies(Setup(api, organisation_id)),
        )
        # A unit's council is shown under its unit (cl. 14), not among the organisation's councils.
        under_units = {str(b["id"]) for found in by_unit.values() for b in found if b["kind"] == "council"}
        grouped: dict[str, list[dict[str, Any]]] = {}
        for body in bodies:
            if str(body["id"]) not in under_units:
                grouped.setdefault(body["kind"], []).append(body)
        return {
            "org": org,
            "units": units,
            "bodies": grouped,
            "by_unit": by_unit,
            "error": None,
            "notice": None,
            **page_labels(),
            **extra,
        }

    @get("/structure", name="structure:tree", opt=PUBLIC)
    async def tree(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        context = await self._tree_context(api, organisation_id)
        context["powers"] = await powers(request, api, context["org"])
        return page(request, "structure/tree.html", "bodies_panel", context)

    # --- an association ------------------------------------------------------------------------

    async def _association_context(
        self, api: ApiClient, organisation_id: UUID, association_id: UUID, **extra: Any
    ) -> dict[str, Any]:
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
                association_id, date.fromisoformat(term["starts_on"]), date.fromisoformat(term["ends_on"])
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
            "now_local": _now_local(),
            **await offers(api, who, organisation_id, body, leader),
            **page_labels(),
            **extra,
        }

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
        context = await self._association_context(api, organisation_id, association_id, notice=notice)
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
        context = await self._association_context(api, organisation_id, association_id, **extra)
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
            context = await self._association_context(api, organisation_id, association_id, error=error)
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
            context = await self._association_context(api, organisation_id, association_id, error=error)
            return page(request, "structure/association.html", "plan_panel", context, status_code=error.status)
        return go_to(request, f"/organisations/{organisation_id}/associations/{association_id}?done={action}#plan")

    # --- a council -----------------------------------------------------------------------------

    @get("/councils/{council_id:uuid}", name="structure:council", opt=PUBLIC)
    async def council(self, organisation_id: FromPath[UUID], council_id: FromPath[UUID]) -> Redirect:
        # A council's page is the bodies' page now (web.bodies); old links still lead there.
        return Redirect(body_path(organisation_id, "council", council_id), status_code=301)


date = datetime.date


def _items(value: Any) -> list[Any]:
    return value["items"] if isinstance(value, dict) and "items" in value else list(value)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _now_local() -> str:
    return datetime.datetime.now(KZ_TIME).strftime("%Y-%m-%dT%H:%M")


# Bodies whose members are people of other organisations, named by the registry's member_id;
# they are read at their own addresses, with their members' rows.
REMOTE_BODIES = {"inter_school_association": "/inter-school-associations", "union": "/unions"}


def body_path(organisation_id: UUID, kind: str, body_id: Any) -> str:
    if kind == "association":
        return f"/organisations/{organisation_id}/associations/{body_id}"
    if kind in ("council", "pedagogical_council", "commission", "department"):
        return f"/organisations/{organisation_id}/bodies/{kind}/{body_id}"
    if kind in REMOTE_BODIES:
        return f"/organisations/{organisation_id}{REMOTE_BODIES[kind]}/{body_id}"
    return f"/organisations/{organisation_id}/structure"
