"""What both benchmarks share: a throw-away database, organisations made the real way, figures.

Run by hand, not in CI. The server is DATABASE_URL's (the database named there is only used to
create and drop the throw-away one), else the embedded PostgreSQL under .data/bench-pg.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.settings import Settings  # noqa: E402


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from api.embedded import embedded_url

    return embedded_url(ROOT / ".data" / "bench-pg", database="postgres")


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A database created for this run at the control head with territories, dropped at the end."""
    server = server_url()
    name = f"metodist_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(server), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        from api.bootstrap import upgrade_control

        upgrade_control(url)
        yield url
    finally:
        started = time.perf_counter()
        with psycopg.connect(_admin_dsn(server), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        say(f"dropped {name} in {time.perf_counter() - started:.1f}s")


def bench_settings(url: str, **overrides: Any) -> Settings:
    return Settings(environment="bench", database_url=url, demo_data=False, **overrides)


async def open_database(url: str, settings: Settings) -> Any:
    from api.bootstrap import load_territories
    from api.db import Database, create_engine

    db = Database(create_engine(settings, url))
    await load_territories(db, settings)
    return db


_serial = iter(range(10**6))


def next_bin() -> str:
    """Valid BINs, the same sequence every run (the database is fresh)."""
    from api.domain.organisations.rules import make_bin

    while True:
        bin_ = make_bin(f"{90000000000 + next(_serial):011d}")
        if bin_ is not None:
            return bin_


def organisation_create(territory_id: Any) -> Any:
    from api.domain.organisations.rules import EducationLevel, OrgKind
    from api.domain.organisations.schemas import OrganisationCreate

    return OrganisationCreate(
        kind=OrgKind.COLLEGE,
        territory_id=territory_id,
        bin=next_bin(),
        name_kk="Өлшеу колледжі",
        name_ru="Колледж для замеров",
        name_en="Benchmark College",
        levels=[EducationLevel.TECHNICAL_VOCATIONAL],
    )


async def territory_id(db: Any, slug: str = "karaganda") -> Any:
    from api.domain.territories.services import TerritoryService

    async with db.session() as session:
        return (await TerritoryService(session).by_slug(slug)).id


def machine() -> str:
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) // 1024} MiB"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    python = platform.python_version()
    return f"{platform.node()}: {os.cpu_count()} CPUs, {memory} memory, load average {load}, Python {python}"


def server_version(url: str) -> str:
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        row = conn.execute("SELECT current_setting('server_version')").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"


def say(line: str) -> None:
    print(line, flush=True)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def git_revision() -> str:
    git = shutil.which("git")
    if git is None:
        return "?"
    done = subprocess.run(
        [git, "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "?"
