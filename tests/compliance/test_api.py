"""Findings over the API: recomputed in the background after a change, read per organisation and
across the caller's reach, with access as everywhere."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from api.access import Grant
from api.domain.compliance.jobs import WINDOW_S, enqueue_recompute, job_key
from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from tests.identity.access.principals import bearer, token_secret
from tests.support import fresh_bin
from tests.work.helpers import work_district


async def other_district(db: Any) -> UUID:
    async with db.session() as session, session.begin():
        region = await TerritoryService(session).by_slug("karaganda")
        return await TerritoryService(session).upsert(
            slug="compliance-other-district",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Басқа аудан",
            name_ru="Другой район",
            name_en="Other District",
        )


async def school_in(db: Any, district: UUID, name: str) -> Organisation:
    from api.domain.organisations.provisioning import provision_organisation

    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.SCHOOL,
                territory_id=district,
                bin=fresh_bin(),
                name_kk=name,
                name_ru=name,
                name_en=name,
                levels=[EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY],
            )
        )
    assert await provision_organisation(db, org.id) == "active"
    async with db.session() as session:
        found = await session.get(Organisation, org.id)
    assert found is not None
    return found


def client_for(app: object, secret: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=bearer(secret)
    )  # type: ignore[arg-type]


async def wait_for(db: Any, org_id: UUID, predicate: Any, timeout: float = 40.0) -> list[ComplianceFinding]:
    deadline = time.monotonic() + timeout
    while True:
        async with db.session() as session:
            rows = list(
                (
                    await session.scalars(select(ComplianceFinding).where(ComplianceFinding.organisation_id == org_id))
                ).all()
            )
        if predicate(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"findings of {org_id} did not come: {[(r.clause, r.subject_name) for r in rows]}")
        await asyncio.sleep(0.25)


@pytest.fixture(scope="module")
async def schools(app: object, db: Any) -> tuple[Organisation, Organisation]:
    return await school_in(db, await work_district(db), "Findings School A"), await school_in(
        db, await other_district(db), "Findings School B"
    )


async def test_a_change_is_recomputed_in_the_background(
    app: object, db: Any, client: httpx.AsyncClient, schools: Any
) -> None:
    """Cl. 29: an association recorded over the API has no approved plan; within seconds (one
    coalescing window and the job) its finding is stored, with links to the record."""
    school, _ = schools
    started = time.monotonic()
    created = await client.post(
        f"/api/organisations/{school.id}/associations", json={"name": "Geography teachers", "kind": "class_teachers"}
    )
    assert created.status_code == 201, created.text
    association_id = created.json()["id"]
    rows = await wait_for(db, school.id, lambda rows: any(str(r.subject_id) == association_id for r in rows))
    staleness = time.monotonic() - started
    assert staleness < 30, staleness
    mine = [r for r in rows if str(r.subject_id) == association_id]
    assert {r.clause for r in mine} >= {"29", "30"}
    plan = next(r for r in mine if r.clause == "29")
    assert plan.rule_set == "order-583" and plan.web_path == f"/organisations/{school.id}/associations/{association_id}"
    assert plan.todo["ru"] and plan.todo["kk"] and plan.todo["en"] and "Geography teachers" in plan.problem["en"]
    # The organisation-level findings of a bare school: no deputy head, no methodological council.
    assert {"14", "32"} <= {r.clause for r in rows}
    async with db.session() as session:
        run = await session.scalar(select(ComplianceCheckRun).where(ComplianceCheckRun.organisation_id == school.id))
    assert run is not None and run.rule_set == "order-583" and run.findings == len(rows) and "25" in run.clauses_checked


async def test_recompute_jobs_are_coalesced_per_organisation(app: object, schools: Any) -> None:
    school, other = schools
    key, scheduled = job_key(school.id, 1000.0)
    assert job_key(school.id, 1000.0 + WINDOW_S - 0.01) == (key, scheduled) and scheduled == 1000 + WINDOW_S
    assert job_key(school.id, 1000.0 + WINDOW_S)[0] != key and job_key(other.id, 1000.0)[0] != key
    # Two changes in one window make one pending job; the second enqueue is ignored.
    while time.time() % WINDOW_S > WINDOW_S - 1:
        await asyncio.sleep(0.2)
    jobs_queue = _queue_of(app)
    first = await enqueue_recompute(jobs_queue, other.id)
    second = await enqueue_recompute(jobs_queue, other.id)
    assert first is not None and second is None


def _queue_of(app: Any) -> Any:
    return app.api.state.jobs.queue  # the single-process app's API half (api.asgi.Dispatcher)


async def test_access_to_one_organisations_findings(app: object, db: Any, schools: Any) -> None:
    school, other = schools
    district = await work_district(db)
    callers = {
        "head": (Grant("head", organisation_id=school.id), 200),
        "deputy": (Grant("deputy_head", organisation_id=school.id), 200),
        "admin": (Grant("organisation_admin", organisation_id=school.id), 200),
        "methodist in reach": (Grant("district_methodist", territory_id=district), 200),
        "teacher": (Grant("teacher", organisation_id=school.id), 403),
        "association leader": (Grant("association_leader", organisation_id=school.id), 403),
        "head elsewhere": (Grant("head", organisation_id=other.id), 404),
        "methodist out of reach": (Grant("district_methodist", territory_id=await other_district(db)), 404),
    }
    for name, (grant, status) in callers.items():
        async with client_for(app, await token_secret(db, grant, name=name)) as c:
            answer = await c.get(f"/api/organisations/{school.id}/compliance/findings")
        assert answer.status_code == status, (name, answer.text)
        if status == 200:
            body = answer.json()
            assert body["organisation_id"] == str(school.id) and all(
                f["organisation_id"] == str(school.id) for f in body["items"]
            )
        else:
            assert set(answer.json()) >= {"status", "message"}


async def test_the_list_across_reach(app: object, db: Any, schools: Any) -> None:
    from api.domain.compliance.engine import recompute

    school, other = schools
    await recompute(db, school.id)
    await recompute(db, other.id)
    district = await work_district(db)
    async with client_for(
        app, await token_secret(db, Grant("district_methodist", territory_id=district), name="dm")
    ) as c:
        page = (await c.get("/api/compliance/findings", params={"page_size": 200})).json()
        orgs = {i["finding"]["organisation_id"] for i in page["items"]}
        assert str(school.id) in orgs and str(other.id) not in orgs
        only_32 = (await c.get("/api/compliance/findings", params={"clause": "32"})).json()
        assert only_32["items"] and {i["finding"]["clause"] for i in only_32["items"]} == {"32"}
        bad = await c.get("/api/compliance/findings", params={"clause": "x; drop"})
        assert bad.status_code == 400 and bad.json()["field"] == "clause"
        too_far = await c.get("/api/compliance/findings", params={"page": 10**9})
        assert too_far.status_code == 400
    async with client_for(app, await token_secret(db, Grant("head", organisation_id=other.id), name="head b")) as c:
        page = (await c.get("/api/compliance/findings", params={"page_size": 200})).json()
        assert {i["finding"]["organisation_id"] for i in page["items"]} == {str(other.id)}
    async with client_for(
        app, await token_secret(db, Grant("teacher", organisation_id=school.id), name="teacher a")
    ) as c:
        assert (await c.get("/api/compliance/findings")).status_code == 403
    # Paging: pages partition the list.
    async with client_for(app, await token_secret(db, Grant("head", organisation_id=school.id), name="head a")) as c:
        whole = (await c.get(f"/api/organisations/{school.id}/compliance/findings", params={"page_size": 200})).json()
        first = (await c.get(f"/api/organisations/{school.id}/compliance/findings", params={"page_size": 2})).json()
        second = (
            await c.get(f"/api/organisations/{school.id}/compliance/findings", params={"page_size": 2, "page": 2})
        ).json()
    assert whole["total"] >= 3 and first["total"] == whole["total"]
    assert [f["id"] for f in first["items"] + second["items"]] == [f["id"] for f in whole["items"][:4]]


async def test_a_new_organisation_is_checked_once_provisioned(app: object, db: Any, client: httpx.AsyncClient) -> None:
    """Registered over the API, provisioned by the worker, then checked: its check run appears."""
    from tests.support import school_payload, wait_for_status

    created = await client.post("/api/organisations", json=school_payload(str(await work_district(db))))
    assert created.status_code == 202, created.text
    org_id = created.json()["id"]
    await wait_for_status(client, org_id, {"active"})
    deadline = time.monotonic() + 40
    while True:
        async with db.session() as session:
            run = await session.scalar(
                select(ComplianceCheckRun).where(ComplianceCheckRun.organisation_id == UUID(org_id))
            )
        if run is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    assert run is not None and run.rule_set == "order-583" and run.findings >= 2  # no deputy head, no council


async def test_since_is_kept_across_recomputes(app: object, db: Any, schools: Any) -> None:
    """A finding the check cannot date (no deputy head) is dated by the day it was first found."""
    import datetime

    from api.domain.compliance.engine import recompute

    school, _ = schools
    first_day = datetime.date.today() - datetime.timedelta(days=3)
    async with db.session() as session, session.begin():
        await session.execute(
            ComplianceFinding.__table__.delete().where(ComplianceFinding.organisation_id == school.id)
        )
    await recompute(db, school.id, first_day)
    await recompute(db, school.id)
    async with db.session() as session:
        deputy = await session.scalar(
            select(ComplianceFinding).where(
                ComplianceFinding.organisation_id == school.id, ComplianceFinding.check == "deputy_head"
            )
        )
    assert deputy is not None and deputy.since == first_day


async def test_simultaneous_recomputes_leave_one_set_of_findings(app: object, db: Any, schools: Any) -> None:
    from api.domain.compliance.engine import recompute

    school, _ = schools
    outcomes = await asyncio.gather(*(recompute(db, school.id) for _ in range(4)))
    async with db.session() as session:
        keys = (
            await session.scalars(select(ComplianceFinding.key).where(ComplianceFinding.organisation_id == school.id))
        ).all()
    assert len(keys) == len(set(keys)) == outcomes[0].findings
