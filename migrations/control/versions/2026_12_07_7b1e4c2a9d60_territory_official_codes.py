"""territories' official codes (KATO)

A territory may carry its code of the Classifier of Administrative-Territorial Objects, nine
digits, so that an import file can name a place the way the state registers name it. The code is
optional (a district added by hand may not know it yet) and unique where given.

Revision ID: 7b1e4c2a9d60
Revises: 03692e523dfb
Create Date: 2026-12-07 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b1e4c2a9d60"
down_revision: str | Sequence[str] | None = "03692e523dfb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("territory", sa.Column("code", sa.String(length=9), nullable=True), schema="public")
    op.create_unique_constraint(op.f("uq_territory_code"), "territory", ["code"], schema="public")
    op.create_check_constraint(op.f("ck_territory_territory_code"), "territory", "code ~ '^[0-9]{9}$'", schema="public")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_territory_territory_code"), "territory", schema="public", type_="check")
    op.drop_constraint(op.f("uq_territory_code"), "territory", schema="public", type_="unique")
    op.drop_column("territory", "code", schema="public")
