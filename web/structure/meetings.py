"""The meeting pages of a body: scheduling a meeting, and its agenda, attendance, decisions,
minutes and archiving, each change refused next to the field the API names."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import KZ_TIME
from api.i18n import N_
from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first
from web.forms import once
from web.identity.viewer import viewer_via

# A leader's term is flagged this many days before it ends (cl. 30: elected for one year).
from web.structure.pages import REMOTE_BODIES, Work, body_path, offers, page_labels
from web.templating import go_to, page, parse_uuid, refusal
from web.views import PUBLIC


class MeetingPages(Controller):
    path = "/organisations/{organisation_id:uuid}"

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
                "body_path": body_path(organisation_id, body_kind, body_id),
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
            "body_path": body_path(organisation_id, meeting["body_kind"], meeting["body_id"]),
            "error": None,
            "notice": None,
            "panel": None,
            **await offers(api, who, organisation_id, body, leader),
            **page_labels(),
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
        return go_to(request, body_path(organisation_id, meeting["body_kind"], meeting["body_id"]))


def local_datetime(value: str) -> str | None:
    """A `datetime-local` form value as an ISO time in Kazakhstan's time; None when unreadable."""
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KZ_TIME)
    return moment.isoformat()


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
    day = meeting["starts_at"].astimezone(KZ_TIME).date().isoformat()

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
