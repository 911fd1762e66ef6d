"""control plane audit log of role grants and revocations (append-only)

Revision ID: 7e2b4f0c1a9d
Revises: 1ddf158840d0
Create Date: 2026-12-03 20:40:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '7e2b4f0c1a9d'
down_revision: str | Sequence[str] | None = '1ddf158840d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same statements as api.identity.control_audit.CONTROL_AUDIT_APPEND_ONLY_DDL (kept here as
# they were when this revision was written).
APPEND_ONLY = (
    "CREATE FUNCTION public.control_audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'control_audit_log is append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER control_audit_log_append_only BEFORE UPDATE OR DELETE ON public.control_audit_log "
    "FOR EACH ROW EXECUTE FUNCTION public.control_audit_log_refuse_change()",
    "CREATE TRIGGER control_audit_log_no_truncate BEFORE TRUNCATE ON public.control_audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION public.control_audit_log_refuse_change()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON public.control_audit_log FROM PUBLIC",
)


def upgrade() -> None:
    op.create_table('control_audit_log',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('actor_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('token_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('entity', sa.String(length=80), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=True),
    sa.Column('subject_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('recorded_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_control_audit_log')),
    schema='public'
    )
    op.create_index(op.f('ix_public_control_audit_log_action'), 'control_audit_log', ['action'], unique=False, schema='public')
    op.create_index(op.f('ix_public_control_audit_log_actor_id'), 'control_audit_log', ['actor_id'], unique=False, schema='public')
    op.create_index(op.f('ix_public_control_audit_log_subject_user_id'), 'control_audit_log', ['subject_user_id'], unique=False, schema='public')
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f('ix_public_control_audit_log_subject_user_id'), table_name='control_audit_log', schema='public')
    op.drop_index(op.f('ix_public_control_audit_log_actor_id'), table_name='control_audit_log', schema='public')
    op.drop_index(op.f('ix_public_control_audit_log_action'), table_name='control_audit_log', schema='public')
    op.drop_table('control_audit_log', schema='public')
    op.execute("DROP FUNCTION public.control_audit_log_refuse_change()")
