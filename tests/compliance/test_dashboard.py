"""The rollups behind the dashboards, and the dashboards over the API: figures per territory that
are always the sum of the findings, drill-down, filters, the trend, export, and access by reach."""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select, update

from api.access import Grant
from api.clock import today
from api.domain.bodies.models import Council
from api.domain.compliance import rollups
from api.domain.compliance.engine import recompute
from api.domain.compliance.jobs import close_the_day
from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding, ComplianceRollup
from api.domain.organisations.models import Organisation
from api.domain.structure.models import Staff, StaffSubject, Subject
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from api.identity.reach import forget_territory_trees
from tests.compliance.test_api import client_for, school_in
from tests.identity.access.principals import republic_id, token_secret

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class Place:
    region: UUID
    districts: tuple[UUID, UUID]
    schools: tuple[Organisation, Organisation, Organisation]


@pytest.fixture(scope="module")
async def place(app: object, db: Any) -> Place:
    """A region of its own with two districts and three schools, so that the figures compared
    here are only what these tests change."""
    tag = uuid.uuid4().hex[:8]
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.upsert(
            slug=f"dash-region-{tag}",
            kind=TerritoryKind.REGION,
            parent_id=await republic_id(db),
            name_kk="Бақылау облысы",
            name_ru="Контрольная область",
            name_en="Dashboard Region",
        )
        districts = tuple(
            [
                await territories.upsert(
                    slug=f"dash-{n}-{tag}",
                    kind=TerritoryKind.DISTRICT,
                    parent_id=region,
                    name_kk=f"Аудан {n}",
                    name_ru=f"Район {n}",
                    name_en=f"District {n}",
                )
                for n in (1, 2)
            ]
        )
    forget_territory_trees()  # the server's tree is cached for minutes; these territories are new
    schools = (
        await school_in(db, districts[0], "Dashboard School 1"),
        await school_in(db, districts[0], "Dashboard School 2"),
        await school_in(db, districts[1], "Dashboard School 3"),
    )
    for school in schools:
        await recompute(db, school.id)
    return Place(region, districts, schools)  # type: ignore[arg-type]


def _territories(p: Place) -> set[UUID]:
    return {p.region, *p.districts}


async def rollup_rows(db: Any, territories: set[UUID]) -> dict[tuple[UUID, str, str], tuple[int, int, int]]:
    async with db.session() as session:
        rows = (
            await session.scalars(select(ComplianceRollup).where(ComplianceRollup.territory_id.in_(territories)))
        ).all()
    return {
        (r.territory_id, r.kind, r.clause): (r.organisations, r.compliant, r.findings)
        for r in rows
        if r.organisations or r.findings
    }


