"""idempotency records: a creating request's Idempotency-Key, claimed in the request's own
transaction, with the answer given (api.idempotency)

Revision ID: b7e2c4d9a1f3
Revises: 4d2f8a61c3e7
Create Date: 2026-12-07 18:00:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "b7e2c4d9a1f3"
down_revision: str | Sequence[str] | None = "4d2f8a61c3e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("caller", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("caller", "key", name=op.f("uq_idempotency_record_caller")),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("idempotency_record", schema="public")
