"""compliance rollups per territory and kind, and their daily snapshots

`compliance_rollup` holds, per territory (the organisations placed there, not below), kind of
organisation and clause, how many organisations were checked, how many are compliant and how many
findings they have; each recompute moves its organisation's contribution in the same transaction.
A check run now records that contribution (`counted`, `territory_id`, `kind`, `by_clause`) so the
next run can take it away exactly. `compliance_snapshot` keeps the rollups of each day for trends.
Existing check runs and their findings are counted here once, so the dashboards are right at once.

Revision ID: 4d2f8a61c3e7
Revises: 7b1e4c2a9d60
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4d2f8a61c3e7"
down_revision: str | Sequence[str] | None = "7b1e4c2a9d60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
STAMP = advanced_alchemy.types.datetime.DateTimeUTC


def _figures(table: str) -> list[sa.Column]:
    return [
        sa.Column("territory_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("clause", sa.String(length=20), nullable=False),
        sa.Column("organisations", sa.Integer(), nullable=False),
        sa.Column("compliant", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", STAMP(timezone=True), nullable=False),
        sa.Column("updated_at", STAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["public.territory.id"],
            name=op.f(f"fk_{table}_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.add_column(
        "compliance_check_run",
        sa.Column("counted", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema="public",
    )
    op.add_column("compliance_check_run", sa.Column("territory_id", GUID(length=16), nullable=True), schema="public")
    op.add_column("compliance_check_run", sa.Column("kind", sa.String(length=40), nullable=True), schema="public")
    op.add_column(
        "compliance_check_run",
        sa.Column("by_clause", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        schema="public",
    )
    op.create_table(
        "compliance_rollup",
        *_figures("compliance_rollup"),
        sa.UniqueConstraint("territory_id", "kind", "clause", name=op.f("uq_compliance_rollup_territory_id")),
        schema="public",
    )
    op.create_table(
        "compliance_snapshot",
        sa.Column("day", sa.Date(), nullable=False),
        *_figures("compliance_snapshot"),
        sa.UniqueConstraint("day", "territory_id", "kind", "clause", name=op.f("uq_compliance_snapshot_day")),
        schema="public",
    )
    # Count what is there already: each checked organisation's findings, by clause.
    op.execute("""
        UPDATE public.compliance_check_run r
           SET counted = r.rule_set IS NOT NULL AND o.status = 'active',
               territory_id = o.territory_id,
               kind = o.kind,
               by_clause = COALESCE((SELECT jsonb_object_agg(f.clause, f.n)
                                       FROM (SELECT clause, count(*) AS n FROM public.compliance_finding
                                              WHERE organisation_id = r.organisation_id GROUP BY clause) f), '{}'::jsonb)
          FROM public.organisation o
         WHERE o.id = r.organisation_id
    """)
    op.execute("""
        INSERT INTO public.compliance_rollup (id, territory_id, kind, clause, organisations, compliant, findings, created_at, updated_at)
        SELECT gen_random_uuid(), territory_id, kind, clause, sum(organisations), sum(compliant), sum(findings), now(), now()
          FROM (SELECT territory_id, kind, '' AS clause, 1 AS organisations, (findings = 0)::int AS compliant, findings
                  FROM public.compliance_check_run WHERE counted
                UNION ALL
                SELECT r.territory_id, r.kind, c.key, 1, 0, c.value::int
                  FROM public.compliance_check_run r, jsonb_each_text(r.by_clause) c WHERE r.counted) x
         GROUP BY territory_id, kind, clause
    """)


def downgrade() -> None:
    op.drop_table("compliance_snapshot", schema="public")
    op.drop_table("compliance_rollup", schema="public")
    for column in ("by_clause", "kind", "territory_id", "counted"):
        op.drop_column("compliance_check_run", column, schema="public")
