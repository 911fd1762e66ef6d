"""A tenant read through the product against a bare Litestar + asyncpg server: `python bench/api.py`.

Both servers (`bench/api_servers.py`) run on 127.0.0.1 in processes of their own, on one
throw-away database of `--tenants` schools (each with staff, the hot one with more), and answer
`GET /api/organisations/{id}/staff` with byte-identical JSON (checked before timing). The product
is called with a regional methodist's API token, as a regional system would; the bare server
checks nothing. wrk (`apt-get install wrk`) loads each for `--seconds`, alternating product and
bare three times, first on one hot tenant, then on a random tenant per request. Then a counted
run of sequential requests gives round trips to PostgreSQL and pool checkouts per request (after
one warm-up pass over the same tenants).

Then, on the same product server, three pages of the web app against the API calls each makes
(bench/api_pages.py): the organisation's page, the review inbox and the compliance dashboard, each
page and each of its calls under wrk with a signed-in person's session cookie for `--page-seconds`.
`--pages-only` skips the comparison with the bare server and the counted run.

Last line: `ratio_hot=… ratio_random=… p99_ratio=… round_trips=… checkouts=…` (req/s product /
bare, the median of the three pairs; p99 product / bare on random tenants), then
`page_ratios=org:…,inbox:…,compliance:…` (a page's req/s over that of the slowest API call it makes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from uuid import UUID

# This file is named `api.py`, as the benchmark of the API: the project's `api` package must win
# over it, so the bench folder goes to the end of the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
sys.path.insert(0, str(_HERE.parent))

from api_pages import PagesWorld, measure_pages, seed_pages  # noqa: E402
from common import (  # noqa: E402
    ROOT,
    bench_settings,
    git_revision,
    machine,
    open_database,
    say,
    server_version,
    throwaway_database,
)

SERVERS = Path(__file__).resolve().parent / "api_servers.py"


def pages_line(ratios: dict[str, float]) -> str:
    return "page_ratios=" + ",".join(f"{name}:{ratio:.2f}" for name, ratio in ratios.items())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def make_schools(db: Any, count: int, hot_staff: int, staff: int) -> list[UUID]:
    """`count` schools of one district, provisioned the real way, with staff teaching subjects."""
    from common import next_bin
    from sqlalchemy import select

    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.rules import EducationLevel, OrgKind
    from api.domain.organisations.schemas import OrganisationCreate
    from api.domain.organisations.services import OrganisationService
    from api.domain.structure.models import Staff, StaffSubject, Subject
    from api.domain.territories.models import Territory, TerritoryKind
    from api.domain.territories.services import TerritoryService

    async with db.session() as session, session.begin():
        region = await session.scalar(select(Territory).where(Territory.slug == "karaganda"))
        district = await TerritoryService(session).upsert(
            slug="bench-district",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Аудан",
            name_ru="Район",
            name_en="District",
        )

    async def one(i: int) -> UUID:
        data = OrganisationCreate(
            kind=OrgKind.SCHOOL,
            territory_id=district,
            bin=next_bin(),
            name_kk=f"№{i} мектеп",
            name_ru=f"Школа №{i}",
            name_en=f"School {i}",
            levels=[EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY],
        )
        async with db.session() as session, session.begin():
            org = await OrganisationService(session).create(data)
            organisation_id, schema = org.id, org.schema_name
        if await provision_organisation(db, organisation_id) != "active":
            raise SystemExit(f"school {i} did not provision")
        async with db.tenant_context(schema) as session:
            subjects = [
                Subject(code=f"s{k}", name_kk=f"Пән {k}", name_ru=f"Предмет {k}", name_en=f"Subject {k}")
                for k in range(3)
            ]
            session.add_all(subjects)
            await session.flush()
            people = [
                Staff(full_name=f"Мұғалім {k:03d} {i}", email=f"t{k}.{i}@school.kz", positions=["teacher"])
                for k in range(hot_staff if i == 0 else staff)
            ]
            session.add_all(people)
            await session.flush()
            session.add_all(StaffSubject(staff_id=p.id, subject_id=subjects[k % 3].id) for k, p in enumerate(people))
        return organisation_id

    gate = asyncio.Semaphore(4)

    async def gated(i: int) -> UUID:
        async with gate:
            return await one(i)

    started = time.perf_counter()
    ids = await asyncio.gather(*(gated(i) for i in range(count)))
    say(f"{count} schools provisioned and staffed in {time.perf_counter() - started:.0f}s")
    return list(ids)


async def regional_token(db: Any, organisation_id: UUID) -> str:
    import datetime

    from api.access import Grant
    from api.domain.organisations.models import Organisation
    from api.identity.tokens import issue_token
    from api.roles import Role

    async with db.session() as session, session.begin():
        org = await session.get(Organisation, organisation_id)
        from api.domain.territories.models import Territory

        district = await session.get(Territory, org.territory_id)
        _, secret = await issue_token(
            session,
            name="bench",
            grant=Grant(Role.REGIONAL_METHODIST, territory_id=district.parent_id),
            expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
        )
    return secret


class Server:
    def __init__(self, kind: str, url: str, env: dict[str, str]) -> None:
        self.kind = kind
        self.port = free_port()
        log = open(Path(tempfile.gettempdir()) / f"bench-api-{kind}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(SERVERS), kind, url, str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the {kind} server stopped; see {log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the {kind} server did not start")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: dict[str, str]) -> bytes:
        request = urllib.request.Request(self.base + path, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1
            return response.read()

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


WRK_SCRIPT = """
paths = {%s}
headers = {%s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
"""


def settle(server: Server, quiet: float = 0.05, longest: float = 120) -> None:
    """Waits until the server works no more: requests wrk left in flight when it stopped are still
    answered (a slow page's for seconds), and would take the CPU from the next run."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.5)
        if server.cpu_seconds() - before < quiet:
            return


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def load(
    server: Server, paths: list[str], headers: dict[str, str], seconds: int, connections: int
) -> tuple[float, float, float]:
    """wrk against the server: requests per second, the 99th percentile latency in ms and the
    server's CPU time per request in ms."""
    settle(server)
    cpu_before = server.cpu_seconds()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lua_headers = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
        script.write(WRK_SCRIPT % (", ".join(f'"{p}"' for p in paths), lua_headers))
    out = subprocess.run(
        # A slow page takes seconds under 32 connections: wrk's own 2 s timeout would drop its answers.
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "--latency",
            "-s",
            script.name,
            server.base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"{server.kind} answered errors under load:\n{out}")
    cpu = server.cpu_seconds() - cpu_before
    served = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    value, unit = float(p99.group(1)), p99.group(2)  # type: ignore[union-attr]
    p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return rps, p99_ms, 1000 * cpu / max(served, 1)


def counted(server: Server, paths: list[str], token: str) -> dict[str, float]:
    """Round trips and checkouts per request, after a warm-up pass over the same paths."""
    auth = bearer(token)
    for path in paths:
        server.get(path, auth)
    for path in paths:
        server.get(path, {**auth, "X-Bench-Count": "1"})
    counts = json.loads(server.get("/__bench/counts", {}))
    return {k: counts[k] / counts["requests"] for k in ("round_trips", "checkouts")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=10, help="staff of each school but the hot one")
    parser.add_argument("--hot-staff", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--page-seconds", type=int, default=10, help="each page and each API call it makes")
    parser.add_argument(
        "--page-connections",
        type=int,
        default=8,
        help="for the pages and their calls: fewer than for the staff list, so that a slow page's answers in "
        "flight when wrk stops (not counted) are a small share of those counted",
    )
    parser.add_argument("--pages-only", action="store_true", help="only the pages against their API calls")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/api.py needs wrk (apt-get install wrk)")
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    say(machine())
    with throwaway_database() as url, tempfile.TemporaryDirectory(prefix="bench-api-") as data_dir:
        say(f"{server_version(url)}, revision {git_revision()}")

        async def prepare() -> tuple[list[UUID], str, PagesWorld]:
            db = await open_database(url, bench_settings(url))
            try:
                ids = await make_schools(db, args.tenants, args.hot_staff, args.staff)
                world = await seed_pages(db, ids, Path(data_dir) / "files")
                return ids, await regional_token(db, ids[0]), world
            finally:
                await db.dispose()

        ids, token, world = asyncio.run(prepare())
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "METODIST_ENV": "bench",
            "METODIST_DEMO_DATA": "0",
            "METODIST_PERIODIC_JOBS": "0",
            # The sessions' store (files, without Redis) and the documents' files of this run only.
            "METODIST_DATA_DIR": data_dir,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)  # the product as `make run` runs it: no Redis
        hot = [f"/api/organisations/{ids[0]}/staff"]
        everyone = [f"/api/organisations/{i}/staff" for i in ids]
        rng = random.Random(583)
        sample = rng.sample(everyone, min(100, len(everyone)))

        if args.pages_only:
            product = Server("product", url, env)
            try:
                page_ratios = measure_pages(product, world, load, args.page_seconds, args.page_connections)
            finally:
                product.stop()
            say(pages_line(page_ratios))
            return

        product, bare = Server("product", url, env), Server("bare", url, env)
        try:
            auth = bearer(token)
            for path in (hot[0], *sample[:20]):
                if product.get(path, auth) != bare.get(path, auth):
                    raise SystemExit(f"the two servers answer {path} differently")
            say("the two servers answer byte-identical JSON")
            figures: dict[str, list[tuple[float, float, float]]] = {
                "product hot": [],
                "bare hot": [],
                "product random": [],
                "bare random": [],
            }
            for paths, label in ((hot, "hot"), (everyone, "random")):
                for _ in range(3):
                    for server in (product, bare):
                        rps, p99, cpu = load(server, paths, auth, args.seconds, args.connections)
                        figures[f"{server.kind} {label}"].append((rps, p99, cpu))
                        say(f"{server.kind:8} {label:7} {rps:8.1f} req/s  p99 {p99:7.1f} ms  CPU {cpu:5.2f} ms/request")
            bare.stop()  # the pages are timed with the product server alone running
            page_ratios = measure_pages(product, world, load, args.page_seconds, args.page_connections)
        finally:
            product.stop()
            bare.stop()

        counting_env = {**env, "BENCH_COUNT": "1"}
        product, bare = Server("product", url, counting_env), Server("bare", url, counting_env)
        try:
            per_request = {s.kind: counted(s, sample, token) for s in (product, bare)}
        finally:
            product.stop()
            bare.stop()
    for kind, c in per_request.items():
        say(f"{kind:8} per request: {c['round_trips']:.1f} round trips, {c['checkouts']:.1f} pool checkouts")

    def ratio(label: str, index: int) -> float:
        pairs = zip(figures[f"product {label}"], figures[f"bare {label}"], strict=True)
        return statistics.median(p[index] / b[index] for p, b in pairs)

    say(f"CPU per request, product / bare: hot {ratio('hot', 2):.2f}, random {ratio('random', 2):.2f}")
    say(
        f"ratio_hot={ratio('hot', 0):.2f} ratio_random={ratio('random', 0):.2f} p99_ratio={ratio('random', 1):.2f} "
        f"round_trips={per_request['product']['round_trips']:.1f} checkouts={per_request['product']['checkouts']:.1f} "
        + pages_line(page_ratios)
    )


if __name__ == "__main__":
    main()
