"""control plane: API tokens of machine clients (hashed secrets, one role at one node)

Revision ID: 319165633b8a
Revises: 856aa887ecc3
Create Date: 2026-11-25 23:03:54.560150
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "319165633b8a"
down_revision: str | Sequence[str] | None = "856aa887ecc3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("display_prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("territory_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("organisation_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("unit_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("revoked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("last_used_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_used_ip", sa.String(length=64), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name=op.f("ck_api_token_api_token_one_node"),
        ),
        sa.CheckConstraint(
            "unit_id IS NULL OR organisation_id IS NOT NULL", name=op.f("ck_api_token_api_token_unit_in_org")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["public.user_account.id"],
            name=op.f("fk_api_token_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["public.organisation.id"], name=op.f("fk_api_token_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"],
            ["public.user_account.id"],
            name=op.f("fk_api_token_revoked_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["public.territory.id"], name=op.f("fk_api_token_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_token_secret_hash")),
        schema="public",
    )
    op.create_index(
        op.f("ix_public_api_token_organisation_id"), "api_token", ["organisation_id"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_api_token_territory_id"), "api_token", ["territory_id"], unique=False, schema="public"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_public_api_token_territory_id"), table_name="api_token", schema="public")
    op.drop_index(op.f("ix_public_api_token_organisation_id"), table_name="api_token", schema="public")
    op.drop_table("api_token", schema="public")
