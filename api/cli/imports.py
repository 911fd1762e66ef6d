"""`metodist import`: organisations and staff brought in from CSV or XLSX files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from api.cli.common import with_db
from api.paging import Paging
from api.settings import Settings, get_settings


@click.group("import")
def import_() -> None:
    """Onboarding: organisations and staff from CSV or XLSX files (dry run, import, resume)."""


def _print_check(progress: Any, rows: list[Any], lang: str) -> None:
    from api.domain.onboarding.reports import row_findings

    shown = 0
    for row in rows:
        for text in row_findings(row, lang):
            if shown < 200:
                click.echo(f"  line {row.line}: {text}")
            shown += 1
    if shown > 200:
        click.echo(f"  … and {shown - 200} more findings (see the report)")
    click.echo(f"{progress.total} rows: {progress.valid} to import, {progress.invalid} refused.")


def _run_import(kind: str, file: str, dry_run: bool, lang: str, organisation: str | None) -> None:
    from sqlalchemy import select

    from api.domain.onboarding import reports, services
    from api.domain.organisations.models import Organisation
    from api.errors import DomainError

    settings = get_settings()
    path = Path(file)
    content = path.read_bytes()

    async def check(db: Any) -> Any:
        async with db.session() as session, session.begin():
            if kind == "organisations":
                job = await services.check_organisations(session, settings, None, content, path.name)
            else:
                org = await session.scalar(select(Organisation).where(Organisation.bin == (organisation or "").strip()))
                if org is None:
                    raise DomainError(f"No organisation with the BIN {organisation}.", field="organisation")
                job = await services.check_staff(db, session, settings, None, org, content, path.name)
            progress = await services.progress(session, job.id)
            rows, _ = await reports.rows_of(session, job.id, Paging(1, 100_000), issues_only=True)
            _print_check(progress, rows, lang)
            click.echo(f"import {job.id}")
            if not dry_run and progress.valid:
                await services.start(session, job)
            return job.id, progress

    try:
        job_id, checked = with_db(settings, check)
    except DomainError as exc:
        raise click.ClickException(f"{exc.field or 'error'}: {exc.message}") from exc
    if dry_run:
        click.echo("Dry run: nothing was written.")
        sys.exit(1 if checked.invalid else 0)
    if not checked.valid:
        raise click.ClickException("No row can be imported.")
    _resume(settings, job_id)


def _resume(settings: Settings, job_id: Any) -> None:
    from api.domain.onboarding import runs, services

    def show(p: Any) -> None:
        click.echo(
            f"[{p.done + p.failed}/{p.valid}] registered {p.done + p.failed + p.registered}, ready {p.done}, "
            f"failed {p.failed} (created {p.created}, updated {p.updated}, unchanged {p.unchanged}, invited "
            f"{p.invited})"
        )

    async def run(db: Any) -> Any:
        status = await runs.run_job(db, settings, job_id, on_progress=show)
        async with db.session() as session:
            return status, await services.progress(session, job_id)

    status, final = with_db(settings, run)
    if status == "busy":
        raise click.ClickException("This import is running elsewhere right now.")
    click.echo(
        f"import {job_id}: {status}; {final.done} done, {final.failed} failed, {final.invalid} refused by the check."
    )
    if status != "done" or final.failed:
        sys.exit(1)


@import_.command("organisations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default="en", help="Language of the findings.")
def import_organisations(file: str, dry_run: bool, lang: str) -> None:
    """Register the organisations in FILE (CSV or XLSX), provision their schemas and invite the
    administrators it names. Matched by BIN: running it again updates, never duplicates."""
    _run_import("organisations", file, dry_run, lang, None)


@import_.command("staff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--organisation", required=True, help="The organisation's BIN.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default="en", help="Language of the findings.")
def import_staff(file: str, organisation: str, dry_run: bool, lang: str) -> None:
    """Import the organisation's staff from FILE (CSV or XLSX). Matched by IIN."""
    _run_import("staff", file, dry_run, lang, organisation)


@import_.command("resume")
@click.argument("job_id", type=click.UUID)
def import_resume(job_id: Any) -> None:
    """Continue an import a crash or a stop interrupted, from the rows not yet done."""
    from api.domain.onboarding.models import ImportJob

    settings = get_settings()

    async def mark(db: Any) -> None:
        async with db.session() as session, session.begin():
            job = await session.get(ImportJob, job_id)
            if job is None:
                raise click.ClickException(f"No import {job_id}.")
            if job.status == "checked":
                raise click.ClickException("This import was only checked; run it without --dry-run, or start it.")

    with_db(settings, mark)
    _resume(settings, job_id)
