"""access requests and the identity audit log

A person without a role asks for one at an organisation or a territory (`access_request`); roles
given outside an organisation's own log — the command line's first administrator, answered
requests, invitations matched by hand — are written to `identity_audit_log`, append-only and
hash-chained like a tenant's log (its triggers are the same statements as the model's DDL).

Revision ID: 5e0c1a7d2b94
Revises: 1ddf158840d0
Create Date: 2026-12-03 20:40:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5e0c1a7d2b94"
down_revision: str | Sequence[str] | None = "1ddf158840d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from api.identity.models import IDENTITY_AUDIT_APPEND_ONLY_DDL

    op.create_table(
        "access_request",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("organisation_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("territory_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answered_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("answered_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("granted_role", sa.String(length=40), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name=op.f("ck_access_request_access_request_one_node"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined', 'withdrawn')",
            name=op.f("ck_access_request_access_request_status"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["public.user_account.id"],
            name=op.f("fk_access_request_answered_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["public.organisation.id"], name=op.f("fk_access_request_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["public.territory.id"], name=op.f("fk_access_request_territory_id_territory")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.user_account.id"],
            name=op.f("fk_access_request_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_request")),
        schema="public",
    )
    op.create_index(
        op.f("ix_public_access_request_organisation_id"),
        "access_request",
        ["organisation_id"],
        unique=False,
        schema="public",
    )
    op.create_index(
        op.f("ix_public_access_request_status"), "access_request", ["status"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_access_request_territory_id"), "access_request", ["territory_id"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_access_request_user_id"), "access_request", ["user_id"], unique=False, schema="public"
    )
    op.create_table(
        "identity_audit_log",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("actor_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("token_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("subject_user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity", sa.String(length=80), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_identity_audit_log_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_identity_audit_log_prev_hash")),
        sa.UniqueConstraint("seq", name=op.f("uq_identity_audit_log_seq")),
        schema="public",
    )
    op.create_index(
        op.f("ix_public_identity_audit_log_action"), "identity_audit_log", ["action"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_identity_audit_log_actor_id"), "identity_audit_log", ["actor_id"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_identity_audit_log_subject_user_id"),
        "identity_audit_log",
        ["subject_user_id"],
        unique=False,
        schema="public",
    )
    for statement in IDENTITY_AUDIT_APPEND_ONLY_DDL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f("ix_public_identity_audit_log_action"), table_name="identity_audit_log", schema="public")
    op.drop_index(op.f("ix_public_identity_audit_log_actor_id"), table_name="identity_audit_log", schema="public")
    op.drop_index(
        op.f("ix_public_identity_audit_log_subject_user_id"), table_name="identity_audit_log", schema="public"
    )
    op.drop_table("identity_audit_log", schema="public")
    op.execute("DROP FUNCTION public.identity_audit_log_refuse_change()")
    op.drop_index(op.f("ix_public_access_request_user_id"), table_name="access_request", schema="public")
    op.drop_index(op.f("ix_public_access_request_territory_id"), table_name="access_request", schema="public")
    op.drop_index(op.f("ix_public_access_request_status"), table_name="access_request", schema="public")
    op.drop_index(op.f("ix_public_access_request_organisation_id"), table_name="access_request", schema="public")
    op.drop_table("access_request", schema="public")