async def expected_rows(db: Any, territories: set[UUID]) -> dict[tuple[UUID, str, str], tuple[int, int, int]]:
    """The same figures counted from scratch: the findings of the active, checked organisations."""
    async with db.session() as session:
        orgs = (
            await session.execute(
                select(Organisation.id, Organisation.territory_id, Organisation.kind)
                .join(ComplianceCheckRun, ComplianceCheckRun.organisation_id == Organisation.id)
                .where(
                    Organisation.territory_id.in_(territories),
                    Organisation.status == "active",
                    ComplianceCheckRun.rule_set.is_not(None),
                )
            )
        ).all()
        findings = (
            await session.execute(
                select(ComplianceFinding.organisation_id, ComplianceFinding.clause).where(
                    ComplianceFinding.organisation_id.in_([o[0] for o in orgs])
                )
            )
        ).all()
    per_org: dict[UUID, Counter[str]] = defaultdict(Counter)
    for organisation_id, clause in findings:
        per_org[organisation_id][clause] += 1
    out: dict[tuple[UUID, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for organisation_id, territory_id, kind in orgs:
        counts = per_org[organisation_id]
        total = out[(territory_id, kind, "")]
        total[0] += 1
        total[1] += int(not counts)
        total[2] += sum(counts.values())
        for clause, n in counts.items():
            out[(territory_id, kind, clause)][0] += 1
            out[(territory_id, kind, clause)][2] += n
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


async def _add_fact(db: Any, org: Organisation, fact: str) -> None:
    async with db.tenant_context(org.schema_name) as session:
        tag = uuid.uuid4().hex[:6]
        if fact in ("pedagogical", "methodological"):  # one live council of a kind: set up, or wound up
            live = await session.scalar(select(Council).where(Council.kind == fact, Council.archived_at.is_(None)))
            if live is None:
                session.add(Council(name=f"{fact} council {tag}", kind=fact))
            else:
                live.archived_at = datetime.datetime.now(datetime.UTC)
        else:  # a subject of three teachers, without an association (cl. 26)
            subject = Subject(code=f"dash-{tag}", name_kk="Химия", name_ru="Химия", name_en="Chemistry")
            people = [Staff(full_name=f"Teacher {tag} {n}", positions=["teacher"]) for n in range(3)]
            session.add_all([subject, *people])
            await session.flush()
            session.add_all([StaffSubject(staff_id=p.id, subject_id=subject.id) for p in people])


step = st.one_of(
    st.tuples(st.just("recompute"), st.integers(0, 2)),
    st.tuples(st.just("move"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("status"), st.integers(0, 2), st.sampled_from(["active", "suspended"])),
    st.tuples(st.just("fact"), st.integers(0, 2), st.sampled_from(["pedagogical", "methodological", "subject"])),
    st.tuples(st.just("rebuild")),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=3, max_size=10))
async def test_rollups_are_the_sum_of_the_findings_after_random_changes(
    db: Any, place: Place, steps: list[Any]
) -> None:
    homes = [place.region, *place.districts]
    for action in steps:
        if action[0] == "rebuild":
            async with db.session() as session, session.begin():
                await rollups.rebuild(session)
        else:
            org = place.schools[action[1]]
            if action[0] == "move":
                async with db.session() as session, session.begin():
                    await session.execute(
                        update(Organisation).where(Organisation.id == org.id).values(territory_id=homes[action[2]])
                    )
            elif action[0] == "status":
                async with db.session() as session, session.begin():
                    await session.execute(
                        update(Organisation).where(Organisation.id == org.id).values(status=action[2])
                    )
            elif action[0] == "fact":
                await _add_fact(db, org, action[2])
            await recompute(db, org.id)
        assert await rollup_rows(db, _territories(place)) == await expected_rows(db, _territories(place)), action
    # Leave the schools active where they started, for the tests that follow.
    async with db.session() as session, session.begin():
        for org in place.schools:
            await session.execute(
                update(Organisation)
                .where(Organisation.id == org.id)
                .values(territory_id=org.territory_id, status="active")
            )
    for org in place.schools:
        await recompute(db, org.id)


async def test_the_dashboard_drills_down_with_figures_from_the_rollups(app: object, db: Any, place: Place) -> None:
    expected = await expected_rows(db, _territories(place))

    def summed(territories: set[UUID], clause: str = "") -> tuple[int, int, int]:
        rows = [v for (t, _k, c), v in expected.items() if t in territories and c == clause]
        return sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows)

    secret = await token_secret(db, Grant("national_admin", territory_id=await republic_id(db)), name="national")
    async with client_for(app, secret) as c:
        republic = (await c.get("/api/compliance/dashboard")).json()
        assert republic["territory"]["level"] == "republic" and republic["path"] == [republic["territory"]]
        ours = next(x for x in republic["children"] if x["territory"]["id"] == str(place.region))
        assert (ours["figures"]["organisations"], ours["figures"]["compliant"], ours["figures"]["findings"]) == summed(
            _territories(place)
        )
        assert republic["totals"]["organisations"] >= 3 and republic["rule_set"] == "order-583"
        assert "583" in republic["rule_set_title"]["ru"] and republic["rule_set_title"]["kk"]

        region = (await c.get("/api/compliance/dashboard", params={"territory_id": str(place.region)})).json()
        assert [t["id"] for t in region["path"]][-1] == str(place.region) and region["path"][0]["level"] == "republic"
        by_id = {x["territory"]["id"]: x["figures"] for x in region["children"]}
        assert set(by_id) == {str(d) for d in place.districts}
        for district in place.districts:
            f = by_id[str(district)]
            assert (f["organisations"], f["compliant"], f["findings"]) == summed({district})
        assert (region["totals"]["organisations"], region["totals"]["findings"]) == summed(_territories(place))[::2]
        clauses = {x["clause"]: x for x in region["by_clause"]}
        assert {"7", "14", "25", "26", "29", "32"} <= set(clauses)
        assert (
            clauses["32"]["statement"]["ru"] and clauses["14"]["organisations"] == summed(_territories(place), "14")[0]
        )

        # Under a clause: findings are that clause's, compliant those without findings under it.
        only_14 = (
            await c.get("/api/compliance/dashboard", params={"territory_id": str(place.region), "clause": "14"})
        ).json()
        checked, _, found_14 = summed(_territories(place), "14")
        assert only_14["totals"] == {
            "organisations": summed(_territories(place))[0],
            "compliant": summed(_territories(place))[0] - checked,
            "findings": found_14,
        }
        colleges = (
            await c.get("/api/compliance/dashboard", params={"territory_id": str(place.region), "kind": "college"})
        ).json()
        assert colleges["totals"] == {"organisations": 0, "compliant": 0, "findings": 0}
        assert [k["kind"] for k in region["by_kind"]] == ["school"]

        # Drill down to the organisations of a district, worst first, then to one's findings.
        listed = (await c.get("/api/compliance/organisations", params={"territory_id": str(place.districts[0])})).json()
        assert {o["organisation_id"] for o in listed["items"]} == {str(place.schools[0].id), str(place.schools[1].id)}
        assert [o["findings"] for o in listed["items"]] == sorted(
            (o["findings"] for o in listed["items"]), reverse=True
        )
        worst = listed["items"][0]
        assert sum(worst["by_clause"].values()) == worst["findings"]
        own = (
            await c.get(f"/api/organisations/{worst['organisation_id']}/compliance/findings", params={"page_size": 200})
        ).json()
        assert own["total"] == worst["findings"] and all(f["web_path"] or f["api_path"] for f in own["items"])

        for bad, field in (
            ({"clause": "x"}, "clause"),
            ({"kind": "castle"}, "kind"),
            ({"territory_id": "nope"}, "territory_id"),
        ):
            answer = await c.get("/api/compliance/dashboard", params=bad)
            assert answer.status_code == 400 and answer.json()["field"] == field, answer.text
        unknown = await c.get("/api/compliance/dashboard", params={"territory_id": str(uuid.uuid4())})
        assert unknown.status_code == 404 and unknown.json()["field"] == "territory_id"


async def test_each_cabinet_sees_its_own_territory(app: object, db: Any, place: Place) -> None:
    district_methodist = await token_secret(
        db, Grant("district_methodist", territory_id=place.districts[1]), name="dm 2"
    )
    async with client_for(app, district_methodist) as c:
        own = (await c.get("/api/compliance/dashboard")).json()
        assert own["territory"]["id"] == str(place.districts[1]) and own["children"] == []
        assert own["placed_here"]["organisations"] == own["totals"]["organisations"] == 1
        above = await c.get("/api/compliance/dashboard", params={"territory_id": str(place.region)})
        assert above.status_code == 403 and above.json()["field"] == "territory_id"
        beside = await c.get("/api/compliance/organisations", params={"territory_id": str(place.districts[0])})
        assert beside.status_code == 403
        listed = (await c.get("/api/compliance/organisations")).json()
        assert [o["organisation_id"] for o in listed["items"]] == [str(place.schools[2].id)]
    regional = await token_secret(db, Grant("regional_methodist", territory_id=place.region), name="rm")
    async with client_for(app, regional) as c:
        assert (await c.get("/api/compliance/dashboard")).json()["territory"]["id"] == str(place.region)
    head = await token_secret(db, Grant("head", organisation_id=place.schools[0].id), name="head")
    async with client_for(app, head) as c:
        answer = await c.get("/api/compliance/dashboard")
        assert answer.status_code == 403


async def test_the_trend_has_a_point_a_day(app: object, db: Any, place: Place) -> None:
    async with db.session() as session, session.begin():
        await rollups.snapshot(session, today() - datetime.timedelta(days=3))
    await close_the_day(db)  # today's snapshot: the trend shows today's live figures instead
    secret = await token_secret(db, Grant("regional_admin", territory_id=place.region), name="ra")
    async with client_for(app, secret) as c:
        board = (await c.get("/api/compliance/dashboard")).json()
    days = [p["day"] for p in board["trend"]]
    assert (
        days == sorted(days)
        and days[-1] == today().isoformat()
        and (today() - datetime.timedelta(days=3)).isoformat() in days
    )
    live = board["trend"][-1]
    assert (live["organisations"], live["compliant"], live["findings"]) == tuple(board["totals"].values())


async def test_export_of_the_current_view(app: object, db: Any, place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = await token_secret(db, Grant("regional_methodist", territory_id=place.region), name="rm export")
    async with client_for(app, secret) as c:
        board = (await c.get("/api/compliance/dashboard")).json()
        as_csv = await c.get("/api/compliance/export/csv", headers={"accept-language": "ru"})
        assert as_csv.status_code == 200 and as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in as_csv.headers["content-disposition"]
        table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
        assert table[0][0] == "Территория"
        assert {r[0] for r in table[1:-1]} == {"Район 1", "Район 2"} and int(table[-1][2]) == board["totals"][
            "organisations"
        ]

        as_xlsx = await c.get("/api/compliance/export/xlsx", params={"view": "findings", "clause": "32"})
        sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:2] == ("Organisation", "Clause")
        found_32 = (await c.get("/api/compliance/dashboard", params={"clause": "32"})).json()["totals"]["findings"]
        assert len(rows) - 1 == found_32 and all(r[1] == "32" for r in rows[1:])

        organisations = await c.get("/api/compliance/export/csv", params={"view": "organisations"})
        listed = list(csv.reader(io.StringIO(organisations.content.decode("utf-8-sig")), delimiter=";"))
        assert len(listed) - 1 == 3

        bad = await c.get("/api/compliance/export/xlsx", params={"view": "everything"})
        assert bad.status_code == 400 and bad.json()["field"] == "view"

        # A view too large for a file is refused with what to do, not cut short.
        monkeypatch.setattr("api.domain.compliance.export.MAX_ROWS", 2)
        too_many = await c.get("/api/compliance/export/csv", params={"view": "organisations"})
        assert too_many.status_code == 422 and too_many.json()["field"] == "territory_id"
        assert "narrow it" in too_many.json()["message"]
