"""The structure pages. Everything comes from the API through the caller's `ApiClient`; a refusal
of the API (no quorum, an approved plan, a missing field) is shown next to what was asked."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import KZ_TIME, date_of, school_year_of, today
from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.powers import officer_of, powers
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first
from web.forms import once
from web.identity.viewer import Viewer, viewer_via
from web.setup.common import Setup, unit_bodies
from web.templating import go_to, local_now, page, parse_uuid, refusal, url_with
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


def local_datetime(value: str) -> str | None:
    """A `datetime-local` form value as an ISO time in Kazakhstan's time; None when unreadable."""
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KZ_TIME)
    return moment.isoformat()


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


def _labels() -> dict[str, Any]:
    return {
        "body_labels": {k: _(v) for k, v in BODY_LABELS.items()},
        "unit_kinds": {k: _(v) for k, v in UNIT_KINDS.items()},
        "association_kinds": {k: _(v) for k, v in ASSOCIATION_KINDS.items()},
        "directions": {k: _(v) for k, v in DIRECTIONS.items()},
        "plan_statuses": {k: _(v) for k, v in PLAN_STATUSES.items()},
        "event_kinds": {k: _(v) for k, v in EVENT_KINDS.items()},
    }


async def _offers(
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
            **_labels(),
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
            "now_local": local_now(),
            **await _offers(api, who, organisation_id, body, leader),
            **_labels(),
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
        return Redirect(_body_path(organisation_id, "council", council_id), status_code=301)

    # --- meetings ------------------------------------------------------------------------------

    @post(
        "/bodies/{body_kind:str}/{body_id:uuid}/meetings", name="structure:meeting-create", opt=PUBLIC, status_code=303
    )
    async def create_meeting(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        body_kind: FromPath[str],
        body_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        starts_at = local_datetime(str(form.get("starts_at") or ""))
        payload: dict[str, Any] = {
            "body_kind": body_kind,
            "body_id": str(body_id),
            "starts_at": starts_at,
            "place": str(form.get("place") or "").strip() or None,
            "title": str(form.get("title") or "").strip() or None,
            "agenda": [{"title": line.strip()} for line in str(form.get("agenda") or "").splitlines() if line.strip()],
        }
        work = Work(once(api, form), organisation_id)
        values = {k: str(form.get(k) or "") for k in ("starts_at", "place", "title", "agenda")}
        try:
            if starts_at is None:
                raise ApiError(400, _("Give the date and time of the meeting."), "starts_at")
            created = await work.post("/meetings", payload)
        except ApiError as error:
            if error.status >= 500 or error.status == 404:
                raise
            # The form again, with what was typed and the refusal after the field it names.
            field = (error.field or "").split("[", 1)[0].split(".", 1)[0]
            field = {"ends_at": "starts_at"}.get(field, field)
            errors = {field if field in values else "": refusal(error)}
            org = await api.organisation(organisation_id)
            context = {
                "org": org,
                "body_kind": body_kind,
                "body_id": body_id,
                "values": values,
                "errors": errors,
                "body_path": _body_path(organisation_id, body_kind, body_id),
            }
            return page(request, "structure/meeting_new.html", "meeting_form", context, status_code=422)
        return go_to(request, f"/organisations/{organisation_id}/meetings/{created['id']}")

    async def _meeting_context(
        self, api: ApiClient, organisation_id: UUID, meeting_id: UUID, **extra: Any
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, meeting, quorum, who = await together(
            api.organisation(organisation_id),
            work.get(f"/meetings/{meeting_id}"),
            work.get(f"/meetings/{meeting_id}/quorum"),
            viewer_via(api),
        )
        work.with_times(meeting)
        leader = None
        if meeting["body_kind"] in REMOTE_BODIES:
            body, people = await _remote_attendance(api, work, meeting)
        else:
            body = await work.get(f"/bodies/{meeting['body_kind']}/{meeting['body_id']}")
            people = await _local_attendance(work, meeting, body)
            if meeting["body_kind"] == "association":
                leader = (await work.get(f"/associations/{meeting['body_id']}")).get("leader")
        return {
            "org": org,
            "meeting": meeting,
            "quorum": quorum,
            "body": body,
            "people": people,
            "schools": meeting["body_kind"] == "inter_school_association",
            "body_path": _body_path(organisation_id, meeting["body_kind"], meeting["body_id"]),
            "error": None,
            "notice": None,
            "panel": None,
            **await _offers(api, who, organisation_id, body, leader),
            **_labels(),
            **extra,
        }

    @get("/meetings/{meeting_id:uuid}", name="structure:meeting", opt=PUBLIC)
    async def meeting(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
    ) -> Template:
        return page(
            request, "structure/meeting.html", None, await self._meeting_context(api, organisation_id, meeting_id)
        )

    async def _meeting_change(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        meeting_id: UUID,
        block: str,
        call: Any,
        done: str,
    ) -> Template | Redirect:
        try:
            await call(Work(api, organisation_id))
            extra: dict[str, Any] = {"notice": _(done)}
            status_code = 200
        except ApiError as error:
            if error.status >= 500 or error.status == 404:
                raise
            extra, status_code = {"error": error}, error.status
        if not request.htmx and status_code == 200:  # type: ignore[attr-defined]
            return Redirect(f"/organisations/{organisation_id}/meetings/{meeting_id}", status_code=303)
        context = await self._meeting_context(api, organisation_id, meeting_id, panel=block, **extra)
        return page(request, "structure/meeting.html", block, context, status_code=status_code)

    @post("/meetings/{meeting_id:uuid}/agenda", name="structure:agenda-add", opt=PUBLIC, status_code=200)
    async def add_agenda_item(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        payload = {"title": str(form.get("title") or "")}
        return await self._meeting_change(
            request,
            once(api, form),
            organisation_id,
            meeting_id,
            "agenda_panel",
            lambda w: w.post(f"/meetings/{meeting_id}/agenda", payload),
            N_("The item has been added to the agenda."),
        )

    @post(
        "/meetings/{meeting_id:uuid}/agenda/{item_id:uuid}/remove",
        name="structure:agenda-remove",
        opt=PUBLIC,
        status_code=200,
    )
    async def remove_agenda_item(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
        item_id: FromPath[UUID],
    ) -> Template | Redirect:
        if asking := await ask_first(
            request,
            action=N_("Remove"),
            question=N_("Remove this item from the agenda?"),
            back=f"/organisations/{organisation_id}/meetings/{meeting_id}",
        ):
            return asking
        return await self._meeting_change(
            request,
            api,
            organisation_id,
            meeting_id,
            "agenda_panel",
            lambda w: w.post(f"/meetings/{meeting_id}/agenda/{item_id}/remove"),
            N_("The item has been removed from the agenda."),
        )

    @post("/meetings/{meeting_id:uuid}/attendance", name="structure:attendance", opt=PUBLIC, status_code=200)
    async def attendance(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        present = {str(v) for v in form.getall("present")} if "present" in form else set()
        entries = []
        # Staff of this organisation by staff_id; members of an inter-school association or a union by member_id.
        for name in ("staff_id", "member_id"):
            for key in form.getall(name) if name in form else []:
                key = str(key)
                if key in present:
                    entries.append({name: key, "present": True})
                else:
                    reason = str(form.get(f"reason_{key}") or "").strip() or None
                    entries.append({name: key, "present": False, "absence_reason": reason})
        return await self._meeting_change(
            request,
            api,
            organisation_id,
            meeting_id,
            "attendance_panel",
            lambda w: w.put(f"/meetings/{meeting_id}/attendance", entries),
            N_("The attendance has been recorded."),
        )

    @post("/meetings/{meeting_id:uuid}/decisions", name="structure:decision-add", opt=PUBLIC, status_code=200)
    async def add_decision(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        payload: dict[str, Any] = {"text": str(form.get("text") or "")}
        if parse_uuid(form.get("agenda_item_id")):
            payload["agenda_item_id"] = str(form.get("agenda_item_id"))
        return await self._meeting_change(
            request,
            once(api, form),
            organisation_id,
            meeting_id,
            "decisions_panel",
            lambda w: w.post(f"/meetings/{meeting_id}/decisions", payload),
            N_("The decision has been recorded."),
        )

    @post("/meetings/{meeting_id:uuid}/minutes", name="structure:minutes", opt=PUBLIC, status_code=200)
    async def minutes(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        payload = {"minutes": str(form.get("minutes") or "").strip() or None}
        return await self._meeting_change(
            request,
            api,
            organisation_id,
            meeting_id,
            "minutes_panel",
            lambda w: w.patch(f"/meetings/{meeting_id}", payload),
            N_("The minutes have been saved."),
        )

    @post("/meetings/{meeting_id:uuid}/archive", name="structure:meeting-archive", opt=PUBLIC, status_code=303)
    async def archive_meeting(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        meeting_id: FromPath[UUID],
    ) -> Redirect | ClientRedirect | Template:
        if asking := await ask_first(
            request,
            action=N_("Archive the meeting"),
            question=N_("Archive this meeting? It is kept in the history but can no longer be changed."),
            back=f"/organisations/{organisation_id}/meetings/{meeting_id}",
        ):
            return asking
        work = Work(api, organisation_id)
        meeting = await work.post(f"/meetings/{meeting_id}/archive")
        return go_to(request, _body_path(organisation_id, meeting["body_kind"], meeting["body_id"]))

    # --- the calendar --------------------------------------------------------------------------

    @get("/calendar", name="structure:calendar", opt=PUBLIC)
    async def calendar(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        month: FromQuery[str | None] = None,
        staff_id: FromQuery[str | None] = None,
    ) -> Template:
        first = _month(month) or today().replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        person = parse_uuid(staff_id)
        work = Work(api, organisation_id)
        org, entries, staff = await together(
            api.organisation(organisation_id),
            work.get(
                "/work-calendar",
                **{
                    "from": datetime.datetime.combine(first, datetime.time.min, KZ_TIME).isoformat(),
                    "to": datetime.datetime.combine(following, datetime.time.min, KZ_TIME).isoformat(),
                },
                staff_id=person,
            ),
            work.get("/staff", page_size=200),
        )
        days: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            local = datetime.datetime.fromisoformat(entry["starts_at"]).astimezone(KZ_TIME)
            entry["local_time"] = local.strftime("%H:%M")
            entry["path"] = (
                f"/organisations/{organisation_id}/meetings/{entry['id']}" if entry["type"] == "meeting" else None
            )
            days.setdefault(local.date().isoformat(), []).append(entry)
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        params = {"staff_id": person}
        context = {
            "org": org,
            "days": days,
            "month": first,
            "staff": staff["items"],
            "person": person,
            "previous_url": url_with(
                f"/organisations/{organisation_id}/calendar", params, month=previous.strftime("%Y-%m")
            ),
            "next_url": url_with(
                f"/organisations/{organisation_id}/calendar", params, month=following.strftime("%Y-%m")
            ),
            "month_value": first.strftime("%Y-%m"),
            **_labels(),
        }
        return page(request, "structure/calendar.html", "calendar_panel", context)


date = datetime.date


def _items(value: Any) -> list[Any]:
    return value["items"] if isinstance(value, dict) and "items" in value else list(value)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _month(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


# Bodies whose members are people of other organisations, named by the registry's member_id;
# they are read at their own addresses, with their members' rows.
REMOTE_BODIES = {"inter_school_association": "/inter-school-associations", "union": "/unions"}


def _person(
    key: str, field: str, full_name: str, mark: Any, *, member: bool = True, former: bool = False, school: Any = None
) -> dict[str, Any]:
    return {
        "key": key,
        "field": field,
        "full_name": full_name,
        "mark": mark,
        "member": member,
        "former": former,
        "school": school,
    }


async def _local_attendance(work: Work, meeting: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body's members, then guests (staff of the organisation who are not members)."""
    attendance = {a["staff_id"]: a for a in meeting["attendance"] if a["staff_id"]}
    people = [
        _person(m["staff_id"], "staff_id", m["full_name"], attendance.get(m["staff_id"]))
        for m in body["members"]
        if m["staff_id"]
    ]
    known = {p["key"] for p in people}
    if any(a not in known for a in attendance):
        staff = await work.get("/staff", page_size=200)
        names = {s["id"]: s["full_name"] for s in staff["items"]}
        people += [
            _person(a, "staff_id", names.get(a, a), row, member=False)
            for a, row in attendance.items()
            if a not in known
        ]
    return people


async def _remote_attendance(
    api: ApiClient, work: Work, meeting: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The members of an inter-school association (teachers of the district's schools, with their
    school) or of a union on the day of the meeting, by member_id; then the people recorded who
    are no longer members."""
    inter_school = meeting["body_kind"] == "inter_school_association"
    path = f"{REMOTE_BODIES[meeting['body_kind']]}/{meeting['body_id']}"
    body, rows = await together(work.get(path), work.get(f"{path}/members", include_past="true", page_size=200))
    day = date_of(meeting["starts_at"]).isoformat()

    def key_of(item: dict[str, Any]) -> tuple[Any, ...]:
        # A teacher who left and joined again has a new member row but is the same teacher of the same school.
        return (
            (item["organisation_id"], item["staff_id"]) if inter_school else (item.get("member_id") or item.get("id"),)
        )

    attendance = {key_of(a): a for a in meeting["attendance"]}
    members = [r for r in rows["items"] if r["starts_on"] <= day and (r["left_on"] is None or r["left_on"] > day)]
    school_ids = sorted({m["organisation_id"] for m in members if m.get("organisation_id")}) if inter_school else []
    found = await asyncio.gather(*(api.organisation(UUID(i)) for i in school_ids), return_exceptions=True)
    schools = {i: o for i, o in zip(school_ids, found, strict=True) if not isinstance(o, BaseException)}
    people = [
        _person(
            m["id"],
            "member_id",
            m["full_name"],
            attendance.get(key_of(m)),
            school=schools.get(m.get("organisation_id")),
        )
        for m in sorted(members, key=lambda m: m["full_name"])
    ]
    known = {key_of(m) for m in members}
    names = {key_of(r): r["full_name"] for r in rows["items"]}
    people += [
        _person(a["member_id"], "member_id", names.get(key, a["member_id"]), a, former=True)
        for key, a in attendance.items()
        if key not in known and a["member_id"]
    ]
    return body, people


def _body_path(organisation_id: UUID, kind: str, body_id: Any) -> str:
    if kind == "association":
        return f"/organisations/{organisation_id}/associations/{body_id}"
    if kind in ("council", "pedagogical_council", "commission", "department"):
        return f"/organisations/{organisation_id}/bodies/{kind}/{body_id}"
    if kind in REMOTE_BODIES:
        return f"/organisations/{organisation_id}{REMOTE_BODIES[kind]}/{body_id}"
    return f"/organisations/{organisation_id}/structure"
