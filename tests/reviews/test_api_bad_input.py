"""Bad input through the API: files refused by content and size, decisions by the wrong person,
on the wrong stage, on a locked or superseded version, without or with a reused idempotency key;
each with a clear error and nothing written."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.audit import AuditEntry
from api.domain.documents.models import DocumentVersion
from api.domain.reviews.models import ReviewDecision, ReviewRound
from tests.reviews import world as w
from tests.reviews.api_support import Api

pytestmark = pytest.mark.asyncio


@pytest.fixture
def api(app: Any, db: Any, uni: w.World) -> Api:
    return Api(app, db, uni)


async def _snapshot(db: Any, world: w.World) -> tuple[int, int, int, int]:
    return (
        await w.count(db, world.schema, DocumentVersion),
        await w.count(db, world.schema, ReviewDecision),
        await w.count(db, world.schema, ReviewRound),
        await w.count(db, world.schema, AuditEntry),
    )


@pytest.mark.parametrize(
    ("content", "name", "media_type", "status", "words"),
    [
        (b"", "empty.pdf", "application/pdf", 422, "empty"),
        (w.xlsx(), "sheet.pdf", "application/pdf", 415, "named as PDF but its content is XLSX"),
        (w.pdf(), "programme.docx", "application/octet-stream", 415, "named as DOCX but its content is PDF"),
        (w.docx("x"), "programme.odt", "application/octet-stream", 415, "named as ODT but its content is DOCX"),
        (
            w.pdf(),
            "programme.pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            415,
            "sent as",
        ),
        (b"PK\x03\x04not really a zip at all", "broken.docx", "application/octet-stream", 415, "not a PDF"),
        (b"MZ\x90\x00 an executable", "virus.pdf", "application/pdf", 415, "not a PDF"),
        (w.pdf(), "programme.exe", "application/octet-stream", 415, "must end in"),
    ],
)
async def test_uploads_refused_by_content(
    api: Api, db: Any, uni: w.World, content: bytes, name: str, media_type: str, status: int, words: str
) -> None:
    doc = await api.create("author", kind="working_programme", title="Programme")
    before = await _snapshot(db, uni)
    r = await api.upload("author", doc["id"], content, name, media_type=media_type)
    assert r.status_code == status, r.text
    assert r.json()["field"] == "file" and words in r.json()["message"]
    assert await _snapshot(db, uni) == before


async def test_oversized_upload_refused(api: Api, db: Any, uni: w.World, settings: Any) -> None:
    doc = await api.create("author", kind="working_programme", title="Programme")
    before = await _snapshot(db, uni)
    big = w.pdf() + b"0" * settings.document_max_bytes
    r = await api.upload("author", doc["id"], big, "big.pdf", media_type="application/pdf")
    assert r.status_code == 413 and "too large" in r.json()["message"]
    assert await _snapshot(db, uni) == before


async def test_odt_xlsx_accepted_and_text_diffed(api: Api) -> None:
    doc = await api.create("author", kind="guidelines", title="Guidelines")
    first = w.odt("Intro", "Old method")
    r1 = await api.upload("author", doc["id"], first, "g.odt")
    assert r1.status_code == 201 and r1.json()["format"] == "odt"
    r = await api.upload("author", doc["id"], w.odt("Intro", "New method"), "g2.odt")
    assert r.status_code == 422 and r.json()["field"] == "change_note"
    r2 = await api.upload("author", doc["id"], w.odt("Intro", "New method"), "g2.odt", note="Method replaced")
    assert r2.status_code == 201
    diff = (await api.call("author", "GET", f"/documents/{doc['id']}/diff", params={"from": 1, "to": 2})).json()
    assert diff["text_compared"] and "-Old method" in diff["text_diff"] and "+New method" in diff["text_diff"]
    assert {c["field"] for c in diff["metadata"]} >= {"filename", "sha256", "change_note"}
    r3 = await api.upload("author", doc["id"], w.xlsx(), "table.xlsx", note="As a table")
    assert r3.status_code == 201 and r3.json()["format"] == "xlsx"
    diff = (await api.call("author", "GET", f"/documents/{doc['id']}/diff", params={"from": 2, "to": 3})).json()
    assert not diff["text_compared"] and "DOCX and ODT" in diff["reason"]
    # The file comes back as uploaded.
    f = await api.call("author", "GET", f"/documents/{doc['id']}/versions/{r1.json()['id']}/file")
    assert f.status_code == 200 and f.content == first
    # Someone outside the document learns nothing of it.
    r = await api.call("outsider", "GET", f"/documents/{doc['id']}")
    assert r.status_code == 404


async def test_wrong_decisions_refused_and_nothing_written(api: Api, db: Any, uni: w.World) -> None:
    doc = await api.create("author", kind="guidelines", title="Guidelines under review")
    v1 = (await api.upload("author", doc["id"], w.pdf("g1"), "g.pdf")).json()
    assert (await api.submit("author", doc["id"], v1["id"])).status_code == 201
    stages = (await api.timeline("author", doc["id"]))["rounds"][0]["stages"]
    commission, department = stages[0], stages[1]
    meeting, item = uni.meetings["cycle_commission"]
    ok = {
        "stage_id": commission["id"],
        "version_id": v1["id"],
        "outcome": "positive",
        "meeting_id": str(meeting),
        "agenda_item_id": str(item),
    }

    before = await _snapshot(db, uni)
    cases = [
        ("author", ok, 403, None),  # an author cannot conclude on their own document
        ("dep_chair", ok, 403, None),  # another body's chair
        ("head", {**ok}, 403, None),
        ("cc_chair", {**ok, "stage_id": department["id"]}, 409, "stage_id"),  # out of order
        ("cc_chair", {**ok, "stage_id": str(uuid.uuid4())}, 404, "stage_id"),
        ("cc_chair", {**ok, "version_id": str(uuid.uuid4())}, 409, "version_id"),
        ("cc_chair", {**ok, "meeting_id": None, "agenda_item_id": None}, 422, "meeting_id"),
        ("cc_chair", {**ok, "agenda_item_id": str(uni.meetings["org_council"][1])}, 422, "agenda_item_id"),
        ("cc_chair", {**ok, "outcome": "return"}, 422, "remarks"),
        ("cc_chair", {**ok, "outcome": "maybe"}, 400, "outcome"),
    ]
    for who, body, status, field in cases:
        r = await api.decide(who, doc["id"], **body)
        assert r.status_code == status, (who, body, r.text)
        assert r.json()["message"]
        if field:
            assert r.json()["field"] == field, r.text
    # No Idempotency-Key: refused.
    r = await api.call("cc_chair", "POST", f"/documents/{doc['id']}/decisions", json=ok)
    assert r.status_code == 400 and r.json()["field"] == "Idempotency-Key"
    assert await _snapshot(db, uni) == before

    # A double click: one decision, the same answer twice; the key reused for another body: 422.
    first = await api.decide("cc_chair", doc["id"], key="click-1", **ok)
    again = await api.decide("cc_chair", doc["id"], key="click-1", **ok)
    assert first.status_code == 201 and again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await api.decide("cc_chair", doc["id"], key="click-1", **{**ok, "remarks": "changed"})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert await w.count(db, uni.schema, ReviewDecision, ReviewDecision.idempotency_key == "click-1") == 1
    # The stage is decided: a second conclusion names who decided.
    late = await api.decide("cc_secretary", doc["id"], **ok)
    assert late.status_code == 409 and uni["cc_chair"].name in late.json()["message"]

    # The submitted version is locked: its note cannot change, it cannot be submitted again.
    r = await api.call("author", "PATCH", f"/documents/{doc['id']}/versions/{v1['id']}", json={"change_note": "x"})
    assert r.status_code == 409 and "locked" in r.json()["message"]
    r = await api.submit("author", doc["id"], v1["id"])
    assert r.status_code == 409 and "locked" in r.json()["message"]
    # While under review a new version waits; it cannot be submitted over the current one.
    v2 = (await api.upload("author", doc["id"], w.pdf("g2"), "g2.pdf", note="typo")).json()
    r = await api.submit("author", doc["id"], v2["id"])
    assert r.status_code == 409 and r.json()["field"] == "version_id"
    # Only authors submit.
    r = await api.submit("outsider", doc["id"], v2["id"])
    assert r.status_code == 404


async def test_route_adjustments_within_the_clause(api: Api, uni: w.World) -> None:
    base = "/review-routes/working_curriculum"
    route = (await api.call("admin", "GET", base)).json()
    assert route["clause"] == "19" and not route["customised"]
    stages = route["stages"]
    # Not the admin: refused by the route's role.
    assert (await api.call("author", "PUT", base, json={"stages": stages})).status_code == 403
    # The all-councils stage cannot be dropped (cl. 19), nor the final approval moved or dropped.
    r = await api.call("admin", "PUT", base, json={"stages": [s for s in stages if s["selector"] != "all_councils"]})
    assert r.status_code == 422 and r.json()["clause"] == "19"
    r = await api.call("admin", "PUT", base, json={"stages": stages[:-1]})
    assert r.status_code == 422 and r.json()["clause"] == "19" and "approval" in r.json()["message"]
    r = await api.call("admin", "PUT", base, json={"stages": [stages[-1], *stages[:-1]]})
    assert r.status_code == 422
    # Cl. 19 names the head: a deputy head may not be made the approver.
    r = await api.call(
        "admin", "PUT", base, json={"stages": [*stages[:-1], {**stages[-1], "approver_roles": ["deputy_head"]}]}
    )
    assert r.status_code == 422 and r.json()["field"].endswith("approver_roles")
    # Allowed: drop the office, put the department before the commission, longer due time.
    reordered = [stages[1], stages[0], stages[2], {**stages[4], "due_days": 30}, stages[5]]
    r = await api.call("admin", "PUT", base, json={"stages": reordered})
    assert r.status_code == 200 and r.json()["customised"], r.text
    assert [s["selector"] for s in r.json()["stages"]] == [
        "department",
        "commission",
        "unit_councils",
        "all_councils",
        "approval",
    ]
    # Cl. 18 lets the organisation choose the head alone.
    other = (await api.call("admin", "GET", "/review-routes/other")).json()["stages"]
    r = await api.call(
        "admin",
        "PUT",
        "/review-routes/other",
        json={"stages": [*other[:-1], {**other[-1], "approver_roles": ["head"]}]},
    )
    assert r.status_code == 200 and r.json()["stages"][-1]["approver_roles"] == ["head"]
    # A named body of another kind than the clause names is refused; an unknown body too.
    r = await api.call(
        "admin",
        "PUT",
        "/review-routes/other",
        json={"stages": [{"selector": "body", "body_kind": "council", "body_id": str(uuid.uuid4())}, other[-1]]},
    )
    assert r.status_code == 422 and r.json()["field"] == "stages[0].body_id"
    # Reset to the clause's default.
    r = await api.call("admin", "DELETE", base)
    assert r.status_code == 200 and not r.json()["customised"] and len(r.json()["stages"]) == 6
    assert (await api.call("admin", "DELETE", "/review-routes/other")).status_code == 200


async def test_one_rule_for_authors_whoever_creates_the_document(app: Any, api: Api, db: Any, uni: w.World) -> None:
    """Cl. 18-21: documents are developed by teachers and units, who answer the reviewers. Every
    document names at least one author on the staff: an administrator without a staff record is
    refused exactly as anyone else who names none, and nothing is written."""
    import httpx

    from api.access import Grant
    from api.domain.documents.models import Document
    from api.roles import Role
    from tests.identity.access.principals import new_user, session_cookie

    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=uni.org_id)], name="Admin Without Staff")
    headers = await session_cookie(app.api, db, admin)
    before = await w.count(db, uni.schema, Document)
    unit = str(uni.units["department"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        for payload in ({}, {"unit_id": unit}, {"author_staff_ids": []}):
            refused = await http.post(
                f"{api.base}/documents", headers=headers, json={"kind": "guidelines", "title": "Authorless", **payload}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == "author_staff_ids"
        assert await w.count(db, uni.schema, Document) == before
        named = await http.post(
            f"{api.base}/documents",
            headers=headers,
            json={
                "kind": "guidelines",
                "title": "On behalf of a teacher",
                "unit_id": unit,
                "author_staff_ids": [str(uni["author"].staff_id)],
            },
        )
        assert named.status_code == 201 and named.json()["author_staff_ids"] == [str(uni["author"].staff_id)]
    # A teacher naming no one is the author; with a unit named, the same.
    mine = await api.create("author", kind="guidelines", title="Mine", unit_id=unit)
    assert mine["author_staff_ids"] == [str(uni["author"].staff_id)]
    # And no one may take the last author off a document.
    emptied = await api.call("author", "PATCH", f"/documents/{mine['id']}", json={"author_staff_ids": []})
    assert emptied.status_code == 422 and emptied.json()["field"] == "author_staff_ids"
