"""What the structure pages share (web.structure and the bodies' pages): the API calls for one
organisation (`Work`), the labels of kinds and statuses, what a body's page offers its viewer, and
where a body's page is."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from api.clock import KZ_TIME
from api.i18n import N_
from api.i18n import gettext as _
from web.bodies.powers import officer_of
from web.client import ApiClient
from web.identity.viewer import Viewer

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


def labels() -> dict[str, Any]:
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
