"""`metodist tenants`: organisations and their schemas, from the command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from api.cli.common import owner_database_url, with_db
from api.settings import get_settings


@click.group()
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

    rows = with_db(get_settings(), work)
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
        click.echo(with_db(get_settings(), work))
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
        owner_database_url(settings),
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

    click.echo(with_db(settings, work))


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
        path = await archive_organisation(db, owner_database_url(settings), org.id, settings.archive_dir)
        return f"{schema} archived; export: {path or 'none (schema did not exist)'}"

    click.echo(with_db(settings, work))
