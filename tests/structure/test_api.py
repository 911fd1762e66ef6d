"""Every structure and bodies route over HTTP: the happy path, bad input (a clear 4xx naming the
field and, where a rule applies, the clause) and nothing written when refused.

`client` is a national admin's API token; user sessions stand for teachers, leaders and the
district department where the rule is about who is asking.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any
from uuid import UUID

import httpx

from api.access import Grant
from api.clock import today
from api.domain.organisations.rules import OrgKind
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.structure.conftest import Place, Region, make_org

TODAY = today()


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def refused(
    response: httpx.Response, status: int, field: str | None, clause: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["field"] == field and body["clause"] == clause, body
    assert body["message"]
    return body


async def audit_total(client: httpx.AsyncClient, place: Place) -> int:
    return (await ok(await client.get(f"{place.base}/audit-log", params={"page_size": 1})))["total"]


async def session_of(app: Any, db: Any, *grants: Grant) -> tuple[UUID, dict[str, str]]:
    user = await new_user(db, list(grants))
    return user, await session_cookie(app.api, db, user)


async def staff(client: httpx.AsyncClient, place: Place, **extra: Any) -> dict[str, Any]:
    payload = {"full_name": f"Person {uuid.uuid4().hex[:6]}", "positions": ["teacher"], **extra}
    return await ok(await client.post(f"{place.base}/staff", json=payload), 201)


async def subject(client: httpx.AsyncClient, place: Place) -> dict[str, Any]:
    code = f"api_{uuid.uuid4().hex[:8]}"
    return await ok(
        await client.post(
            f"{place.base}/subjects", json={"code": code, "name_kk": "Пән", "name_ru": f"Предмет {code}"}
        ),
        201,
    )


# --- units -------------------------------------------------------------------------------------


async def test_units_routes(client: httpx.AsyncClient, region: Region) -> None:
    base = f"{region.college.base}/units"
    division = await ok(await client.post(base, json={"name": "Day division", "kind": "division"}), 201)
    commission = await ok(
        await client.post(
            base,
            json={
                "name": "Cycle commission",
                "kind": "cycle_commission",
                "parent_id": division["id"],
                "regulation_title": "Положение о ЦК",
                "regulation_approved_on": "2025-08-30",
            },
        ),
        201,
    )
    assert commission["parent_id"] == division["id"] and commission["regulation_title"] == "Положение о ЦК"

    listed = await ok(await client.get(base, params={"kind": "cycle_commission", "page_size": 1}))
    assert listed["page_size"] == 1 and listed["total"] >= 1 and listed["items"][0]["kind"] == "cycle_commission"
    assert [u["id"] for u in (await ok(await client.get(base, params={"parent_id": division["id"]})))["items"]] == [
        commission["id"]
    ]
    tree = await ok(await client.get(f"{base}/tree"))
    node = next(n for n in tree if n["id"] == division["id"])
    assert [c["id"] for c in node["children"]] == [commission["id"]]
    assert (await ok(await client.get(f"{base}/{commission['id']}")))["name"] == "Cycle commission"
    renamed = await ok(
        await client.patch(
            f"{base}/{commission['id']}", json={"name": "ЦК IT", "regulation_document_id": str(uuid.uuid4())}
        )
    )
    assert renamed["name"] == "ЦК IT" and renamed["regulation_document_id"]

    before = await audit_total(client, region.college)
    await refused(await client.post(base, json={"name": "x", "kind": "castle"}), 400, "kind")
    await refused(await client.post(base, json={"name": "", "kind": "division"}), 400, "name")
    await refused(await client.post(base, json={"name": "x", "kind": "division", "colour": "red"}), 400, "colour")
    await refused(await client.post(base, json={"name": "Faculty", "kind": "faculty"}), 422, "kind", "10")
    await refused(
        await client.post(base, json={"name": "x", "kind": "division", "parent_id": str(uuid.uuid4())}),
        404,
        "parent_id",
    )
    await refused(
        await client.patch(f"{base}/{division['id']}", json={"parent_id": commission["id"]}), 422, "parent_id", "10"
    )
    await refused(await client.get(f"{base}/{uuid.uuid4()}"), 404, "id")
    await refused(await client.post(f"{base}/{division['id']}/archive"), 409, "id")  # it has a sub-unit
    assert await audit_total(client, region.college) == before

    archived = await ok(await client.post(f"{base}/{commission['id']}/archive"))
    assert archived["archived_at"]
    assert commission["id"] not in [u["id"] for u in (await ok(await client.get(base)))["items"]]
    assert commission["id"] in [
        u["id"] for u in (await ok(await client.get(base, params={"include_archived": "true"})))["items"]
    ]
    await refused(await client.patch(f"{base}/{commission['id']}", json={"name": "again"}), 409, "id")


async def test_unit_kinds_offered_follow_the_organisation_kind(client: httpx.AsyncClient, region: Region) -> None:
    """Cl. 10: a university is offered faculties, departments (кафедры), institutes, divisions and
    cycle commissions, never a school's associations or subject commissions; a school the reverse;
    and every kind offered is one the API then accepts at the place offered."""
    kinds = {
        place: await ok(await client.get(f"{getattr(region, place).base}/units/kinds"))
        for place in ("school", "college", "university")
    }
    offered = {place: {k["kind"] for k in rows} for place, rows in kinds.items()}
    assert {"faculty", "department", "institute", "division", "cycle_commission"} <= offered["university"]
    assert not offered["university"] & {"association", "subject_commission"}
    assert {"association", "subject_commission"} <= offered["school"]
    assert not offered["school"] & {"faculty", "institute", "department"}
    assert {"cycle_commission", "subject_commission", "division"} <= offered["college"] and "faculty" not in offered[
        "college"
    ]
    university = {k["kind"]: k for k in kinds["university"]}
    assert university["institute"]["at_top"] and university["institute"]["parent_kinds"] == []
    assert university["department"]["parent_kinds"] == ["division", "faculty", "institute"]
    base = f"{region.university.base}/units"
    faculty = await ok(await client.post(base, json={"name": "Faculty of Physics", "kind": "faculty"}), 201)
    chair = await ok(
        await client.post(
            base, json={"name": "Кафедра теоретической физики", "kind": "department", "parent_id": faculty["id"]}
        ),
        201,
    )
    assert chair["parent_id"] == faculty["id"]
    await refused(await client.post(base, json={"name": "МО", "kind": "association"}), 422, "kind", "10")
    for place, rows in kinds.items():  # nothing offered that is not allowed, at the top where offered there
        base = f"{getattr(region, place).base}/units"
        for row in rows:
            if row["at_top"]:
                made = await ok(
                    await client.post(base, json={"name": f"Offered {row['kind']}", "kind": row["kind"]}), 201
                )
                await ok(await client.post(f"{base}/{made['id']}/archive"))


async def test_units_paging_is_validated(client: httpx.AsyncClient, region: Region) -> None:
    await refused(await client.get(f"{region.school.base}/units", params={"page": 0}), 400, "page")
    await refused(await client.get(f"{region.school.base}/units", params={"page_size": 500}), 400, "page_size")


# --- subjects ----------------------------------------------------------------------------------


async def test_subjects_routes(client: httpx.AsyncClient, region: Region) -> None:
    base = f"{region.school.base}/subjects"
    seeded = await ok(await client.get(base, params={"q": "Физика"}))
    assert [s["code"] for s in seeded["items"]] == ["physics"]
    created = await subject(client, region.school)
    assert (await ok(await client.get(f"{base}/{created['id']}")))["code"] == created["code"]
    assert (await ok(await client.patch(f"{base}/{created['id']}", json={"name_en": "Astronomy"})))[
        "name_en"
    ] == "Astronomy"
    before = await audit_total(client, region.school)
    await refused(await client.post(base, json={"code": created["code"], "name_kk": "a", "name_ru": "b"}), 409, "code")
    await refused(await client.post(base, json={"code": "Bad Code!", "name_kk": "a", "name_ru": "b"}), 400, "code")
    await refused(await client.post(base, json={"code": "ok_code"}), 400, "name_kk")
    await refused(await client.patch(f"{base}/{uuid.uuid4()}", json={"name_en": "x"}), 404, "id")
    assert await audit_total(client, region.school) == before
    assert (await ok(await client.post(f"{base}/{created['id']}/archive")))["archived_at"]


# --- staff -------------------------------------------------------------------------------------


async def test_staff_routes(client: httpx.AsyncClient, region: Region) -> None:
    place = region.school
    base = f"{place.base}/staff"
    maths = await subject(client, place)
    person = await staff(
        client, place, subject_ids=[maths["id"]], qualification_category="moderator", email="t@example.kz"
    )
    deputy = await staff(
        client, place, positions=["deputy_head"], supervised_subject_ids=[maths["id"]], user_id=str(uuid.uuid4())
    )
    assert deputy["supervised_subject_ids"] == [maths["id"]]
    assert [p["id"] for p in (await ok(await client.get(base, params={"subject_id": maths["id"]})))["items"]] == [
        person["id"]
    ]
    assert deputy["id"] in [
        p["id"] for p in (await ok(await client.get(base, params={"position": "deputy_head"})))["items"]
    ]
    assert [p["id"] for p in (await ok(await client.get(base, params={"user_id": deputy["user_id"]})))["items"]] == [
        deputy["id"]
    ]
    assert (await ok(await client.get(f"{base}/{person['id']}")))["subject_ids"] == [maths["id"]]
    names = [p["full_name"] for p in (await ok(await client.get(base, params={"page_size": 200})))["items"]]
    backwards = [
        p["full_name"]
        for p in (await ok(await client.get(base, params={"page_size": 200, "sort": "-full_name"})))["items"]
    ]
    assert len(names) >= 2 and backwards == names[::-1]
    await refused(await client.get(base, params={"sort": "age"}), 400, "sort")
    updated = await ok(
        await client.patch(
            f"{base}/{person['id']}", json={"positions": ["teacher", "class_teacher"], "subject_ids": []}
        )
    )
    assert updated["positions"] == ["class_teacher", "teacher"] and updated["subject_ids"] == []

    before = await audit_total(client, place)
    await refused(await client.post(base, json={"full_name": "X", "positions": []}), 400, "positions")
    await refused(await client.post(base, json={"full_name": "X", "positions": ["wizard"]}), 400, "positions[0]")
    await refused(
        await client.post(base, json={"full_name": "X", "positions": ["teacher"], "email": "nope"}), 400, "email"
    )
    await refused(
        await client.post(
            base, json={"full_name": "X", "positions": ["teacher"], "supervised_subject_ids": [maths["id"]]}
        ),
        422,
        "supervised_subject_ids",
        "31",
    )
    await refused(
        await client.post(base, json={"full_name": "X", "positions": ["teacher"], "subject_ids": [str(uuid.uuid4())]}),
        404,
        "subject_ids",
    )
    await refused(
        await client.post(base, json={"full_name": "X", "positions": ["teacher"], "user_id": deputy["user_id"]}),
        409,
        "user_id",
    )
    await refused(
        await client.patch(f"{base}/{person['id']}", json={"heads_unit_id": str(uuid.uuid4())}), 422, "heads_unit_id"
    )
    assert await audit_total(client, place) == before
    assert (await ok(await client.post(f"{base}/{person['id']}/archive")))["archived_at"]


# --- calendar ----------------------------------------------------------------------------------


async def test_calendar_routes(client: httpx.AsyncClient, region: Region) -> None:
    base = f"{region.school2.base}/calendar"
    year = await ok(await client.post(base, json={"school_year": 2040}), 201)
    assert year["kind"] == "quarter" and [t["number"] for t in year["terms"]] == [1, 2, 3, 4]
    assert 2040 in [y["school_year"] for y in await ok(await client.get(base))]
    assert len((await ok(await client.get(f"{base}/2040")))["terms"]) == 4
    current = await ok(await client.get(f"{base}/current", params={"on": "2040-11-15"}))
    assert current["term"]["number"] == 2 and current["next"]["number"] == 3
    holiday = await ok(await client.get(f"{base}/current", params={"on": "2040-10-30"}))
    assert holiday["term"] is None and holiday["next"]["number"] == 2
    q1 = year["terms"][0]
    assert (await ok(await client.get(f"{base}/terms/{q1['id']}")))["number"] == 1
    assert (await ok(await client.patch(f"{base}/terms/{q1['id']}", json={"ends_on": "2040-10-28"})))[
        "ends_on"
    ] == "2040-10-28"

    before = await audit_total(client, region.school2)
    await refused(await client.post(base, json={"school_year": 2040}), 409, "school_year")
    await refused(await client.post(base, json={"school_year": 1999}), 400, "school_year")
    await refused(
        await client.post(
            base,
            json={"school_year": 2041, "terms": [{"number": 1, "starts_on": "2041-09-01", "ends_on": "2041-12-30"}]},
        ),
        422,
        "terms",
    )
    await refused(await client.patch(f"{base}/terms/{q1['id']}", json={"ends_on": "2040-11-20"}), 422, "ends_on")
    await refused(await client.patch(f"{base}/terms/{q1['id']}", json={"ends_on": "not a date"}), 400, "ends_on")
    await refused(await client.get(f"{base}/current", params={"on": "yesterday"}), 400, "on")
    assert await audit_total(client, region.school2) == before

    archived = await ok(await client.post(f"{base}/terms/{q1['id']}/archive"))
    assert all(t["archived_at"] for t in archived["terms"])
    assert (await ok(await client.get(f"{base}/2040")))["terms"] == []

    university = await ok(await client.post(f"{region.university.base}/calendar", json={"school_year": 2040}), 201)
    assert [(t["kind"], t["number"]) for t in university["terms"]] == [("semester", 1), ("semester", 2)]


# --- associations and leaders ------------------------------------------------------------------


async def test_association_routes_cl26_cl30(client: httpx.AsyncClient, region: Region) -> None:
    place = region.school
    base = f"{place.base}/associations"
    geography = await subject(client, place)
    teachers = [await staff(client, place, subject_ids=[geography["id"]]) for _ in range(2)]

    before = await audit_total(client, place)
    body = await refused(
        await client.post(base, json={"name": "МО географии", "kind": "subject", "subject_id": geography["id"]}),
        422,
        "subject_id",
        "26",
    )
    assert "inter-school association" in body["message"]
    await refused(await client.post(base, json={"name": "МО", "kind": "subject"}), 422, "subject_id", "25")
    await refused(await client.post(base, json={"name": "МО", "kind": "chess_club"}), 400, "kind")
    await refused(
        await client.post(base, json={"name": "МО", "kind": "class_teachers", "quorum_rule": "some"}),
        400,
        "quorum_rule",
    )
    assert await audit_total(client, place) == before
    assert geography["id"] not in [
        a["subject_id"] for a in (await ok(await client.get(base, params={"include_archived": "true"})))["items"]
    ]

    teachers.append(await staff(client, place, subject_ids=[geography["id"]]))
    created = await ok(
        await client.post(
            base,
            json={
                "name": "МО географии",
                "kind": "subject",
                "subject_id": geography["id"],
                "members": [{"staff_id": t["id"]} for t in teachers],
            },
        ),
        201,
    )
    assert created["member_count"] == 3 and created["leader"] is None
    association = f"{base}/{created['id']}"
    assert [a["id"] for a in (await ok(await client.get(base, params={"subject_id": geography["id"]})))["items"]] == [
        created["id"]
    ]
    assert (await ok(await client.get(association)))["name"] == "МО географии"
    assert (await ok(await client.patch(association, json={"quorum_rule": "two_thirds"})))[
        "quorum_rule"
    ] == "two_thirds"
    await refused(
        await client.post(base, json={"name": "МО географии 2", "kind": "subject", "subject_id": geography["id"]}),
        409,
        "subject_id",
    )

    start = TODAY
    await refused(
        await client.post(
            f"{association}/leaders",
            json={
                "staff_id": teachers[0]["id"],
                "method": "elected",
                "starts_on": start.isoformat(),
                "ends_on": (start + datetime.timedelta(days=366)).isoformat(),
            },
        ),
        422,
        "ends_on",
        "30",
    )
    await refused(
        await client.post(
            f"{association}/leaders",
            json={
                "staff_id": teachers[0]["id"],
                "method": "crowned",
                "starts_on": "2030-01-01",
                "ends_on": "2030-02-01",
            },
        ),
        400,
        "method",
    )
    leader = await ok(
        await client.post(
            f"{association}/leaders",
            json={
                "staff_id": teachers[0]["id"],
                "method": "elected",
                "starts_on": start.isoformat(),
                "ends_on": (start + datetime.timedelta(days=200)).isoformat(),
            },
        ),
        201,
    )
    assert leader["in_office"] and leader["days_left"] == 200
    assert (await ok(await client.get(association)))["leader"]["staff_id"] == teachers[0]["id"]
    ended = await ok(
        await client.post(f"{association}/leaders/{leader['id']}/end", json={"ended_on": start.isoformat()})
    )
    assert ended["ended_on"] == start.isoformat() and not ended["in_office"]
    await refused(await client.post(f"{association}/leaders/{leader['id']}/end", json={}), 409, "term_id")
    history = await ok(await client.get(f"{association}/leaders"))
    assert [h["id"] for h in history] == [leader["id"]]
    assert (await ok(await client.post(f"{association}/archive")))["archived_at"]


async def test_association_leader_keeps_members_and_teacher_reads_own(
    app: Any, client: httpx.AsyncClient, as_user: httpx.AsyncClient, db: Any, region: Region
) -> None:
    place = region.school2
    leader_user, leader_session = await session_of(app, db, Grant(Role.ASSOCIATION_LEADER, organisation_id=place.id))
    teacher_user, teacher_session = await session_of(app, db, Grant(Role.TEACHER, organisation_id=place.id))
    leader = await staff(client, place, user_id=str(leader_user))
    teacher = await staff(client, place, user_id=str(teacher_user))
    newcomer = await staff(client, place)
    mine = await ok(
        await client.post(
            f"{place.base}/associations",
            json={
                "name": "МО начальных классов",
                "kind": "primary_grades",
                "members": [{"staff_id": leader["id"]}, {"staff_id": teacher["id"]}],
            },
        ),
        201,
    )
    other = await ok(
        await client.post(f"{place.base}/associations", json={"name": "МО воспитателей", "kind": "boarding_educators"}),
        201,
    )
    await ok(
        await client.post(
            f"{place.base}/associations/{mine['id']}/leaders",
            json={
                "staff_id": leader["id"],
                "method": "elected",
                "starts_on": TODAY.isoformat(),
                "ends_on": (TODAY + datetime.timedelta(days=100)).isoformat(),
            },
        ),
        201,
    )

    members = f"{place.base}/bodies/association/{mine['id']}/members"
    added = await ok(await as_user.post(members, json={"staff_id": newcomer["id"]}, headers=leader_session), 201)
    assert added["staff_id"] == newcomer["id"] and added["current"]
    await refused(
        await as_user.post(
            f"{place.base}/bodies/association/{other['id']}/members",
            json={"staff_id": newcomer["id"]},
            headers=leader_session,
        ),
        403,
        None,
    )
    await refused(await as_user.post(members, json={"staff_id": newcomer["id"]}, headers=teacher_session), 403, None)

    seen = await ok(await as_user.get(f"{place.base}/associations", headers=teacher_session))
    assert [a["id"] for a in seen["items"]] == [mine["id"]]
    await refused(
        await as_user.get(f"{place.base}/associations/{other['id']}", headers=teacher_session), 404, "body_id"
    )
    own = await ok(await as_user.get(f"{place.base}/bodies", headers=teacher_session))
    assert [(b["kind"], b["id"]) for b in own] == [("association", mine["id"])]

    # The actor of the change is the signed-in user, in the audit log.
    log = await ok(
        await client.get(f"{place.base}/audit-log", params={"entity": "body_membership", "entity_id": added["id"]})
    )
    assert [(e["action"], e["actor_id"]) for e in log["items"]] == [("body_membership.create", str(leader_user))]


# --- councils, pedagogical council, commissions ------------------------------------------------


async def test_council_routes_cl14_cl32(client: httpx.AsyncClient, db: Any, region: Region) -> None:
    # A university of its own: the shared one may have its methodological council from another test.
    place = await make_org(db, OrgKind.UNIVERSITY, region.district, "Structure University, councils")
    base = f"{place.base}/councils"
    chair, secretary = await staff(client, place), await staff(client, place)
    term = (TODAY + datetime.timedelta(days=730)).isoformat()

    before = await audit_total(client, place)
    await refused(
        await client.post(base, json={"name": "Совет", "acts_as_pedagogical_council": True}),
        422,
        "acts_as_pedagogical_council",
        "32",
    )
    await refused(
        await client.post(base, json={"name": "Совет", "members": [{"staff_id": chair["id"]}]}),
        422,
        "members[0].ends_on",
        "14",
    )
    await refused(await client.post(base, json={"name": "Совет", "chair_staff_id": chair["id"]}), 422, "chair_staff_id")
    await refused(await client.post(base, json={"name": "Совет", "unit_id": "nope"}), 400, "unit_id")
    assert await audit_total(client, place) == before

    council = await ok(
        await client.post(
            base,
            json={
                "name": "Учебно-методический совет",
                "chair_staff_id": chair["id"],
                "secretary_staff_id": secretary["id"],
                "members": [{"staff_id": chair["id"], "ends_on": term}, {"staff_id": secretary["id"], "ends_on": term}],
            },
        ),
        201,
    )
    assert (council["body_kind"], council["member_count"], council["chair_staff_id"]) == ("council", 2, chair["id"])
    assert [c["id"] for c in (await ok(await client.get(base)))["items"]] == [council["id"]]
    assert (await ok(await client.get(f"{base}/{council['id']}")))["secretary_staff_id"] == secretary["id"]
    await refused(
        await client.patch(f"{base}/{council['id']}", json={"acts_as_pedagogical_council": True}),
        422,
        "acts_as_pedagogical_council",
        "32",
    )
    assert (await ok(await client.patch(f"{base}/{council['id']}", json={"name": "УМС"})))["name"] == "УМС"
    await refused(await client.post(base, json={"name": "Второй"}), 409, "unit_id")

    faculty = await ok(
        await client.post(f"{place.base}/units", json={"name": "Faculty of History", "kind": "faculty"}), 201
    )
    unit_council = await ok(await client.post(base, json={"name": "Совет факультета", "unit_id": faculty["id"]}), 201)
    assert [c["id"] for c in (await ok(await client.get(base, params={"unit_id": faculty["id"]})))["items"]] == [
        unit_council["id"]
    ]
    await refused(await client.post(f"{base}/{council['id']}/archive"), 409, "id", "14")
    assert (await ok(await client.post(f"{base}/{unit_council['id']}/archive")))["archived_at"]
    assert (await ok(await client.post(f"{base}/{council['id']}/archive")))["archived_at"]


async def test_pedagogical_council_routes(client: httpx.AsyncClient, region: Region) -> None:
    place = region.college
    base = f"{place.base}/pedagogical-council"
    await refused(await client.get(base), 404, "organisation_id")
    member = await staff(client, place)
    await refused(await client.post(base, json={"name": ""}), 400, "name")
    created = await ok(
        await client.post(
            base,
            json={
                "name": "Педагогический совет",
                "chair_staff_id": member["id"],
                "members": [{"staff_id": member["id"]}],
            },
        ),
        201,
    )
    assert created["body_kind"] == "pedagogical_council" and created["quorum_rule"] == "two_thirds"
    assert (await ok(await client.get(base)))["id"] == created["id"]
    assert (await ok(await client.get(f"{base}/{created['id']}")))["member_count"] == 1
    await refused(await client.post(base, json={"name": "Второй"}), 409, "name")
    await refused(
        await client.patch(f"{base}/{created['id']}", json={"acts_as_pedagogical_council": False}),
        400,
        "acts_as_pedagogical_council",
    )
    assert (await ok(await client.patch(f"{base}/{created['id']}", json={"quorum_rule": "more_than_half"})))[
        "quorum_rule"
    ] == "more_than_half"
    # A methodological council id is not the pedagogical council's.
    await refused(await client.get(f"{place.base}/councils/{created['id']}"), 404, "id")
    assert (await ok(await client.post(f"{base}/{created['id']}/archive")))["archived_at"]
    await refused(await client.get(base), 404, "organisation_id")


async def test_commission_routes(client: httpx.AsyncClient, region: Region) -> None:
    place = region.college
    base = f"{place.base}/commissions"
    unit = await ok(
        await client.post(f"{place.base}/units", json={"name": "Dept of Mechanics", "kind": "department"}), 201
    )
    division = await ok(
        await client.post(f"{place.base}/units", json={"name": "Evening division", "kind": "division"}), 201
    )
    head = await staff(client, place)
    await refused(
        await client.post(base, json={"name": "Кафедра", "kind": "department", "unit_id": division["id"]}),
        422,
        "unit_id",
        "10",
    )
    await refused(await client.post(base, json={"name": "Кафедра", "kind": "club", "unit_id": unit["id"]}), 400, "kind")
    await refused(await client.post(base, json={"name": "Кафедра", "kind": "department"}), 400, "unit_id")
    created = await ok(
        await client.post(
            base,
            json={
                "name": "Кафедра механики",
                "kind": "department",
                "unit_id": unit["id"],
                "chair_staff_id": head["id"],
                "members": [{"staff_id": head["id"]}],
            },
        ),
        201,
    )
    assert created["body_kind"] == "department" and created["member_count"] == 1
    assert created["id"] in [
        c["id"] for c in (await ok(await client.get(base, params={"kind": "department"})))["items"]
    ]
    assert (await ok(await client.get(f"{base}/{created['id']}")))["chair_staff_id"] == head["id"]
    await refused(
        await client.patch(f"{base}/{created['id']}", json={"secretary_staff_id": head["id"]}),
        422,
        "secretary_staff_id",
    )
    assert (await ok(await client.patch(f"{base}/{created['id']}", json={"name": "Кафедра"})))["name"] == "Кафедра"
    await refused(
        await client.post(base, json={"name": "Ещё", "kind": "department", "unit_id": unit["id"]}), 409, "unit_id"
    )
    assert (await ok(await client.post(f"{base}/{created['id']}/archive")))["archived_at"]


# --- the generic body view and membership ------------------------------------------------------


async def test_body_routes(client: httpx.AsyncClient, region: Region) -> None:
    place = region.school2
    people = [await staff(client, place) for _ in range(3)]
    term = (TODAY + datetime.timedelta(days=365)).isoformat()
    council = await ok(
        await client.post(
            f"{place.base}/councils",
            json={
                "name": "Методический совет школы",
                "chair_staff_id": people[0]["id"],
                "secretary_staff_id": people[1]["id"],
                "members": [{"staff_id": p["id"], "ends_on": term} for p in people[:2]],
            },
        ),
        201,
    )
    body = await ok(await client.get(f"{place.base}/bodies/council/{council['id']}"))
    assert body["kind"] == "council" and body["quorum_rule"] == "more_than_half"
    assert body["chair"]["staff_id"] == people[0]["id"] and body["secretary"]["staff_id"] == people[1]["id"]
    assert {m["staff_id"] for m in body["members"]} == {people[0]["id"], people[1]["id"]}
    assert (BodyRef := ("council", council["id"])) in [
        (b["kind"], b["id"]) for b in await ok(await client.get(f"{place.base}/bodies"))
    ]
    assert BodyRef in [
        (b["kind"], b["id"]) for b in await ok(await client.get(f"{place.base}/bodies", params={"kind": "council"}))
    ]

    members = f"{place.base}/bodies/council/{council['id']}/members"
    before = await audit_total(client, place)
    await refused(await client.post(members, json={"staff_id": people[2]["id"]}), 422, "ends_on", "14")
    await refused(await client.post(members, json={"staff_id": people[0]["id"], "ends_on": term}), 409, "staff_id")
    await refused(
        await client.post(
            members, json={"staff_id": people[2]["id"], "starts_on": "2030-01-01", "ends_on": "2029-01-01"}
        ),
        422,
        "ends_on",
    )
    await refused(
        await client.post(f"{place.base}/bodies/castle/{council['id']}/members", json={"staff_id": people[2]["id"]}),
        400,
        "body_kind",
    )
    await refused(
        await client.post(f"{place.base}/bodies/union/{council['id']}/members", json={"staff_id": people[2]["id"]}),
        422,
        "body_kind",
    )
    await refused(await client.get(f"{place.base}/bodies/council/{uuid.uuid4()}"), 404, "body_id")
    assert await audit_total(client, place) == before

    added = await ok(await client.post(members, json={"staff_id": people[2]["id"], "ends_on": term}), 201)
    listed = await ok(await client.get(members))
    assert listed["total"] == 3
    chair_membership = next(m for m in listed["items"] if m["staff_id"] == people[0]["id"])
    await refused(await client.post(f"{members}/{chair_membership['id']}/end", json={}), 409, "membership_id")
    ended = await ok(await client.post(f"{members}/{added['id']}/end", json={"left_on": TODAY.isoformat()}))
    assert ended["left_on"] == TODAY.isoformat() and not ended["current"]
    assert (await ok(await client.get(members)))["total"] == 2
    assert (await ok(await client.get(members, params={"include_past": "true"})))["total"] == 3
    await refused(await client.post(f"{members}/{uuid.uuid4()}/end", json={}), 404, "membership_id")


# --- inter-school associations (a district cabinet) ---------------------------------------------


async def test_inter_school_routes(
    app: Any, client: httpx.AsyncClient, as_user: httpx.AsyncClient, db: Any, region: Region
) -> None:
    cabinet = region.cabinet
    base = f"{cabinet.base}/inter-school-associations"
    await refused(
        await client.post(
            f"{region.school.base}/inter-school-associations", json={"name": "x", "kind": "class_teachers"}
        ),
        422,
        "organisation_id",
        "25",
    )
    await refused(await client.post(base, json={"name": "x", "kind": "subject"}), 422, "subject_code", "25")
    # Other tests may have formed associations at this cabinet already: the new one is added to them.
    before = {a["id"] for a in (await ok(await client.get(base, params={"page_size": 200})))["items"]}
    created = await ok(
        await client.post(
            base,
            json={
                "name": "ММО учителей химии",
                "kind": "subject",
                "subject_code": "chemistry",
                "subject_name": "Химия",
            },
        ),
        201,
    )
    association = f"{base}/{created['id']}"
    assert created["territory_id"] == str(region.district) and created["member_count"] == 0
    assert {a["id"] for a in (await ok(await client.get(base, params={"page_size": 200})))["items"]} == before | {
        created["id"]
    }
    assert (await ok(await client.patch(association, json={"name": "ММО химиков"})))["name"] == "ММО химиков"

    teacher = await staff(client, region.school)
    far = await staff(client, region.far_school)
    member = await ok(
        await client.post(
            f"{association}/members", json={"organisation_id": str(region.school.id), "staff_id": teacher["id"]}
        ),
        201,
    )
    assert member["full_name"] == teacher["full_name"]
    await refused(
        await client.post(
            f"{association}/members", json={"organisation_id": str(region.far_school.id), "staff_id": far["id"]}
        ),
        422,
        "organisation_id",
        "25",
    )
    await refused(
        await client.post(
            f"{association}/members", json={"organisation_id": str(region.school.id), "staff_id": str(uuid.uuid4())}
        ),
        404,
        "staff_id",
    )
    await refused(
        await client.post(f"{association}/members", json={"organisation_id": str(region.school.id)}), 400, "staff_id"
    )
    assert (await ok(await client.get(f"{association}/members")))["total"] == 1

    term = {
        "organisation_id": str(region.school.id),
        "staff_id": teacher["id"],
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=300)).isoformat(),
    }
    await refused(
        await client.post(f"{association}/leaders", json=term), 403, None
    )  # a national admin is not the district
    _, cabinet_admin = await session_of(app, db, Grant(Role.ORGANISATION_ADMIN, organisation_id=cabinet.id))
    await refused(await as_user.post(f"{association}/leaders", json=term, headers=cabinet_admin), 403, None)
    _, department = await session_of(app, db, Grant(Role.DISTRICT_METHODIST, territory_id=region.district))
    await refused(
        await as_user.post(
            f"{association}/leaders",
            json={**term, "ends_on": (TODAY + datetime.timedelta(days=400)).isoformat()},
            headers=department,
        ),
        422,
        "ends_on",
        "30",
    )
    # Cl. 30: appointed from the association's teachers, so not for a term starting before they joined it.
    await refused(
        await as_user.post(
            f"{association}/leaders",
            json={**term, "starts_on": (TODAY - datetime.timedelta(days=5)).isoformat()},
            headers=department,
        ),
        422,
        "starts_on",
        "30",
    )
    leader = await ok(await as_user.post(f"{association}/leaders", json=term, headers=department), 201)
    assert leader["method"] == "appointed" and leader["member_staff_id"] == teacher["id"]
    assert [h["id"] for h in await ok(await client.get(f"{association}/leaders"))] == [leader["id"]]
    assert (await ok(await client.get(association)))["leader"]["id"] == leader["id"]
    assert (await ok(await as_user.post(f"{association}/leaders/{leader['id']}/end", json={}, headers=department)))[
        "ended_on"
    ]
    assert (await ok(await client.post(f"{association}/members/{member['id']}/end", json={})))["left_on"]
    assert (await ok(await client.post(f"{association}/archive")))["archived_at"]


# --- sector unions (the republic cabinet) ------------------------------------------------------


async def test_union_routes(client: httpx.AsyncClient, region: Region) -> None:
    republic = region.republic_cabinet
    base = f"{republic.base}/unions"
    await refused(
        await client.post(f"{region.school.base}/unions", json={"name": "УМО", "sector": "IT"}),
        422,
        "organisation_id",
        "24",
    )
    await refused(await client.post(base, json={"name": "УМО"}), 400, "sector")
    union = await ok(await client.post(base, json={"name": "УМО по транспорту", "sector": "Transport"}), 201)
    path = f"{base}/{union['id']}"
    assert union["id"] in [u["id"] for u in (await ok(await client.get(base, params={"q": "Transport"})))["items"]]
    partner = await ok(
        await client.post(
            f"{path}/members",
            json={"member_kind": "social_partner", "full_name": "Partner Person", "represents": "Trade union"},
        ),
        201,
    )
    assert partner["user_id"] is None
    await refused(
        await client.post(f"{path}/members", json={"member_kind": "education_organisation", "full_name": "Rep"}),
        422,
        "organisation_id",
        "24",
    )
    await refused(
        await client.post(f"{path}/members", json={"member_kind": "alien", "full_name": "Rep"}), 400, "member_kind"
    )
    rep = await ok(
        await client.post(
            f"{path}/members",
            json={
                "member_kind": "education_organisation",
                "full_name": "Rep",
                "organisation_id": str(region.college.id),
            },
        ),
        201,
    )
    assert (await ok(await client.get(f"{path}/members")))["total"] == 2
    assert (await ok(await client.patch(path, json={"chair_member_id": partner["id"]})))["chair_member_id"] == partner[
        "id"
    ]
    await refused(await client.patch(path, json={"secretary_member_id": str(uuid.uuid4())}), 422, "secretary_member_id")
    assert (await ok(await client.get(path)))["member_count"] == 2
    assert (await ok(await client.post(f"{path}/members/{rep['id']}/end", json={})))["left_on"]
    assert (await ok(await client.post(f"{path}/archive")))["archived_at"]


# --- the audit log over HTTP -------------------------------------------------------------------


async def test_audit_log_routes(
    app: Any, client: httpx.AsyncClient, as_user: httpx.AsyncClient, db: Any, region: Region
) -> None:
    place = region.school
    await staff(client, place)
    log = await ok(await client.get(f"{place.base}/audit-log", params={"entity": "staff", "page_size": 5}))
    assert log["items"] and all(e["entity"] == "staff" for e in log["items"])
    assert log["items"][0]["seq"] > log["items"][-1]["seq"] or len(log["items"]) == 1
    assert (await ok(await client.get(f"{place.base}/audit-log/verify")))["ok"] is True
    _, teacher = await session_of(app, db, Grant(Role.TEACHER, organisation_id=place.id))
    await refused(await as_user.get(f"{place.base}/audit-log", headers=teacher), 403, None)
