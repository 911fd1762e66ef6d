"""Compliance at national scale: the dashboards from the rollups against the same figures counted
from the findings at read time, a full recompute, and staleness from a change to the dashboard.

    DATABASE_URL=… REDIS_URL=… python bench/compliance.py [--orgs 10000] [--real 100] [--requests 200]

`--orgs` organisations are made directly as facts (organisation rows, check runs, findings, then the
rollups rebuilt), spread over every region of the territory list and ten districts in each. The
dashboard is asked through the API in process (a national admin's token), at the republic, one
region and one district; the naive figure is the same dashboard counted at read time from the
findings of every organisation under the territory, which is what it would cost without rollups
(reading the tenant schemas instead would cost a recompute of each: see recompute_orgs_per_s).
`--real` schools are provisioned for real and checked one after another as the nightly pass does.
Staleness: an association recorded over the API at one of them, until its district's dashboard
counts its findings (the in-process worker, Redis, the coalescing window). Needs REDIS_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import defaultdict
from typing import Any

from common import (
    bench_settings,
    git_revision,
    machine,
    next_bin,
    open_database,
    run,
    say,
    server_version,
    throwaway_database,
)

CLAUSES = ["7", "14", "18", "19", "20", "25", "26", "29", "30", "32"]
KINDS = ["school"] * 8 + ["college", "university"]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


async def make_places(db: Any) -> tuple[Any, list[Any], list[Any]]:
    """The republic, its regions, and ten districts in each region."""
    from sqlalchemy import select

    from api.domain.territories.models import Territory, TerritoryKind
    from api.domain.territories.services import TerritoryService

    async with db.session() as session, session.begin():
        republic = await session.scalar(select(Territory).where(Territory.parent_id.is_(None)))
        regions = list((await session.scalars(select(Territory).where(Territory.parent_id == republic.id))).all())
        territories = TerritoryService(session)
        districts = []
        for region in regions:
            for n in range(10):
                districts.append(
                    await territories.upsert(
                        slug=f"bench-{region.slug}-{n}",
                        kind=TerritoryKind.DISTRICT,
                        parent_id=region.id,
                        name_kk=f"Аудан {n}",
                        name_ru=f"Район {n}",
                        name_en=f"District {n}",
                    )
                )
    return republic.id, [r.id for r in regions], districts


async def make_facts(db: Any, count: int, districts: list[Any], rng: random.Random) -> int:
    """Organisations, their check runs and findings, as rows; then the rollups from them."""
    import datetime

    from sqlalchemy import insert

    from api.clock import today
    from api.domain.compliance import rollups
    from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding
    from api.domain.organisations.models import Organisation

    now = datetime.datetime.now(datetime.UTC)
    on = today()
    orgs, runs, findings = [], [], []
    for n in range(count):
        org_id, territory, kind = uuid.uuid4(), rng.choice(districts), rng.choice(KINDS)
        orgs.append(
            {
                "id": org_id,
                "kind": kind,
                "levels": [],
                "territory_id": territory,
                "bin": next_bin(),
                "name_kk": f"Ұйым {n}",
                "name_ru": f"Организация {n}",
                "name_en": f"Organisation {n}",
                "schema_name": f"t_bench_{n:06d}",
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
        )
        mine = [] if rng.random() < 0.3 else rng.choices(CLAUSES, k=rng.randint(1, 12))
        for i, clause in enumerate(mine):
            findings.append(
                {
                    "id": uuid.uuid4(),
                    "organisation_id": org_id,
                    "rule_set": "order-583",
                    "clause": clause,
                    "check": "bench",
                    "key": f"bench|{clause}|{i}",
                    "subject_kind": "organisation",
                    "subject_name": f"Организация {n}",
                    "since": on,
                    "problem": {"kk": "-", "ru": "-", "en": "-"},
                    "todo": {"kk": "-", "ru": "-", "en": "-"},
                    "evidence": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )
        runs.append(
            {
                "id": uuid.uuid4(),
                "organisation_id": org_id,
                "rule_set": "order-583",
                "checked_on": on,
                "checked_at": now,
                "findings": len(mine),
                "clauses_checked": CLAUSES,
                "counted": True,
                "territory_id": territory,
                "kind": kind,
                "by_clause": rollups.by_clause(mine),
                "created_at": now,
                "updated_at": now,
            }
        )
    async with db.session() as session, session.begin():
        for table, rows in ((Organisation, orgs), (ComplianceCheckRun, runs), (ComplianceFinding, findings)):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])
        await rollups.rebuild(session)
    return len(findings)


async def naive_dashboard(db: Any, tree: Any, territory_id: Any) -> dict[Any, list[int]]:
    """The dashboard's territory table counted from the findings at read time."""
    from sqlalchemy import func, select

    from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding
    from api.domain.organisations.models import Organisation

    bucket_of = {territory_id: territory_id}
    for child in tree.children.get(territory_id, ()):
        for below in tree.descendants(child):
            bucket_of[below] = child
    async with db.session() as session:
        checked = (
            await session.execute(
                select(Organisation.territory_id, func.count(), func.count().filter(ComplianceCheckRun.findings == 0))
                .join(ComplianceCheckRun, ComplianceCheckRun.organisation_id == Organisation.id)
                .where(
                    Organisation.territory_id.in_(bucket_of),
                    Organisation.status == "active",
                    ComplianceCheckRun.rule_set.is_not(None),
                )
                .group_by(Organisation.territory_id)
            )
        ).all()
        found = (
            await session.execute(
                select(
                    Organisation.territory_id,
                    ComplianceFinding.clause,
                    func.count(),
                    func.count(func.distinct(Organisation.id)),
                )
                .join(Organisation, Organisation.id == ComplianceFinding.organisation_id)
                .where(Organisation.territory_id.in_(bucket_of), Organisation.status == "active")
                .group_by(Organisation.territory_id, ComplianceFinding.clause)
            )
        ).all()
    out: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    for t, n, ok in checked:
        out[bucket_of[t]][0] += n
        out[bucket_of[t]][1] += ok
    for t, _clause, n, _orgs in found:
        out[bucket_of[t]][2] += n
    return out


