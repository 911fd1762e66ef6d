"""spare tenant schemas built ahead of demand

One row per spare schema (tenants/spares.py), written in the same transaction as the schema.

Revision ID: 1ddf158840d0
Revises: cf90c137e23a
Create Date: 2026-12-03 07:10:29.607077
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "1ddf158840d0"
down_revision: str | Sequence[str] | None = "cf90c137e23a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spare_schema",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spare_schema")),
        sa.UniqueConstraint("name", name=op.f("uq_spare_schema_name")),
        schema="public",
    )
    op.create_index(op.f("ix_public_spare_schema_version"), "spare_schema", ["version"], unique=False, schema="public")


def downgrade() -> None:
    op.drop_index(op.f("ix_public_spare_schema_version"), table_name="spare_schema", schema="public")
    op.drop_table("spare_schema", schema="public")
