"""Bringing a database to a working state: control migrations, territories, tenant migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, pool

from api.db import Database, sync_url
from api.domain.territories.services import TerritoryService
from api.settings import Settings
from migrations.runner import CONTROL_DIR, alembic_config


def upgrade_control(database_url: str) -> None:
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(CONTROL_DIR, connection=conn), "head")
    finally:
        engine.dispose()


async def load_territories(db: Database, settings: Settings, path: Path | None = None) -> int:
    """The territories of `path` (the project's own list when None), in one transaction."""
    async with db.session() as session, session.begin():
        return await TerritoryService(session).load_csv(path or settings.territories_csv)
