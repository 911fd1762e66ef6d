"""staff IIN for imports

`staff.iin`: the individual identification number a staff import (api.domain.onboarding)
matches people by, with one live record per IIN.

Revision ID: 955fb906f9b0
Revises: 5c13a9d2e7f4
Create Date: 2026-12-07 02:53:15.564892
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "955fb906f9b0"
down_revision: str | Sequence[str] | None = "5c13a9d2e7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# True when upgrade() reads the tenant's data in Python (op.get_bind() and its rows): the revision
# then runs through Alembic schema by schema, instead of as SQL rendered once and replayed in
# every schema (tenants/upgrades.py).
per_schema = False


def upgrade() -> None:
    op.add_column("staff", sa.Column("iin", sa.String(length=12), nullable=True))
    op.create_index(
        "uq_staff_iin_live",
        "staff",
        ["iin"],
        unique=True,
        postgresql_where=sa.text("iin IS NOT NULL AND archived_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_staff_iin_live", table_name="staff", postgresql_where=sa.text("iin IS NOT NULL AND archived_at IS NULL")
    )
    op.drop_column("staff", "iin")
