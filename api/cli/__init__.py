"""`metodist`: serve the product and run its operations from the command line.

This module holds the group and the commands that run the product (serve, worker, db, territories,
demo, openapi); each other group is a module of this package, added below.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import click

from api.cli.common import grant_app_role, owner_database_url, safe_settings, with_db
from api.cli.imports import import_
from api.cli.oversight import admin, audit, keys, rules
from api.cli.tenants import tenants
from api.settings import get_settings


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

    settings = safe_settings()
    configure_logging(json=settings.log_json)
    database_url = owner_database_url(settings)
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

    created = with_db(settings, prepare)
    if created:
        click.echo(f"Loaded the demo data set: {created} organisations.")
    app_url = grant_app_role(settings, database_url)
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
    from api.job_queue import build_queue
    from api.jobs import Jobs
    from api.logs import configure_logging

    settings = safe_settings()
    configure_logging(json=settings.log_json)
    database_url = owner_database_url(settings)

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
    owner_url = owner_database_url(settings)
    upgrade_control(owner_url)
    count = with_db(settings, lambda d: load_territories(d, settings))
    grant_app_role(settings, owner_url)
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
        count = with_db(get_settings(), lambda d: load_territories(d, get_settings(), file))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{count} territories loaded from {file.name}.")


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

    created = with_db(settings, work)
    click.echo(f"{created} demo organisations created." if created else "Organisations exist already; nothing loaded.")


@main.command("openapi")
@click.argument("target", type=click.Path(dir_okay=False), default="docs/openapi.json")
def openapi(target: str) -> None:
    """Write the API's OpenAPI document (docs/openapi.json by default)."""
    from api.openapi_doc import write_openapi

    write_openapi(target)
    click.echo(f"wrote {target}")


for _group in (tenants, audit, keys, admin, rules, import_):
    main.add_command(_group)
