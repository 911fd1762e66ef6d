"""compliance: rule sets loaded from files, each organisation's current findings and last check

The Rules as data (`api/domain/compliance/rulesets/*.toml`, loaded with `metodist rules load`)
are stored resolved in `compliance_rule_set`; `compliance_finding` holds the current findings of
each organisation, replaced as a whole by each recompute, and `compliance_check_run` when it was
last checked and against which rule set.

Revision ID: 9c3e71b0a5d4
Revises: 5e0c1a7d2b94
Create Date: 2026-12-07 03:45:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c3e71b0a5d4"
down_revision: str | Sequence[str] | None = "5e0c1a7d2b94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
STAMP = advanced_alchemy.types.datetime.DateTimeUTC


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", STAMP(timezone=True), nullable=False),
        sa.Column("updated_at", STAMP(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "compliance_rule_set",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("in_force_from", sa.Date(), nullable=False),
        sa.Column("in_force_until", sa.Date(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_rule_set")),
        sa.UniqueConstraint("code", name=op.f("uq_compliance_rule_set_code")),
        schema="public",
    )
    op.create_index(
        op.f("ix_public_compliance_rule_set_in_force_from"),
        "compliance_rule_set",
        ["in_force_from"],
        unique=False,
        schema="public",
    )
    op.create_table(
        "compliance_finding",
        sa.Column("organisation_id", GUID(length=16), nullable=False),
        sa.Column("rule_set", sa.String(length=80), nullable=False),
        sa.Column("clause", sa.String(length=20), nullable=False),
        sa.Column("check", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", GUID(length=16), nullable=True),
        sa.Column("subject_name", sa.String(length=500), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("problem", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("todo", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("web_path", sa.Text(), nullable=True),
        sa.Column("api_path", sa.Text(), nullable=True),
        *_common(),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["public.organisation.id"],
            name=op.f("fk_compliance_finding_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_finding")),
        schema="public",
    )
    op.create_index(
        "ix_public_compliance_finding_org_clause",
        "compliance_finding",
        ["organisation_id", "clause"],
        unique=False,
        schema="public",
    )
    op.create_index(
        op.f("ix_public_compliance_finding_clause"), "compliance_finding", ["clause"], unique=False, schema="public"
    )
    op.create_table(
        "compliance_check_run",
        sa.Column("organisation_id", GUID(length=16), nullable=False),
        sa.Column("rule_set", sa.String(length=80), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checked_at", STAMP(timezone=True), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("clauses_checked", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_common(),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["public.organisation.id"],
            name=op.f("fk_compliance_check_run_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_check_run")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_compliance_check_run_organisation_id")),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("compliance_check_run", schema="public")
    op.drop_index("ix_public_compliance_finding_org_clause", table_name="compliance_finding", schema="public")
    op.drop_index(op.f("ix_public_compliance_finding_clause"), table_name="compliance_finding", schema="public")
    op.drop_table("compliance_finding", schema="public")
    op.drop_index(
        op.f("ix_public_compliance_rule_set_in_force_from"), table_name="compliance_rule_set", schema="public"
    )
    op.drop_table("compliance_rule_set", schema="public")
