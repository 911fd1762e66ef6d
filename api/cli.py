"""`metodist`: serve the product and run its operations from the command line."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from api.settings import ConfigurationError, Settings, get_settings

T = TypeVar("T")


def _safe_settings() -> Settings:
    """The settings, or exit 2 with a message naming the setting when production would be unsafe."""
    try:
        settings = get_settings()
        settings.check_safe()
    except ConfigurationError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    return settings


def _database_url(settings: Settings) -> str:
    """The owner's connection: every command here is an operation (migrations, schemas, jobs)."""
    from api.embedded import resolve_owner_url

    return resolve_owner_url(settings)


def _grant_app_role(settings: Settings, owner_url: str) -> str:
    """The application's connection, its role granted what it needs (when it has its own)."""
    from api.db_roles import app_role, grant_app_role
    from api.embedded import resolve_database_url

    app_url = resolve_database_url(settings)
    role = app_role(app_url, owner_url)
    if role is not None:
        try:
            grant_app_role(owner_url, role)
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from exc
    return app_url


def _with_db(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from api.db import Database, create_engine

    async def run() -> T:
        db = Database(create_engine(settings, _database_url(settings)), citus=settings.citus)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


@click.group()
def main() -> None:
    """Metodist: methodological work of education organisations (order No. 583)."""
    from api.embedded import stop_on_signals

    # A stop (SIGTERM from a service manager, SIGHUP from a closed terminal) exits through the
    # exit handlers, which stop the embedded PostgreSQL this process started.
    stop_on_signals()


@main.command()
@click.option("--host", default=None, help="Interface to bind (default HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default PORT or 8000).")
@click.option("--no-demo", is_flag=True, help="Do not load the demo data set on first start.")
@click.option("--no-worker", is_flag=True, help="Leave background jobs to `metodist worker` processes.")
def serve(host: str | None, port: int | None, no_demo: bool, no_worker: bool) -> None:
    """Prepare the database (migrations, territories, demo data) and serve API and web on one port."""
    import uvicorn

    from api.asgi import create_app
    from api.bootstrap import load_territories, upgrade_control
    from api.demo import load_demo
    from api.logs import configure_logging
    from tenants.migrate import migrate_all

    settings = _safe_settings()
    configure_logging(json=settings.log_json)
    database_url = _database_url(settings)
    click.echo("Applying control-plane migrations…")
    upgrade_control(database_url)
    migrate_all(
        database_url,
        concurrency=settings.migrate_concurrency,
        lock_timeout_ms=settings.lock_timeout_ms,
        progress=lambda line: click.echo(f"  {line}"),
    )

    async def prepare(db: Any) -> int:
        await load_territories(db, settings)
        if no_demo or not settings.demo_data:
            return 0
        return await load_demo(db, settings=settings, progress=lambda line: click.echo(f"  {line}"))

    created = _with_db(settings, prepare)
    if created:
        click.echo(f"Loaded the demo data set: {created} organisations.")
    app_url = _grant_app_role(settings, database_url)
    bind_host = host or settings.host
    bind_port = port or settings.port
    click.echo(f"Metodist is running at http://{bind_host}:{bind_port}/  (API: /api, API docs: /api/schema)")
    app = create_app(settings, app_url, run_worker=not no_worker, owner_url=database_url)
    # The access log is ours (api/logs.py: one JSON line per request, with its request id).
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning", access_log=False, log_config=None)


@main.command()
def worker() -> None:
    """Run background jobs only (provisioning, archiving), for deployments that scale them apart."""
    from api.db import Database, create_engine
    from api.jobs import Jobs, build_queue
    from api.logs import configure_logging

    settings = _safe_settings()
    configure_logging(json=settings.log_json)
    database_url = _database_url(settings)

    async def run() -> None:
        db = Database(create_engine(settings, database_url), citus=settings.citus)
        jobs = Jobs(build_queue(settings, database_url), db, settings, database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await jobs.start(run_worker=True)
        click.echo("worker running; Ctrl-C stops it")
        try:
            await stop.wait()
        finally:
            await jobs.stop()
            await db.dispose()

    asyncio.run(run())


@main.group()
def db() -> None:
    """The control-plane database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply control-plane migrations and load the territories."""
    from api.bootstrap import load_territories, upgrade_control

    settings = get_settings()
    owner_url = _database_url(settings)
    upgrade_control(owner_url)
    count = _with_db(settings, lambda d: load_territories(d, settings))
    _grant_app_role(settings, owner_url)
    click.echo(f"Control plane at head; {count} top-level territories loaded.")


@main.group()
def territories() -> None:
    """The administrative hierarchy: regions, districts and towns, with their official codes."""


@territories.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def territories_load(file: Path) -> None:
    """Load or update territories from a CSV like api/data/territories.csv, with the optional
    columns `parent` (a slug) and `code` (the official KATO code), e.g. a region's districts."""
    from api.bootstrap import load_territories
    from api.errors import DomainError

    try:
        count = _with_db(get_settings(), lambda d: load_territories(d, get_settings(), file))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{count} territories loaded from {file.name}.")


@main.group()
def tenants() -> None:
    """Organisations and their schemas."""


@tenants.command("list")
def tenants_list() -> None:
    """List organisations with their schema, status and schema version."""
    from sqlalchemy import select

    from api.domain.organisations.models import Organisation

    async def work(db: Any) -> list[Any]:
        async with db.session() as session:
            return list((await session.scalars(select(Organisation).order_by(Organisation.name_ru))).all())

    rows = _with_db(get_settings(), work)
    if not rows:
        click.echo("No organisations yet. Create one with `metodist tenants create` or `metodist demo load`.")
        return
    for org in rows:
        click.echo(
            f"{org.schema_name:<20} {org.status:<13} {org.schema_version or '-':<14} {org.kind:<17} {org.name_ru}"
        )


@tenants.command("create")
@click.option("--bin", "bin_", required=True, help="BIN: 12 digits with a valid check digit.")
@click.option("--kind", required=True, help="school, college, university, cabinet_region …")
@click.option("--territory", required=True, help="Territory slug, e.g. karaganda.")
@click.option("--name-kk", required=True)
@click.option("--name-ru", required=True)
@click.option("--name-en", default=None)
@click.option("--level", "levels", multiple=True, help="Education level (cl. 2); repeat for several.")
def tenants_create(
    bin_: str, kind: str, territory: str, name_kk: str, name_ru: str, name_en: str | None, levels: tuple[str, ...]
) -> None:
    """Register an organisation and provision its schema now (the same path as the API's job)."""
    import msgspec

    from api.domain.organisations.provisioning import provision_organisation
    from api.domain.organisations.schemas import OrganisationCreate
    from api.domain.organisations.services import OrganisationService
    from api.domain.territories.services import TerritoryService
    from api.errors import DomainError

    async def work(db: Any) -> str:
        async with db.session() as session, session.begin():
            place = await TerritoryService(session).by_slug(territory)
            data = msgspec.convert(
                {
                    "kind": kind,
                    "territory_id": str(place.id),
                    "bin": bin_,
                    "name_kk": name_kk,
                    "name_ru": name_ru,
                    "name_en": name_en,
                    "levels": list(levels),
                },
                OrganisationCreate,
            )
            org = await OrganisationService(session).create(data)
        status = await provision_organisation(db, org.id)
        return f"{org.schema_name}: {status}"

    try:
        click.echo(_with_db(get_settings(), work))
    except DomainError as exc:
        raise click.ClickException(f"{exc.field or 'error'}: {exc.message}") from exc
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from exc


@tenants.command("migrate")
@click.option("--concurrency", type=int, default=None, help="Schemas migrated at once.")
@click.option("--schema", "schemas", multiple=True, help="Only these schemas.")
@click.option(
    "--per-schema",
    is_flag=True,
    help="Run every revision through Alembic schema by schema instead of replaying its rendered SQL "
    "(slower; for a revision that reads tenant data but does not say per_schema = True).",
)
def tenants_migrate(concurrency: int | None, schemas: tuple[str, ...], per_schema: bool) -> None:
    """Bring every tenant schema to head; failures are listed at the end (exit 1)."""
    from tenants.migrate import migrate_all

    settings = get_settings()
    report = migrate_all(
        _database_url(settings),
        concurrency=concurrency or settings.migrate_concurrency,
        lock_timeout_ms=settings.lock_timeout_ms,
        only=schemas or None,
        progress=click.echo,
        replay=not per_schema,
    )
    migrated = len(report.results) - len(report.failures)
    click.echo(
        f"done in {report.seconds:.2f}s: {migrated} migrated, {report.skipped} already at head, "
        f"{len(report.failures)} failed"
    )
    if report.failures:
        for failure in report.failures:
            click.echo(f"FAILED {failure.schema}: {failure.error}", err=True)
        sys.exit(1)


@tenants.command("spares")
@click.option(
    "--build",
    "target",
    type=int,
    default=None,
    help="Build spares until this many are at head now (e.g. before an onboarding day).",
)
def tenants_spares(target: int | None) -> None:
    """Show the spare schemas kept built ahead of demand; --build N builds up to N of them."""
    from tenants.spares import count_spares, replenish

    settings = get_settings()

    async def work(db: Any) -> str:
        if target is not None:
            if target < 0:
                raise click.BadParameter("must be 0 or more", param_hint="--build")
            done = await replenish(db, target, yield_to_provisioning=False)
            if done.busy:
                raise click.ClickException("Another process is building spares now; try again when it ends.")
            click.echo(f"built {done.built}, dropped {done.dropped} of an older head")
        count = await count_spares(db)
        return (
            f"{count.at_head} spare schemas at head ({count.stale} of an older head); "
            f"the worker keeps {settings.tenant_spares}"
        )

    click.echo(_with_db(settings, work))


@tenants.command("drop")
@click.argument("schema")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def tenants_drop(schema: str, yes: bool) -> None:
    """Archive an organisation: export its schema with pg_dump, then drop the schema."""
    from sqlalchemy import select

    from api.domain.organisations.models import Organisation
    from api.domain.organisations.provisioning import archive_organisation
    from tenants.naming import validate_schema_name

    settings = get_settings()
    validate_schema_name(schema)
    if not yes:
        click.confirm(f"Export and drop schema {schema}?", abort=True)

    async def work(db: Any) -> str:
        async with db.session() as session:
            org = await session.scalar(select(Organisation).where(Organisation.schema_name == schema))
        if org is None:
            raise click.ClickException(f"No organisation has schema {schema}.")
        path = await archive_organisation(db, _database_url(settings), org.id, settings.archive_dir)
        return f"{schema} archived; export: {path or 'none (schema did not exist)'}"

    click.echo(_with_db(settings, work))


@main.group()
def audit() -> None:
    """The tenants' audit logs."""


@audit.command("verify")
@click.argument("organisation")
def audit_verify(organisation: str) -> None:
    """Walk an organisation's audit-log hash chain (ORGANISATION: its schema, t_..., or its BIN;
    `identity` for the control plane's log of roles and access requests).

    Prints OK, or the first broken entry and exits 1.
    """
    if organisation == "identity":
        from api.identity.audit import verify as verify_identity

        async def walk(db: Any) -> Any:
            async with db.session() as session:
                return await verify_identity(session)

        chain = _with_db(get_settings(), walk)
        click.echo(f"identity_audit_log: {chain.describe()}")
        if not chain.ok:
            sys.exit(1)
        return
    from sqlalchemy import or_, select

    from api.audit import verify
    from api.domain.organisations.models import Organisation
    from tenants.naming import InvalidSchemaName, validate_schema_name

    async def work(db: Any) -> Any:
        async with db.session() as session:
            org = await session.scalar(
                select(Organisation).where(
                    or_(Organisation.schema_name == organisation, Organisation.bin == organisation)
                )
            )
        if org is None:
            raise click.ClickException(f"No organisation has the schema or BIN {organisation}.")
        async with db.tenant_context(validate_schema_name(org.schema_name)) as tenant_session:
            return org.schema_name, await verify(tenant_session)

    try:
        schema, report = _with_db(get_settings(), work)
    except InvalidSchemaName as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{schema}: {report.describe()}")
    if not report.ok:
        sys.exit(1)


@main.group()
def keys() -> None:
    """The secret keys: re-encrypting stored secrets after a new key is configured."""


@keys.command("rotate")
@click.option("--dry-run", is_flag=True, help="Only count what would be re-encrypted.")
def keys_rotate(dry_run: bool) -> None:
    """Re-encrypt every stored secret (identity providers' client secrets) with the newest key.

    Configure the new key first, newest first with the old ones after it:
    METODIST_SECRET_KEYS=new,old. Once this reports 0 left, the old keys can be removed.
    A secret no configured key opens is listed and the command exits 1 (nothing else changes).
    """
    from api.identity.crypto import rotate_stored_secrets

    settings = _safe_settings()
    try:
        result = _with_db(settings, lambda db: rotate_stored_secrets(db, settings, dry_run=dry_run))
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    click.echo(
        f"{verb} {result.rotated} secret(s); {result.current} already under the newest key; "
        f"{len(result.unreadable)} unreadable"
    )
    for provider_id in result.unreadable:
        click.echo(f"  unreadable with the configured keys: identity provider {provider_id}", err=True)
    if result.unreadable:
        sys.exit(1)


@main.group()
def admin() -> None:
    """Administrators: the first one of a new deployment."""


@admin.command("grant")
@click.argument("email")
@click.argument("role")
@click.option(
    "--at",
    "at",
    required=True,
    help="Where the role is held: a territory's slug (republic, karaganda, …) or an organisation's BIN.",
)
def admin_grant(email: str, role: str, at: str) -> None:
    """Give ROLE at a place to the person with EMAIL, e.g. the first national administrator:

        metodist admin grant ops@edu.kz national_admin --at republic

    A person who has signed in with this address, confirmed by their provider, gets the role now;
    anyone else gets an invitation, whose link is printed (and mailed when SMTP is configured).
    Written to the identity audit log with the operating-system user who ran it.
    """
    import getpass

    from api.errors import DomainError
    from api.identity.bootstrap import grant_from_command
    from api.identity.invitations import InvitationService

    settings = get_settings()
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"

    async def work(db: Any) -> Any:
        async with db.session() as session, session.begin():
            outcome, _token = await grant_from_command(
                session, settings, email=email, role=role, at=at, os_user=os_user
            )
        mail = None
        if outcome.kind == "invited" and settings.smtp_host:
            from api.domain.organisations.models import Organisation
            from api.domain.territories.models import Territory
            from api.identity.models import Invitation

            async with db.session() as session, session.begin():
                row = await session.get(Invitation, outcome.invitation_id)
                place = (
                    await session.get(Organisation, row.organisation_id)
                    if row.organisation_id
                    else await session.get(Territory, row.territory_id)
                )
                mail = await InvitationService(session, settings).deliver(row, place, outcome.link)
        return outcome, mail

    try:
        outcome, mail_error = _with_db(settings, work)
    except DomainError as exc:
        raise click.ClickException(f"{exc.field or 'error'}: {exc.message}") from exc
    if outcome.kind == "held":
        click.echo(f"{email} already holds {role} at {outcome.place}; nothing changed.")
    elif outcome.kind == "granted":
        click.echo(f"Granted {role} at {outcome.place} to {email} (user {outcome.user_id}).")
    else:
        click.echo(
            f"Invited {email} as {role} at {outcome.place}. The role is theirs when they sign in through this link"
        )
        click.echo(f"(valid {settings.invitation_ttl_days} days):")
        click.echo(outcome.link)
        if settings.smtp_host:
            click.echo(f"Mail not sent: {mail_error}" if mail_error else "The link was also mailed to them.")
        if not settings.oidc_issuer:
            click.echo(
                "Note: no national sign-in service is configured (METODIST_OIDC_ISSUER); they need one to sign in.",
                err=True,
            )


@main.group()
def rules() -> None:
    """The Rules as data: rule sets the organisations are checked against (compliance)."""


@rules.command("load")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def rules_load(path: Path) -> None:
    """Validate a rule set file (TOML) and store it; a bad file is refused with its line and key."""
    from api.domain.compliance.engine import load_rule_set_file
    from api.domain.compliance.rules import RuleSetError

    try:
        document = _with_db(get_settings(), lambda db: load_rule_set_file(db, path))
    except RuleSetError as error:
        click.echo(f"{path}: {error}", err=True)
        sys.exit(2)
    checked = sum(1 for c in document["clauses"] if c.get("checks"))
    click.echo(
        f"Loaded rule set {document['code']}: {len(document['clauses'])} clauses ({checked} with checks), "
        f"in force from {document['in_force_from']}."
    )


@rules.command("check")
@click.argument("organisation_id", type=click.UUID)
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The day checked (default today)."
)
def rules_check(organisation_id: Any, on: Any) -> None:
    """Recompute one organisation's findings now and print their count."""
    from api.domain.compliance.engine import recompute

    outcome = _with_db(get_settings(), lambda db: recompute(db, organisation_id, on.date() if on else None))
    click.echo(
        f"{outcome.findings} findings against {outcome.rule_set}{'; ' + outcome.skipped if outcome.skipped else ''}"
    )


@main.group()
def demo() -> None:
    """The demo data set."""


@demo.command("load")
def demo_load() -> None:
    """Load the demo region: about a hundred organisations of every kind, furnished and checked (once)."""
    from api.bootstrap import load_territories
    from api.demo import load_demo

    settings = get_settings()

    async def work(db: Any) -> int:
        await load_territories(db, settings)
        return await load_demo(db, settings=settings, progress=lambda line: click.echo(f"  {line}"))

    created = _with_db(settings, work)
    click.echo(f"{created} demo organisations created." if created else "Organisations exist already; nothing loaded.")


@main.group("import")
def import_() -> None:
    """Onboarding: organisations and staff from CSV or XLSX files (dry run, import, resume)."""


def _print_check(progress: Any, rows: list[Any], lang: str) -> None:
    from api.domain.onboarding.services import row_findings

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

    from api.domain.onboarding import services
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
            rows, _ = await services.rows_of(session, job.id, issues_only=True, page_size=100_000)
            _print_check(progress, rows, lang)
            click.echo(f"import {job.id}")
            if not dry_run and progress.valid:
                await services.start(session, job)
            return job.id, progress

    try:
        job_id, checked = _with_db(settings, check)
    except DomainError as exc:
        raise click.ClickException(f"{exc.field or 'error'}: {exc.message}") from exc
    if dry_run:
        click.echo("Dry run: nothing was written.")
        sys.exit(1 if checked.invalid else 0)
    if not checked.valid:
        raise click.ClickException("No row can be imported.")
    _resume(settings, job_id)


def _resume(settings: Settings, job_id: Any) -> None:
    from api.domain.onboarding import services

    def show(p: Any) -> None:
        click.echo(
            f"[{p.done + p.failed}/{p.valid}] registered {p.done + p.failed + p.registered}, ready {p.done}, "
            f"failed {p.failed} (created {p.created}, updated {p.updated}, unchanged {p.unchanged}, invited "
            f"{p.invited})"
        )

    async def run(db: Any) -> Any:
        status = await services.run_job(db, settings, job_id, on_progress=show)
        async with db.session() as session:
            return status, await services.progress(session, job_id)

    status, final = _with_db(settings, run)
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

    _with_db(settings, mark)
    _resume(settings, job_id)


@main.command("openapi")
@click.argument("target", type=click.Path(dir_okay=False), default="docs/openapi.json")
def openapi(target: str) -> None:
    """Write the API's OpenAPI document (docs/openapi.json by default)."""
    from api.openapi_doc import write_openapi

    write_openapi(target)
    click.echo(f"wrote {target}")
