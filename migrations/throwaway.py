"""Copies of the tenant track with throw-away revisions on top, for tests and benchmarks.

The real tree is never touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from migrations.runner import TENANT_DIR, head_revision

_TEMPLATE = '''"""throw-away revision {revision}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None
per_schema = {per_schema}


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def add_revision(
    track: Path, revision: str, down: str, upgrade: Sequence[str], downgrade: Sequence[str], *, per_schema: bool = False
) -> None:
    """Write a revision whose upgrade and downgrade are the given lines of Python."""

    def body(lines: Sequence[str]) -> str:
        return "\n".join(f"    {line}" for line in lines or ["pass"])

    text = _TEMPLATE.format(
        revision=revision, down=down, per_schema=per_schema, upgrade=body(upgrade), downgrade=body(downgrade)
    )
    (track / "versions" / f"2099_01_01_{revision}_throwaway.py").write_text(text)


def throwaway_track(target: Path, revisions: Sequence[tuple[str, str]]) -> Path:
    """Copy migrations/tenant to `target` and chain `(revision id, column)` revisions on its head,
    each adding one nullable column to `settings`."""
    shutil.copytree(TENANT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    down = head_revision(TENANT_DIR)
    for revision, column in revisions:
        add_revision(
            target,
            revision,
            down,
            [f'op.add_column("settings", sa.Column("{column}", sa.Text(), nullable=True))'],
            [f'op.drop_column("settings", "{column}")'],
        )
        down = revision
    return target
