"""`metodist import …` in child processes; an import killed mid-way and resumed, twice over: by
the command line, and by a server starting up (which re-queues interrupted imports)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from api.domain.onboarding.models import ImportJob, ImportRow
from api.domain.organisations.models import Organisation
from api.identity.models import Invitation
from api.settings import PROJECT_ROOT
from tests.onboarding.files import ORG_HEADER_EN, ORG_HEADER_RU, Places, csv_bytes, new_bin, school, xlsx_bytes
from tests.onboarding.helpers import wait_done
from tests.support import AsgiLifespan
from tests.tenancy.helpers import metodist, psql


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "METODIST_ENV")}
    env.update(DATABASE_URL=database_url, METODIST_DATA_DIR=str(data_dir), PYTHONWARNINGS="ignore")
    return env


def test_dry_run_then_import_on_the_command_line(app: Any, database_url: str, places: Places, tmp_path: Path) -> None:
    bins = [new_bin() for _ in range(3)]
    bad = ["7.01E+11", "school", "onb-abay", "Мектеп", "Школа", "", "primary", ""]
    path = tmp_path / "schools.csv"
    path.write_bytes(csv_bytes(ORG_HEADER_RU, [school(b, n=i) for i, b in enumerate(bins)] + [bad], encoding="cp1251"))
    dry = metodist(database_url, "import", "organisations", str(path), "--dry-run", "--lang", "ru", data_dir=tmp_path)
    assert dry.returncode == 1, dry.stderr  # a refused row: scripts can tell
    assert "line 5: bin:" in dry.stdout and "Dry run: nothing was written." in dry.stdout
    assert "4 rows: 3 to import, 1 refused." in dry.stdout
    assert psql(database_url, "SELECT count(*) FROM public.organisation WHERE bin = ANY(%s)", (bins,)) == [(0,)]
    path.write_bytes(xlsx_bytes(ORG_HEADER_EN, [school(b, n=i) for i, b in enumerate(bins)]))
    done = metodist(database_url, "import", "organisations", str(path), data_dir=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[3/3] registered 3, ready 3, failed 0" in done.stdout
    assert done.stdout.strip().splitlines()[-1].endswith("3 done, 0 failed, 0 refused by the check.")
    assert psql(
        database_url, "SELECT count(*) FROM public.organisation WHERE bin = ANY(%s) AND status = 'active'", (bins,)
    ) == [(3,)]
    again = metodist(database_url, "import", "organisations", str(path), data_dir=tmp_path)
    assert again.returncode == 0 and "unchanged 3" in again.stdout
    missing = metodist(database_url, "import", "organisations", str(tmp_path / "nope.csv"), data_dir=tmp_path)
    assert missing.returncode == 2
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = metodist(database_url, "import", "organisations", str(empty), data_dir=tmp_path)
    assert refused.returncode == 1 and "file: The file is empty." in refused.stderr


async def _counts(db: Any, job_id: Any) -> dict[str, int]:
    async with db.session() as session:
        return dict(
            (
                await session.execute(
                    select(ImportRow.state, func.count()).where(ImportRow.job_id == job_id).group_by(ImportRow.state)
                )
            ).all()
        )  # type: ignore[arg-type]


async def _kill_midway(db: Any, database_url: str, path: Path, tmp_path: Path) -> Any:
    """Starts the import on the command line and kills it (SIGKILL) once some schools are done."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "metodist"), "import", "organisations", str(path)],
        cwd=PROJECT_ROOT,
        env=_env(database_url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        job_id = None
        while time.monotonic() < deadline:
            async with db.session() as session:
                job_id = await session.scalar(select(ImportJob.id).where(ImportJob.filename == path.name))
            if job_id is not None and 3 <= (await _counts(db, job_id)).get("done", 0):
                break
            assert process.poll() is None, process.communicate()
            await asyncio.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    return job_id


async def test_an_import_killed_midway_resumes_with_nothing_duplicated(
    app: Any,
    db: Any,
    database_url: str,
    settings: Any,
    places: Places,
    tmp_path: Path,
) -> None:
    # 40 schools, each with an administrator to invite.
    bins = [new_bin() for _ in range(40)]
    lines = [school(b, n=i, email=f"admin{i}.{b}@school.kz") for i, b in enumerate(bins)]
    path = tmp_path / "crash-1.csv"
    path.write_bytes(csv_bytes(ORG_HEADER_RU, lines))
    job_id = await _kill_midway(db, database_url, path, tmp_path)
    counts = await _counts(db, job_id)
    assert 3 <= counts.get("done", 0) < 40, counts  # stopped half-way
    async with db.session() as session:
        job = await session.get(ImportJob, job_id)
    assert job is not None and job.status == "running"  # as the crash left it
    # Resumed on the command line. In a thread: the session's event loop must keep running, for the
    # session app's worker may hold a provisioning turn (an advisory lock) the command waits for.
    resumed = await asyncio.to_thread(
        metodist, database_url, "import", "resume", str(job_id), data_dir=tmp_path, timeout=300
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "40 done, 0 failed" in resumed.stdout
    await _assert_whole(db, bins)

    # And by a server starting: it re-queues the interrupted import, which its worker finishes.
    bins = [new_bin() for _ in range(30)]
    path = tmp_path / "crash-2.csv"
    path.write_bytes(
        csv_bytes(ORG_HEADER_RU, [school(b, n=i, email=f"a{i}.{b}@school.kz") for i, b in enumerate(bins)])
    )
    job_id = await _kill_midway(db, database_url, path, tmp_path)
    from api.asgi import create_app
    from tests.identity.access.principals import issue_at_republic

    secret = await issue_at_republic(db, "national_admin", name="crash test")
    async with AsgiLifespan(create_app(dataclasses.replace(settings, tenant_spares=0), database_url)) as restarted:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=restarted),
            base_url="http://testserver",  # type: ignore[arg-type]
            headers={"authorization": f"Bearer {secret}"},
        ) as client:
            body = await wait_done(client, str(job_id), timeout=300)
    assert (body["status"], body["done"], body["failed"]) == ("done", 30, 0), body
    await _assert_whole(db, bins)


async def _assert_whole(db: Any, bins: list[str]) -> None:
    async with db.session() as session:
        per_bin = dict(
            (
                await session.execute(
                    select(Organisation.bin, func.count()).where(Organisation.bin.in_(bins)).group_by(Organisation.bin)
                )
            ).all()
        )
        statuses = set((await session.scalars(select(Organisation.status).where(Organisation.bin.in_(bins)))).all())
        invitations = (
            await session.execute(
                select(Invitation.organisation_id, func.count())
                .join(Organisation, Organisation.id == Invitation.organisation_id)
                .where(Organisation.bin.in_(bins))
                .group_by(Invitation.organisation_id)
            )
        ).all()
    assert per_bin == {b: 1 for b in bins}
    assert statuses == {"active"}
    assert len(invitations) == len(bins) and {n for _, n in invitations} == {1}
