"""Alembic configuration for both tracks, built in code so nothing depends on the working directory."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent
CONTROL_DIR = MIGRATIONS_DIR / "control"
TENANT_DIR = MIGRATIONS_DIR / "tenant"


def alembic_config(track_dir: Path, **attributes: object) -> Config:
    config = Config(str(track_dir / "alembic.ini"))
    config.set_main_option("script_location", str(track_dir))
    config.attributes.update(attributes)
    return config


def head_revision(track_dir: Path) -> str:
    head = ScriptDirectory.from_config(alembic_config(track_dir)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {track_dir}")
    return head
