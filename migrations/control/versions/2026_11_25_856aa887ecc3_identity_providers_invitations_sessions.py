"""identity: providers, invitations, sessions

Revision ID: 856aa887ecc3
Revises: ac396e7498ad
Create Date: 2026-11-25 23:00:37.646927
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "856aa887ecc3"
down_revision: str | Sequence[str] | None = "ac396e7498ad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("last_seen_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ended_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.user_account.id"],
            name=op.f("fk_user_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_session_key_hash")),
        schema="public",
    )
    op.create_index(op.f("ix_public_user_session_user_id"), "user_session", ["user_id"], unique=False, schema="public")
    op.create_table(
        "identity_provider",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("organisation_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("use_userinfo", sa.Boolean(), nullable=False),
        sa.Column("allowed_domains", postgresql.ARRAY(sa.String(length=255)), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["public.user_account.id"],
            name=op.f("fk_identity_provider_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["public.organisation.id"],
            name=op.f("fk_identity_provider_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_provider")),
        sa.UniqueConstraint(
            "organisation_id", "issuer", "client_id", name=op.f("uq_identity_provider_organisation_id")
        ),
        schema="public",
    )
    op.create_index(
        op.f("ix_public_identity_provider_organisation_id"),
        "identity_provider",
        ["organisation_id"],
        unique=False,
        schema="public",
    )
    op.create_table(
        "invitation",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("territory_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("unit_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("invited_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("revoked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("accepted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("accepted_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("mail_sent_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("mail_error", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name=op.f("ck_invitation_invitation_one_node"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["public.user_account.id"],
            name=op.f("fk_invitation_accepted_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["public.user_account.id"],
            name=op.f("fk_invitation_invited_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["public.organisation.id"], name=op.f("fk_invitation_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["public.territory.id"], name=op.f("fk_invitation_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
        schema="public",
    )
    op.create_index(op.f("ix_public_invitation_email"), "invitation", ["email"], unique=False, schema="public")
    op.create_index(
        op.f("ix_public_invitation_organisation_id"), "invitation", ["organisation_id"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_invitation_territory_id"), "invitation", ["territory_id"], unique=False, schema="public"
    )
    op.add_column("user_account", sa.Column("email_verified", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(
        "user_account",
        sa.Column("last_sign_in_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("user_account", "last_sign_in_at")
    op.drop_column("user_account", "email_verified")
    op.drop_index(op.f("ix_public_invitation_territory_id"), table_name="invitation", schema="public")
    op.drop_index(op.f("ix_public_invitation_organisation_id"), table_name="invitation", schema="public")
    op.drop_index(op.f("ix_public_invitation_email"), table_name="invitation", schema="public")
    op.drop_table("invitation", schema="public")
    op.drop_index(op.f("ix_public_identity_provider_organisation_id"), table_name="identity_provider", schema="public")
    op.drop_table("identity_provider", schema="public")
    op.drop_index(op.f("ix_public_user_session_user_id"), table_name="user_session", schema="public")
    op.drop_table("user_session", schema="public")
