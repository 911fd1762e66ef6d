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
    assert all(d["meeting_id"] for s in timeline["rounds"][0]["stages"] for d in s["decisions"]
               if s["kind"] != "approval" and s["members"][0]["collegial"])
    return doc


async def test_cl19_working_curriculum_university(uni_api: Api) -> None:
    await _run(uni_api, "working_curriculum", [
        ("commission", "19"), ("department", "19"), ("unit_councils", "19"), ("unit_councils", "19"),
        ("um_office", "19"), ("all_councils", "19"), ("approval", "19")], "head")


async def test_cl20_working_programme_university(uni_api: Api) -> None:
    await _run(uni_api, "working_programme", [("unit_council", "20"), ("organisation_council", "20"),
                                              ("approval", "20")], "deputy_head")


async def test_cl20_lesson_plan_school_has_no_unit_council(sch_api: Api) -> None:
    await _run(sch_api, "lesson_plan", [("organisation_council", "20"), ("approval", "20")], "deputy_head")


async def test_cl21_guidelines_university(uni_api: Api) -> None:
    await _run(uni_api, "guidelines", [("commission", "21"), ("department", "21"), ("unit_council", "21"),
                                       ("organisation_council", "21"), ("approval", "21")], "deputy_head")


async def test_cl18_other_documentation_school_uses_its_association(sch_api: Api) -> None:
    # A school has no commission or department: its subject association discusses the document.
    await _run(sch_api, "other", [("commission", "18"), ("organisation_council", "18"), ("approval", "18")],
               "deputy_head|head")


async def test_cl13_2_normative_document_university(uni_api: Api) -> None:
    await _run(uni_api, "normative_document", [("commission", "13.2"), ("department", "13.2"),
                                               ("organisation_council", "13.2"), ("approval", "18")], "deputy_head|head")


async def test_cl29_association_plan_school(sch_api: Api, sch: w.World) -> None:
    await _run(sch_api, "association_plan", [("association", "29"), ("approval", "29")], "head",
               association_id=str(sch.bodies["maths"][1]))


async def test_cl13_4_product_reaches_the_catalogue_read_from_above(uni_api: Api, uni: w.World, app: Any, db: Any) -> None:
    from api.access import Grant
    from tests.identity.access.principals import new_user, session_cookie
    from tests.reviews.world import district

    doc = await _run(uni_api, "methodological_product", [
        ("commission", "13.4"), ("department", "13.4"), ("unit_council", "13.4"), ("organisation_council", "13.4"),
        ("approval", "18")], "deputy_head|head")
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
