"""Control-plane tables of compliance: the rule sets loaded, each organisation's current findings,
and the rollups that answer the dashboards.

Findings are written by `engine.recompute`, which reads one tenant schema and replaces that
organisation's rows in one transaction; nothing reads tenant schemas to answer a list. The same
transaction moves the organisation's contribution in `compliance_rollup` (see `rollups`), so a
dashboard reads a few hundred rollup rows, never the findings of 10,000 organisations.
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import ControlBase


class ComplianceRuleSet(ControlBase):
    """A rule set as loaded from its file (`metodist rules load`), resolved and validated."""

    __tablename__ = "compliance_rule_set"

    code: Mapped[str] = mapped_column(String(80), unique=True)
    in_force_from: Mapped[datetime.date] = mapped_column(index=True)
    in_force_until: Mapped[datetime.date | None] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))  # of the file as loaded
    source_name: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the resolved rule set (api.domain.compliance.rules)


class ComplianceFinding(ControlBase):
    """One current finding of one organisation: a clause not met, about one subject."""

    __tablename__ = "compliance_finding"
    __table_args__ = (Index("ix_public_compliance_finding_org_clause", "organisation_id", "clause"),)

    organisation_id: Mapped[UUID] = mapped_column(ForeignKey("public.organisation.id", ondelete="CASCADE"))
    rule_set: Mapped[str] = mapped_column(String(80))
    clause: Mapped[str] = mapped_column(String(20), index=True)
    check: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(300))  # the same finding across recomputes keeps its `since`
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[UUID | None] = mapped_column()
    subject_name: Mapped[str] = mapped_column(String(500))
    since: Mapped[datetime.date | None] = mapped_column()
    problem: Mapped[dict[str, str]] = mapped_column(JSONB)  # kk/ru/en
    todo: Mapped[dict[str, str]] = mapped_column(JSONB)  # kk/ru/en: what to do about it
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    web_path: Mapped[str | None] = mapped_column(Text)
    api_path: Mapped[str | None] = mapped_column(Text)


class ComplianceCheckRun(ControlBase):
    """When an organisation was last checked, against which rule set, and what it came to."""

    __tablename__ = "compliance_check_run"

    organisation_id: Mapped[UUID] = mapped_column(ForeignKey("public.organisation.id", ondelete="CASCADE"), unique=True)
    rule_set: Mapped[str | None] = mapped_column(String(80))
    checked_on: Mapped[datetime.date] = mapped_column()
    checked_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    findings: Mapped[int] = mapped_column(Integer, default=0)
    clauses_checked: Mapped[list[str]] = mapped_column(JSONB, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    # What this run adds to the rollups, kept so the next run can take exactly it away again even
    # when the organisation has since moved territory or changed kind.
    counted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    territory_id: Mapped[UUID | None] = mapped_column()
    kind: Mapped[str | None] = mapped_column(String(40))
    by_clause: Mapped[dict[str, int]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'")
    )  # clause → findings


class _Figures:
    """Organisations placed at one territory (not below it), of one kind, summed under a clause."""

    territory_id: Mapped[UUID] = mapped_column(ForeignKey("public.territory.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    clause: Mapped[str] = mapped_column(String(20))
    organisations: Mapped[int] = mapped_column(Integer, default=0)
    compliant: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)


class ComplianceRollup(_Figures, ControlBase):
    """The organisations placed at one territory (not below it), of one kind, summed.

    The row of clause "" counts organisations checked, the compliant among them and all their
    findings; the row of a clause counts the organisations with findings under it and those
    findings. A territory's figures are the sum of its own rows and those of the territories below.
    """

    __tablename__ = "compliance_rollup"
    __table_args__ = (UniqueConstraint("territory_id", "kind", "clause"),)


class ComplianceSnapshot(_Figures, ControlBase):
    """The rollups as they stood on one day (written by the nightly pass), for trends."""

    __tablename__ = "compliance_snapshot"
    __table_args__ = (UniqueConstraint("day", "territory_id", "kind", "clause"),)

    day: Mapped[datetime.date] = mapped_column()  # the unique constraint, led by the day, indexes it
