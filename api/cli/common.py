"""What every `metodist` command needs: the settings checked, the owner's connection, a database."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from api.settings import ConfigurationError, Settings, get_settings

T = TypeVar("T")


def safe_settings() -> Settings:
    """The settings, or exit 2 with a message naming the setting when production would be unsafe."""
    try:
        settings = get_settings()
        settings.check_safe()
    except ConfigurationError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    return settings


def owner_database_url(settings: Settings) -> str:
    """The owner's connection: every command here is an operation (migrations, schemas, jobs)."""
    from api.embedded import resolve_owner_url

    return resolve_owner_url(settings)


def grant_app_role(settings: Settings, owner_url: str) -> str:
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


def with_db(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from api.db import Database, create_engine

    async def run() -> T:
        db = Database(create_engine(settings, owner_database_url(settings)), citus=settings.citus)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())
