"""How fast a region onboards from its spreadsheets: `python bench/onboarding.py [--orgs N]`.

In one throw-away database, the way the product does it (api.domain.onboarding.services):

- the dry run of a file of `--dry-run-orgs` schools (default 10,000): read, every row checked,
  the job and its rows stored (`dry_run_s`);
- the import of a file of `--orgs` schools (default 1,000) until every one is active: registered
  in batches, each schema provisioned through `provision_organisation` (no spares: built from the
  rendered DDL), in schools per second (`import_orgs_per_s`);
- the provisioning baseline, measured in the same run: `--baseline` organisations registered one
  by one through `OrganisationService.create` and provisioned by `provision_organisation` with the
  same concurrency as the import (`provision_baseline_per_s`);
- the re-import of the same `--orgs` file, nothing changed: checked and run (`reimport_s`);
- a roster of `--roster` teachers (default 2,000) into one school: checked and run (`roster_s`).

Last line: `dry_run_s=… import_orgs_per_s=… provision_baseline_per_s=… reimport_s=… roster_s=… ratio=…`
with ratio = import rate / baseline rate.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import time
from typing import Any

from common import (
    bench_settings,
    git_revision,
    machine,
    open_database,
    organisation_create,
    run,
    say,
    server_version,
    throwaway_database,
)

HEADER = ["BIN", "Kind", "Territory", "Name (kk)", "Name (ru)", "Name (en)", "Education levels", "Administrator e-mail"]
STAFF = ["IIN", "Last name", "First name", "Patronymic", "E-mail", "Position", "Subjects", "Unit"]


def bins(count: int, start: int) -> list[str]:
    from api.domain.organisations.rules import make_bin

    out: list[str] = []
    serial = start
    while len(out) < count:
        found = make_bin(f"{serial:011d}")
        serial += 1
        if found is not None:
            out.append(found)
    return out


def schools_csv(count: int, start: int, districts: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for n, bin_ in enumerate(bins(count, start)):
        writer.writerow(
            [
                bin_,
                "school",
                districts[n % len(districts)],
                f"№{n} мектеп",
                f"Школа №{n}",
                f"School No. {n}",
                "primary, basic_secondary, general_secondary",
                "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def roster_csv(count: int) -> bytes:
    from api.domain.organisations.rules import make_bin

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(STAFF)
    subjects = ["Математика", "Физика", "Қазақ тілі", "Русский язык", "История", "Астрономия"]
    made, serial = 0, 0
    while made < count:
        day = serial % 28 + 1
        iin = make_bin(f"8{serial // 28 % 10}01{day:02d}3{serial % 10000:04d}")
        serial += 1
        if iin is None:
            continue
        writer.writerow(
            [iin, f"Фамилия{made}", "Имя", "", f"t{made}@school.kz", "teacher", subjects[made % len(subjects)], ""]
        )
        made += 1
    return buffer.getvalue().encode("utf-8-sig")


async def districts(db: Any, count: int) -> list[str]:
    from api.domain.territories.models import TerritoryKind
    from api.domain.territories.services import TerritoryService

    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug("karaganda")
        slugs = []
        for n in range(count):
            slug = f"bench-district-{n}"
            await territories.upsert(
                slug=slug,
                kind=TerritoryKind.DISTRICT,
                parent_id=region.id,
                name_kk=f"Аудан {n}",
                name_ru=f"Район {n}",
                name_en=f"District {n}",
            )
            slugs.append(slug)
    return slugs


async def check_and_run(
    db: Any, settings: Any, content: bytes, name: str, *, organisation: Any = None
) -> tuple[float, float, Any]:
    """(check seconds, run seconds, final progress)."""
    from api.domain.onboarding import runs, services

    started = time.perf_counter()
    async with db.session() as session, session.begin():
        if organisation is None:
            job = await services.check_organisations(session, settings, None, content, name)
        else:
            job = await services.check_staff(db, session, settings, None, organisation, content, name)
        await services.start(session, job)
    checked = time.perf_counter() - started
    started = time.perf_counter()
    status = await runs.run_job(db, settings, job.id)
    ran = time.perf_counter() - started
    async with db.session() as session:
        progress = await services.progress(session, job.id)
    assert status == "done" and progress.failed == 0 and progress.invalid == 0, (status, progress)
    return checked, ran, progress


async def baseline(db: Any, count: int) -> float:
    from common import territory_id

    from api.domain.onboarding.runs import PROVISION_CONCURRENCY
    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.services import OrganisationService

    place = await territory_id(db)
    gate = asyncio.Semaphore(PROVISION_CONCURRENCY)

    async def one() -> None:
        async with gate:
            async with db.session() as session, session.begin():
                org = await OrganisationService(session).create(organisation_create(place))
            assert await provision_organisation(db, org.id) == "active"

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return count / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from api.domain.onboarding import services
    from api.domain.organisations.models import Organisation

    with throwaway_database() as url:
        settings = bench_settings(
            url,
            tenant_spares=0,
            import_max_rows=max(args.dry_run_orgs, args.orgs, args.roster) + 1,
            import_max_bytes=64 * 1024 * 1024,
        )
        db = await open_database(url, settings)
        try:
            say(machine())
            say(f"{server_version(url)}, revision {git_revision()}")
            places = await districts(db, 20)

            big = schools_csv(args.dry_run_orgs, 20_000_000_000, places)
            started = time.perf_counter()
            async with db.session() as session, session.begin():
                job = await services.check_organisations(session, settings, None, big, "dry-run.csv")
            dry_run_s = time.perf_counter() - started
            assert job.total == args.dry_run_orgs and job.invalid == 0
            say(f"dry run of {args.dry_run_orgs} schools ({len(big) // 1024} KiB): {dry_run_s:.2f}s")

            base_rate = await baseline(db, args.baseline)
            say(f"provisioning baseline: {args.baseline} organisations created and provisioned, {base_rate:.2f}/s")

            content = schools_csv(args.orgs, 30_000_000_000, places)
            checked, ran, progress = await check_and_run(db, settings, content, "schools.csv")
            import_rate = args.orgs / (checked + ran)
            say(
                f"import of {args.orgs} schools to active: check {checked:.2f}s + run {ran:.2f}s, {import_rate:.2f}/s "
                f"(created {progress.created})"
            )

            checked, ran, progress = await check_and_run(db, settings, content, "schools.csv")
            reimport_s = checked + ran
            assert progress.unchanged == args.orgs
            say(f"re-import of the same {args.orgs} schools, nothing changed: {reimport_s:.2f}s (check {checked:.2f}s)")

            async with db.session() as session:
                school = await session.scalar(select(Organisation).where(Organisation.status == "active").limit(1))
            roster = roster_csv(args.roster)
            checked, ran, progress = await check_and_run(db, settings, roster, "roster.csv", organisation=school)
            roster_s = checked + ran
            assert progress.created == args.roster
            say(f"roster of {args.roster} teachers: {roster_s:.2f}s (check {checked:.2f}s)")

            say(
                f"dry_run_s={dry_run_s:.2f} import_orgs_per_s={import_rate:.2f} "
                f"provision_baseline_per_s={base_rate:.2f} "
                f"reimport_s={reimport_s:.2f} roster_s={roster_s:.2f} ratio={import_rate / base_rate:.2f}"
            )
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=1000, help="schools imported to active, then re-imported")
    parser.add_argument("--dry-run-orgs", type=int, default=10_000, help="schools in the dry-run file")
    parser.add_argument("--baseline", type=int, default=100, help="organisations provisioned for the baseline")
    parser.add_argument("--roster", type=int, default=2000, help="teachers in the roster")
    run(main(parser.parse_args()))
