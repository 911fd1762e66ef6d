"""The work API over HTTP: meetings, work plans, events, compliance and the calendar.

Callers are real credentials: API tokens of the organisation's admin, head and an association's
leader (granted at the association), and a teacher's browser session linked to their staff record.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from api.access import Grant
from api.domain.events.models import MethodologicalEvent
from api.domain.meetings.models import Meeting
from api.domain.plans.models import WorkPlan
from api.domain.structure.models import Staff
from api.roles import Role
from tests.identity.access.principals import bearer, new_user, session_cookie, token_secret
from tests.work.helpers import KZ, School, furnished_school

NOW = datetime.datetime.now(KZ)


@dataclass
class Callers:
    school: School
    admin: httpx.AsyncClient
    head: httpx.AsyncClient
    leader: httpx.AsyncClient
    member: httpx.AsyncClient  # a teacher of the association (browser session)
    stranger: httpx.AsyncClient  # a teacher of another school
    base: str


@pytest.fixture(scope="module")
async def callers(app: Any, db: Any) -> AsyncIterator[Callers]:
    school = await furnished_school(db, "API School")
    other = await furnished_school(db, "Other School")
    org = school.org.id
    # The administrator and the stranger are regional systems (API tokens: they read and register);
    # the head and the leader decide and approve, which only people do.
    tokens = {
        "admin": await token_secret(db, Grant(Role.ORGANISATION_ADMIN, organisation_id=org)),
        "stranger": await token_secret(db, Grant(Role.ORGANISATION_ADMIN, organisation_id=other.org.id)),
    }
    head_user = await new_user(db, [Grant(Role.HEAD, organisation_id=org)], name="School Head")
    leader_user = await new_user(
        db, [Grant(Role.ASSOCIATION_LEADER, organisation_id=org, unit_id=school.association_id)], name="Leader"
    )
    member_user = await new_user(db, [Grant(Role.TEACHER, organisation_id=org)])
    async with db.tenant_context(school.schema) as session:
        await session.execute(update(Staff).where(Staff.id == school.teachers[1]).values(user_id=member_user))
    cookies = [await session_cookie(app.api, db, u) for u in (head_user, leader_user, member_user)]  # type: ignore[attr-defined]

    def make(headers: dict[str, str]) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers)

    clients = [make(bearer(tokens["admin"]))] + [make(c) for c in cookies] + [make(bearer(tokens["stranger"]))]
    try:
        yield Callers(school, *clients, base=f"/api/organisations/{org}")
    finally:
        for c in clients:
            await c.aclose()


async def count(db: Any, school: School, model: Any) -> int:
    async with db.tenant_session(school.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def meeting_payload(c: Callers, **overrides: Any) -> dict[str, Any]:
    return {
        "body_kind": "association",
        "body_id": str(c.school.association_id),
        "starts_at": (NOW - datetime.timedelta(hours=1)).isoformat(),
        "place": "Room 12",
        "agenda": [{"title": "Results of the first quarter"}],
    } | overrides


# --- meetings ----------------------------------------------------------------------------------


async def test_meeting_from_agenda_to_decisions(callers: Callers) -> None:
    c = callers
    created = await c.leader.post(f"{c.base}/meetings", json=meeting_payload(c))
    assert created.status_code == 201, created.text
    meeting = created.json()
    mid = meeting["id"]
    assert meeting["body_name"] == "Mathematics teachers" and meeting["agenda"][0]["position"] == 1

    item = await c.leader.post(
        f"{c.base}/meetings/{mid}/agenda", json={"title": "Working programme", "document_id": str(uuid.uuid4())}
    )
    assert item.status_code == 201 and item.json()["position"] == 2
    moved = await c.leader.patch(f"{c.base}/meetings/{mid}/agenda/{item.json()['id']}", json={"position": 1})
    assert moved.status_code == 200 and moved.json()["position"] == 1

    members = [str(s) for s in c.school.association_members]
    attendance = [
        {"staff_id": members[0], "present": True},
        {"staff_id": members[1], "present": False, "absence_reason": "course"},
    ]
    assert (await c.leader.put(f"{c.base}/meetings/{mid}/attendance", json=attendance)).status_code == 200
    quorum = (await c.leader.get(f"{c.base}/meetings/{mid}/quorum")).json()
    assert quorum == {"rule": "more_than_half", "members": 5, "present_members": 1, "required": 3, "met": False}

    refused = await c.leader.post(f"{c.base}/meetings/{mid}/decisions", json={"text": "Approve the programme"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "attendance" and "No quorum: 1 of 5" in refused.json()["message"]

    attendance = [{"staff_id": s, "present": True} for s in members[:3]]
    assert (await c.leader.put(f"{c.base}/meetings/{mid}/attendance", json=attendance)).status_code == 200
    decision = await c.leader.post(
        f"{c.base}/meetings/{mid}/decisions",
        json={"text": "Recommend the programme", "agenda_item_id": item.json()["id"]},
    )
    assert decision.status_code == 201 and decision.json()["number"] == 1
    edited = await c.leader.patch(
        f"{c.base}/meetings/{mid}/decisions/{decision.json()['id']}", json={"text": "Recommend it"}
    )
    assert edited.status_code == 200 and edited.json()["text"] == "Recommend it"
    minutes = await c.leader.patch(f"{c.base}/meetings/{mid}", json={"minutes": "Heard the leader."})
    assert minutes.status_code == 200 and minutes.json()["minutes"] == "Heard the leader."

    # The association's member reads it; a teacher's session cannot change it.
    read = await c.member.get(f"{c.base}/meetings/{mid}")
    assert read.status_code == 200 and [d["number"] for d in read.json()["decisions"]] == [1]
    assert (await c.member.patch(f"{c.base}/meetings/{mid}", json={"place": "Hall"})).status_code == 403

    removed = await c.leader.post(f"{c.base}/meetings/{mid}/decisions/{decision.json()['id']}/remove")
    assert removed.status_code == 200 and removed.json()["decisions"] == []
    removed_item = await c.leader.post(f"{c.base}/meetings/{mid}/agenda/{item.json()['id']}/remove")
    assert removed_item.status_code == 200 and len(removed_item.json()["agenda"]) == 1
    archived = await c.leader.post(f"{c.base}/meetings/{mid}/archive")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert (await c.leader.patch(f"{c.base}/meetings/{mid}", json={"place": "Hall"})).status_code == 409


BAD_MEETINGS = [
    ("unknown field", {"colour": "red"}, 400, "colour"),
    ("no time zone", {"starts_at": "2030-01-10T15:00:00"}, 400, "starts_at"),
    ("not a date", {"starts_at": "tomorrow"}, 400, "starts_at"),
    ("unknown body kind", {"body_kind": "choir"}, 422, "body_kind"),
    ("unknown body", {"body_id": str(uuid.UUID(int=1))}, 422, "body_id"),
    ("ends before start", {"ends_at": (NOW - datetime.timedelta(days=1)).isoformat()}, 422, "ends_at"),
    ("empty agenda title", {"agenda": [{"title": ""}]}, 400, "agenda[0].title"),
    ("place too long", {"place": "x" * 301}, 400, "place"),
]


@pytest.mark.parametrize(("case", "override", "status", "field"), BAD_MEETINGS, ids=[b[0] for b in BAD_MEETINGS])
async def test_bad_meeting_input(
    callers: Callers, db: Any, case: str, override: dict[str, Any], status: int, field: str
) -> None:
    before = await count(db, callers.school, Meeting)
    response = await callers.leader.post(f"{callers.base}/meetings", json=meeting_payload(callers, **override))
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert await count(db, callers.school, Meeting) == before


async def test_meeting_lists_filter_and_page(callers: Callers) -> None:
    c = callers
    for day in (1, 2, 3):
        starts = (NOW - datetime.timedelta(days=day)).isoformat()
        assert (
            await c.admin.post(
                f"{c.base}/meetings",
                json=meeting_payload(c, starts_at=starts, body_id=str(c.school.second_association_id)),
            )
        ).status_code == 201
    page = (
        await c.admin.get(f"{c.base}/meetings", params={"body_id": str(c.school.second_association_id), "page_size": 2})
    ).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["page_size"] == 2
    assert page["items"][0]["starts_at"] > page["items"][1]["starts_at"]
    second = (
        await c.admin.get(
            f"{c.base}/meetings", params={"body_id": str(c.school.second_association_id), "page_size": 2, "page": 2}
        )
    ).json()
    assert len(second["items"]) == 1
    # The member of the first association does not see the second association's meetings.
    mine = (await c.member.get(f"{c.base}/meetings", params={"page_size": 200})).json()
    assert all(m["body_id"] == str(c.school.association_id) for m in mine["items"])
    assert (await c.admin.get(f"{c.base}/meetings", params={"page_size": 500})).status_code == 400
    # The leader's grant is at the first association: the second is not theirs to keep.
    other = await c.leader.post(
        f"{c.base}/meetings", json=meeting_payload(c, body_id=str(c.school.second_association_id))
    )
    assert other.status_code == 403


async def test_another_organisations_admin_sees_nothing(callers: Callers) -> None:
    assert (await callers.stranger.get(f"{callers.base}/meetings")).status_code == 404
    assert (await callers.stranger.post(f"{callers.base}/plans", json={})).status_code == 404


async def test_compliance_and_calendar(callers: Callers) -> None:
    c = callers
    created = await c.leader.post(f"{c.base}/meetings", json=meeting_payload(c, title="Calendar meeting"))
    assert created.status_code == 201
    # Cl. 25 counts a held meeting: its minutes (or attendance) recorded.
    minutes = await c.leader.patch(f"{c.base}/meetings/{created.json()['id']}", json={"minutes": "Held as planned."})
    assert minutes.status_code == 200
    report = await c.head.get(f"{c.base}/compliance/association-meetings")
    assert report.status_code == 200
    body = report.json()
    assert body["clause"] == "25" and body["term_kind"] == "quarter"
    rows = {r["association_id"]: r for r in body["associations"]}
    assert rows[str(c.school.association_id)]["compliant"] is True
    span = {
        "from": (NOW - datetime.timedelta(days=7)).isoformat(),
        "to": (NOW + datetime.timedelta(days=7)).isoformat(),
    }
    calendar = await c.member.get(f"{c.base}/work-calendar", params={**span, "staff_id": str(c.school.teachers[1])})
    assert calendar.status_code == 200
    assert "Calendar meeting" in [e["title"] for e in calendar.json()]
    too_long = await c.head.get(
        f"{c.base}/work-calendar", params={"from": "2030-01-01T00:00:00+05:00", "to": "2032-01-01T00:00:00+05:00"}
    )
    assert too_long.status_code == 422 and too_long.json()["field"] == "to"
    no_calendar = await c.head.get(f"{c.base}/compliance/association-meetings", params={"on": "2001-01-01"})
    assert no_calendar.status_code == 200 and no_calendar.json()["calendar"] == "default"
    assert body["calendar"] == "organisation"


# --- work plans ----------------------------------------------------------------------------------


def plan_payload(c: Callers, year: int, **overrides: Any) -> dict[str, Any]:
    return {
        "association_id": str(c.school.association_id),
        "school_year": year,
        "basis": "Analysis of the last year's results",
        "items": [
            {
                "title": "Seminar on assessment",
                "direction": "theory_and_methods",
                "starts_on": f"{year}-10-10",
                "responsible_ids": [str(c.school.leader)],
            }
        ],
    } | overrides


async def test_plan_lifecycle_over_http(callers: Callers, db: Any) -> None:
    c = callers
    created = await c.leader.post(f"{c.base}/plans", json=plan_payload(c, 2031))
    assert created.status_code == 201, created.text
    plan = created.json()
    pid = plan["id"]
    assert (plan["version"], plan["status"], plan["directions_covered"]) == (1, "draft", ["theory_and_methods"])

    duplicate = await c.leader.post(f"{c.base}/plans", json=plan_payload(c, 2031))
    assert (
        duplicate.status_code == 409
        and duplicate.json()["clause"] == "29"
        and duplicate.json()["field"] == "school_year"
    )

    added = await c.leader.post(
        f"{c.base}/plans/{pid}/items",
        json={
            "title": "Olympiad preparation",
            "direction": "methodological_forms",
            "starts_on": "2032-01-20",
            "responsible_ids": [str(c.school.teachers[1])],
        },
    )
    assert added.status_code == 201 and len(added.json()["items"]) == 2
    item_id = added.json()["items"][1]["id"]
    changed = await c.leader.patch(f"{c.base}/plans/{pid}/items/{item_id}", json={"ends_on": "2032-01-25"})
    assert changed.status_code == 200 and changed.json()["items"][1]["ends_on"] == "2032-01-25"
    assert (
        await c.leader.patch(f"{c.base}/plans/{pid}", json={"title": "Plan of the mathematics association"})
    ).status_code == 200

    assert (await c.leader.post(f"{c.base}/plans/{pid}/submit")).json()["status"] == "submitted"
    by_leader = await c.leader.post(f"{c.base}/plans/{pid}/approve")
    assert by_leader.status_code == 403
    returned = await c.head.post(f"{c.base}/plans/{pid}/return", json={"comment": "Add certification"})
    assert returned.status_code == 200 and returned.json()["status"] == "draft"
    assert (await c.leader.post(f"{c.base}/plans/{pid}/submit")).status_code == 200
    approved = await c.head.post(f"{c.base}/plans/{pid}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    read_only = await c.leader.patch(f"{c.base}/plans/{pid}", json={"title": "Changed"})
    assert read_only.status_code == 409 and read_only.json()["clause"] == "29"
    assert (await c.leader.post(f"{c.base}/plans/{pid}/items/{item_id}/remove")).status_code == 409

    version = await c.leader.post(f"{c.base}/plans/{pid}/versions")
    assert version.status_code == 201
    v2 = version.json()
    assert (v2["version"], v2["status"], v2["previous_version_id"], len(v2["items"])) == (2, "draft", pid, 2)
    removed = await c.leader.post(f"{c.base}/plans/{v2['id']}/items/{v2['items'][0]['id']}/remove")
    assert removed.status_code == 200 and [i["position"] for i in removed.json()["items"]] == [1]

    history = (
        await c.member.get(
            f"{c.base}/plans", params={"association_id": str(c.school.association_id), "school_year": 2031}
        )
    ).json()
    assert [(p["version"], p["status"]) for p in history["items"]] == [(2, "draft"), (1, "approved")]
    assert (await c.member.get(f"{c.base}/plans/{pid}")).status_code == 200
    archived = await c.leader.post(f"{c.base}/plans/{v2['id']}/archive")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert (await c.leader.post(f"{c.base}/plans/{pid}/archive")).status_code == 409


BAD_PLANS = [
    ("school year as text", {"school_year": "2031-2032"}, 400, "school_year"),
    ("school year out of range", {"school_year": 1999}, 400, "school_year"),
    (
        "unknown direction",
        {"items": [{"title": "x", "direction": "ninth", "starts_on": "2033-10-01"}]},
        400,
        "items[0].direction",
    ),
    (
        "item outside the year",
        {"items": [{"title": "x", "direction": "certification", "starts_on": "2035-10-01"}]},
        422,
        "items[0].starts_on",
    ),
    ("unknown association", {"association_id": str(uuid.UUID(int=3))}, 422, "association_id"),
    ("unknown field", {"approved": True}, 400, "approved"),
]


@pytest.mark.parametrize(("case", "override", "status", "field"), BAD_PLANS, ids=[b[0] for b in BAD_PLANS])
async def test_bad_plan_input(
    callers: Callers, db: Any, case: str, override: dict[str, Any], status: int, field: str
) -> None:
    before = await count(db, callers.school, WorkPlan)
    response = await callers.leader.post(f"{callers.base}/plans", json=plan_payload(callers, 2033, **override))
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert await count(db, callers.school, WorkPlan) == before


async def test_unknown_plan_is_404(callers: Callers) -> None:
    response = await callers.head.get(f"{callers.base}/plans/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["field"] == "plan_id"


# --- events --------------------------------------------------------------------------------------


def event_payload(c: Callers, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "workshop",
        "title": "Workshop: project lessons",
        "starts_at": (NOW + datetime.timedelta(days=1)).isoformat(),
        "ends_at": (NOW + datetime.timedelta(days=1, hours=3)).isoformat(),
        "organiser_body_kind": "association",
        "organiser_body_id": str(c.school.association_id),
        "participants": [{"staff_id": str(c.school.teachers[1])}, {"external_name": "Guest lecturer"}],
        "materials": [{"title": "Plan of the workshop", "url": "https://example.org/plan"}],
    } | overrides


async def test_event_over_http(callers: Callers) -> None:
    c = callers
    created = await c.leader.post(f"{c.base}/events", json=event_payload(c))
    assert created.status_code == 201, created.text
    eid = created.json()["id"]
    listed = (
        await c.member.get(f"{c.base}/events", params={"kind": "workshop", "staff_id": str(c.school.teachers[1])})
    ).json()
    assert eid in [e["id"] for e in listed["items"]]
    assert (await c.member.get(f"{c.base}/events/{eid}")).json()["participants"][1]["external_name"] == "Guest lecturer"
    early = await c.leader.patch(f"{c.base}/events/{eid}", json={"outcome": "Done"})
    assert early.status_code == 422 and early.json()["field"] == "outcome"
    moved = await c.leader.patch(
        f"{c.base}/events/{eid}",
        json={
            "starts_at": (NOW - datetime.timedelta(hours=4)).isoformat(),
            "ends_at": (NOW - datetime.timedelta(hours=1)).isoformat(),
            "outcome": "Twelve teachers took part.",
        },
    )
    assert moved.status_code == 200 and moved.json()["outcome"] == "Twelve teachers took part."
    assert (await c.member.post(f"{c.base}/events", json=event_payload(c))).status_code == 403
    assert (await c.leader.post(f"{c.base}/events/{eid}/archive")).status_code == 200
    assert (await c.leader.post(f"{c.base}/events/{eid}/archive")).status_code == 409


BAD_EVENTS = [
    ("unknown kind", {"kind": "party"}, 400, "kind"),
    ("ends before start", {"ends_at": NOW.isoformat()}, 422, "ends_at"),
    ("participant without name", {"participants": [{}]}, 422, "participants[0]"),
    ("material without link", {"materials": [{"title": "x"}]}, 422, "materials[0].url"),
    ("organiser half given", {"organiser_body_kind": None}, 422, "organiser_body_kind"),
]


@pytest.mark.parametrize(("case", "override", "status", "field"), BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS])
async def test_bad_event_input(
    callers: Callers, db: Any, case: str, override: dict[str, Any], status: int, field: str
) -> None:
    before = await count(db, callers.school, MethodologicalEvent)
    response = await callers.admin.post(f"{callers.base}/events", json=event_payload(callers, **override))
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert await count(db, callers.school, MethodologicalEvent) == before


async def test_plan_approval_is_the_heads_act_and_the_refusal_cites_cl_29(callers: Callers, app: Any, db: Any) -> None:
    """Cl. 29: the head of the organisation approves an association's plan. A deputy head is
    refused by the guard citing the clause, as the service would; a token holding the head's
    role is refused too: approval is an act of a person, and nothing is written either way."""
    from api.access import TOKEN_MAY_NOT_DECIDE

    c = callers
    org = c.school.org.id
    pid = (await c.leader.post(f"{c.base}/plans", json=plan_payload(c, 2041))).json()[
        "id"
    ]  # a year of its own: the bad-input cases use 2033
    assert (await c.leader.post(f"{c.base}/plans/{pid}/submit")).json()["status"] == "submitted"
    deputy = await new_user(db, [Grant(Role.DEPUTY_HEAD, organisation_id=org)], name="Deputy")
    head_token = await token_secret(db, Grant(Role.HEAD, organisation_id=org), name="regional system as head")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        by_deputy = await http.post(f"{c.base}/plans/{pid}/approve", headers=await session_cookie(app.api, db, deputy))  # type: ignore[attr-defined]
        by_token = await http.post(f"{c.base}/plans/{pid}/approve", headers=bearer(head_token))
        returned_by_token = await http.post(
            f"{c.base}/plans/{pid}/return", json={"comment": "No"}, headers=bearer(head_token)
        )
    assert by_deputy.status_code == 403 and by_deputy.json()["clause"] == "29"
    assert "(cl. 29)" in by_deputy.json()["message"] and "head" in by_deputy.json()["message"]
    for refused in (by_token, returned_by_token):
        assert refused.status_code == 403 and refused.json() == {
            "status": 403,
            "message": TOKEN_MAY_NOT_DECIDE,
            "field": None,
            "clause": None,
        }
    assert (await c.head.get(f"{c.base}/plans/{pid}")).json()["status"] == "submitted"
    approved = await c.head.post(f"{c.base}/plans/{pid}/approve")
    assert approved.status_code == 200 and approved.json()["approved_by"] is not None
