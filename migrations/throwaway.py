"""Copies of the tenant track with throw-away additive revisions on top, for tests and benchmarks.

The real tree is never touched: each revision adds one nullable column to `settings`.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from migrations.runner import TENANT_DIR, head_revision

_TEMPLATE = '''"""throw-away revision: settings.{column}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("settings", sa.Column("{column}", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("settings", "{column}")
'''


def throwaway_track(target: Path, revisions: Sequence[tuple[str, str]]) -> Path:
    """Copy migrations/tenant to `target` and chain `(revision id, column)` revisions on its head."""
    shutil.copytree(TENANT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    down = head_revision(TENANT_DIR)
    for revision, column in revisions:
        text = _TEMPLATE.format(revision=revision, down=down, column=column)
        (target / "versions" / f"2099_01_01_{revision}_throwaway_{column}.py").write_text(text)
        down = revision
    return target