async def timed(samples: int, call: Any) -> list[float]:
    took = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        took.append(time.perf_counter() - started)
    return took


async def real_schools(db: Any, district: Any, count: int) -> list[Any]:
    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.rules import EducationLevel, OrgKind
    from api.domain.organisations.schemas import OrganisationCreate
    from api.domain.organisations.services import OrganisationService

    gate = asyncio.Semaphore(4)

    async def one(n: int) -> Any:
        async with gate:
            async with db.session() as session, session.begin():
                org = await OrganisationService(session).create(
                    OrganisationCreate(
                        kind=OrgKind.SCHOOL,
                        territory_id=district,
                        bin=next_bin(),
                        name_kk=f"Мектеп {n}",
                        name_ru=f"Школа {n}",
                        name_en=f"School {n}",
                        levels=[EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY],
                    )
                )
            assert await provision_organisation(db, org.id) == "active"
            return org.id

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def main(args: argparse.Namespace) -> None:
    import httpx

    from api.access import Grant
    from api.asgi import create_app
    from api.domain.compliance.engine import ensure_default_rule_set, recompute
    from api.identity.reach import territory_tree
    from tests.identity.access.principals import token_secret
    from tests.support import AsgiLifespan

    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is needed: staleness is measured through the worker's queue")
    rng = random.Random(583)
    with throwaway_database() as url:
        settings = bench_settings(url, redis_url=os.environ["REDIS_URL"], tenant_spares=0, periodic_jobs=False)
        db = await open_database(url, settings)
        try:
            say(machine())
            say(f"{server_version(url)}, revision {git_revision()}")
            await ensure_default_rule_set(db)
            republic, regions, districts = await make_places(db)
            started = time.perf_counter()
            made = await make_facts(db, args.orgs, districts, rng)
            say(
                f"{args.orgs} organisations with {made} findings made as facts, rollups rebuilt: "
                f"{time.perf_counter() - started:.1f}s"
            )

            real_district = districts[0]
            started = time.perf_counter()
            schools = await real_schools(db, real_district, args.real)
            say(f"{args.real} schools provisioned for real: {time.perf_counter() - started:.1f}s")
            started = time.perf_counter()
            for organisation_id in schools:  # one after another, as the nightly pass does
                await recompute(db, organisation_id)
            recompute_rate = args.real / (time.perf_counter() - started)
            say(
                f"full recompute of {args.real} schools, one at a time: {recompute_rate:.1f} organisations/s "
                f"({args.orgs / recompute_rate / 60:.1f} min for {args.orgs})"
            )

            secret = await token_secret(db, Grant("national_admin", territory_id=republic), name="bench")
            async with (
                AsgiLifespan(create_app(settings, url)) as app,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://bench",
                    headers={"authorization": f"Bearer {secret}"},  # type: ignore[arg-type]
                ) as client,
            ):
                async with db.session() as session:
                    tree = await territory_tree(session)
                levels = {"republic": republic, "region": regions[0], "district": real_district}
                dashboard_p95, naive_p95 = {}, {}
                for level, territory in levels.items():

                    async def ask(territory: Any = territory) -> None:
                        answer = await client.get("/api/compliance/dashboard", params={"territory_id": str(territory)})
                        assert answer.status_code == 200, answer.text

                    await timed(10, ask)  # warm: the territory tree, prepared statements
                    dashboard_p95[level] = p95(await timed(args.requests, ask))
                    naive_p95[level] = p95(
                        await timed(max(20, args.requests // 5), lambda t=territory: naive_dashboard(db, tree, t))
                    )
                    say(
                        f"dashboard at the {level}: p95 {dashboard_p95[level]:.1f} ms through the API; "
                        f"counted from the findings at read time: p95 {naive_p95[level]:.1f} ms (the query alone)"
                    )
                # The figures agree with the naive count.
                board = (await client.get("/api/compliance/dashboard", params={"territory_id": str(republic)})).json()
                naive = await naive_dashboard(db, tree, republic)
                for child in board["children"]:
                    f = child["figures"]
                    counted = naive.get(uuid.UUID(child["territory"]["id"]), [0, 0, 0])
                    assert [f["organisations"], f["compliant"], f["findings"]] == counted, (child, counted)

                async def findings_in_district() -> int:
                    answer = await client.get("/api/compliance/dashboard", params={"territory_id": str(real_district)})
                    return int(answer.json()["totals"]["findings"])

                before = await findings_in_district()
                started = time.perf_counter()
                created = await client.post(
                    f"/api/organisations/{schools[0]}/associations",
                    json={"name": "Bench association", "kind": "class_teachers"},
                )
                assert created.status_code == 201, created.text
                while await findings_in_district() == before:
                    if time.perf_counter() - started > 300:
                        raise SystemExit("the change did not reach the dashboard in 300 s")
                    await asyncio.sleep(0.1)
                staleness = time.perf_counter() - started
                say(f"staleness from a change over the API to the district's dashboard: {staleness:.1f}s")
            worst = max(dashboard_p95.values())
            worst_naive = max(naive_p95.values())
            say(
                f"dashboard_p95_ms={worst:.1f} naive_p95_ms={worst_naive:.1f} ratio={worst_naive / worst:.2f} "
                f"recompute_orgs_per_s={recompute_rate:.1f} staleness_s={staleness:.1f}"
            )
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=10_000, help="organisations made as facts")
    parser.add_argument("--real", type=int, default=100, help="schools provisioned and checked for real")
    parser.add_argument("--requests", type=int, default=200, help="dashboard requests per level")
    run(main(parser.parse_args()))
