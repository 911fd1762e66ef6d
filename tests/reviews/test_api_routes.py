"""Each default route end to end through the API: create, upload, submit, every stage decided by
the right person at the right meeting, approval; the route shown with the clause of each stage."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reviews import world as w
from tests.reviews.api_support import Api

pytestmark = pytest.mark.asyncio


@pytest.fixture
def uni_api(app: Any, db: Any, uni: w.World) -> Api:
    return Api(app, db, uni)


@pytest.fixture
def sch_api(app: Any, db: Any, sch: w.World) -> Api:
    return Api(app, db, sch)


async def _run(api: Api, kind: str, expected: list[tuple[str, str]], approver: str, **extra: Any) -> dict[str, Any]:
    doc = await api.create("author", kind=kind, title=f"A {kind} for review", school_year=2025, **extra)
    planned = await api.call("author", "GET", f"/documents/{doc['id']}/route")
    assert planned.status_code == 200, planned.text
    assert [(s["selector"], s["clause"]) for s in planned.json()] == expected
    r = await api.upload("author", doc["id"], w.docx("First paragraph", "Second paragraph"), "doc.docx")
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["format"] == "docx" and len(version["sha256"]) == 64
    r = await api.submit("author", doc["id"], version["id"])
    assert r.status_code == 201, r.text
    walked = await api.walk_to_approval(doc["id"])
    assert [(s["selector"], s["clause"]) for s in walked] == expected
    assert sorted(walked[-1]["approver_roles"]) == approver.split("|")
    final = (await api.call("author", "GET", f"/documents/{doc['id']}")).json()
    assert final["status"] == "approved" and final["approved_version_id"] == version["id"]
    assert final["versions"][0]["locked"] and final["versions"][0]["approved"]
    timeline = await api.timeline("author", doc["id"])
    decisions = [d for s in timeline["rounds"][0]["stages"] for d in s["decisions"]]
    assert all(d["decided_by_name"] and d["decided_at"] for d in decisions)
    assert all(
        d["meeting_id"]
        for s in timeline["rounds"][0]["stages"]
        for d in s["decisions"]
        if s["kind"] != "approval" and s["members"][0]["collegial"]
    )
    return doc


async def test_cl19_working_curriculum_university(uni_api: Api) -> None:
    await _run(
        uni_api,
        "working_curriculum",
        [
            ("commission", "19"),
            ("department", "19"),
            ("unit_councils", "19"),
            ("unit_councils", "19"),
            ("um_office", "19"),
            ("all_councils", "19"),
            ("approval", "19"),
        ],
        "head",
    )


async def test_cl20_working_programme_university(uni_api: Api) -> None:
    await _run(
        uni_api,
        "working_programme",
        [("unit_council", "20"), ("organisation_council", "20"), ("approval", "20")],
        "deputy_head",
    )


async def test_cl20_lesson_plan_school_has_no_unit_council(sch_api: Api) -> None:
    await _run(sch_api, "lesson_plan", [("organisation_council", "20"), ("approval", "20")], "deputy_head")


async def test_cl21_guidelines_university(uni_api: Api) -> None:
    await _run(
        uni_api,
        "guidelines",
        [
            ("commission", "21"),
            ("department", "21"),
            ("unit_council", "21"),
            ("organisation_council", "21"),
            ("approval", "21"),
        ],
        "deputy_head",
    )


async def test_cl18_other_documentation_school_uses_its_association(sch_api: Api) -> None:
    # A school has no commission or department: its subject association discusses the document.
    await _run(
        sch_api, "other", [("commission", "18"), ("organisation_council", "18"), ("approval", "18")], "deputy_head|head"
    )


async def test_cl13_2_normative_document_university(uni_api: Api) -> None:
    await _run(
        uni_api,
        "normative_document",
        [("commission", "13.2"), ("department", "13.2"), ("organisation_council", "13.2"), ("approval", "18")],
        "deputy_head|head",
    )


async def test_cl29_association_plan_school(sch_api: Api, sch: w.World) -> None:
    await _run(
        sch_api,
        "association_plan",
        [("association", "29"), ("approval", "29")],
        "head",
        association_id=str(sch.bodies["maths"][1]),
    )


async def test_cl13_4_product_reaches_the_catalogue_read_from_above(
    uni_api: Api, uni: w.World, app: Any, db: Any
) -> None:
    from api.access import Grant
    from tests.identity.access.principals import new_user, session_cookie
    from tests.reviews.world import district

    doc = await _run(
        uni_api,
        "methodological_product",
        [
            ("commission", "13.4"),
            ("department", "13.4"),
            ("unit_council", "13.4"),
            ("organisation_council", "13.4"),
            ("approval", "18"),
        ],
        "deputy_head|head",
    )
    # The district methodist above the organisation reads its catalogue and the file.
    methodist = await new_user(db, [Grant("district_methodist", territory_id=uni.territory_id)])
    headers = await session_cookie(app.api, db, methodist)
    async with uni_api.client() as c:
        r = await c.get(f"{uni_api.base}/catalogue", headers=headers)
        assert r.status_code == 200, r.text
        assert doc["id"] in [e["document_id"] for e in r.json()["items"]]
        f = await c.get(f"{uni_api.base}/catalogue/{doc['id']}/file", headers=headers)
        assert f.status_code == 200 and f.content.startswith(b"PK")
        # …but not the organisation's documents themselves, nor decide anything.
        r = await c.get(f"{uni_api.base}/documents/{doc['id']}", headers=headers)
        assert r.status_code == 403
    # A methodist of another district does not even learn that the organisation exists.
    other = await new_user(db, [Grant("district_methodist", territory_id=await district(db))])
    async with uni_api.client() as c:
        r = await c.get(f"{uni_api.base}/catalogue", headers=await session_cookie(app.api, db, other))
    assert r.status_code == 404


async def test_a_route_never_drops_a_stage_silently(app: Any, db: Any, district_id: Any) -> None:
    """Cl. 20: a working programme is reviewed by the council of the unit and of the organisation.
    A school without methodological councils (which cl. 32 requires it to have) cannot hold those
    stages; the author and the approver see so before submitting, by API and on the page, and the
    round records it where compliance checks can find it."""
    import datetime

    from sqlalchemy import select

    from api.audit import AuditEntry
    from api.domain.bodies.models import Council
    from api.domain.reviews.models import ReviewMissingStage

    world = await w.school(db, district_id)
    async with db.tenant_context(world.schema) as session:
        council = await session.get(Council, world.bodies["org_council"][1])
        council.archived_at = datetime.datetime.now(datetime.UTC)
    api = Api(app, db, world)
    doc = await api.create("author", kind="working_programme", title="Programme without councils", school_year=2025)
    gaps = [("unit_council", "20"), ("organisation_council", "20")]
    for who in ("author", "deputy"):
        r = await api.call(who, "GET", f"/documents/{doc['id']}/route-plan")
        assert r.status_code == 200, r.text
        plan = r.json()
        assert [s["selector"] for s in plan["stages"]] == ["approval"]
        assert [(m["selector"], m["clause"]) for m in plan["missing_stages"]] == gaps
        assert all(m["label"] for m in plan["missing_stages"])
    # The page the author submits from says so too.
    async with api.client() as c:
        page = await c.get(f"/organisations/{world.org_id}/documents/{doc['id']}", headers=await api.headers("author"))
    assert page.status_code == 200 and 'id="missing-stages"' in page.text
    assert "Методический совет организации" in page.text  # the stage named in the page's language

    r = await api.upload("author", doc["id"], w.docx("Programme"), "p.docx")
    version = r.json()
    assert (await api.submit("author", doc["id"], version["id"])).status_code == 201
    timeline = await api.timeline("deputy", doc["id"])
    assert [(m["selector"], m["clause"]) for m in timeline["rounds"][0]["missing_stages"]] == gaps
    inbox = (await api.call("deputy", "GET", "/reviews/inbox")).json()
    mine = [i for i in inbox if i["document_id"] == doc["id"]]
    assert mine and [(m["selector"], m["clause"]) for m in mine[0]["missing_stages"]] == gaps
    async with db.tenant_session(world.schema) as session:
        rows = (
            await session.scalars(
                select(ReviewMissingStage)
                .where(ReviewMissingStage.round_id == timeline["rounds"][0]["id"])
                .order_by(ReviewMissingStage.position)
            )
        ).all()
        logged = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "review.stages_missing", AuditEntry.entity_id == timeline["rounds"][0]["id"]
            )
        )
    assert [(r.selector, r.clause) for r in rows] == gaps
    assert logged is not None and len(logged.after["missing_stages"]) == 2


async def test_a_school_route_with_its_council_still_reports_the_unit_council_it_lacks(sch_api: Api) -> None:
    doc = await sch_api.create("author", kind="lesson_plan", title="Lesson plan", school_year=2025)
    plan = (await sch_api.call("author", "GET", f"/documents/{doc['id']}/route-plan")).json()
    assert [s["selector"] for s in plan["stages"]] == ["organisation_council", "approval"]
    assert [(m["selector"], m["clause"]) for m in plan["missing_stages"]] == [("unit_council", "20")]
