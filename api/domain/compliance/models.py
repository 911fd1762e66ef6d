"""Control-plane tables of compliance: the rule sets loaded, and each organisation's current findings.

Findings are written by `engine.recompute`, which reads one tenant schema and replaces that
organisation's rows in one transaction; nothing reads tenant schemas to answer a list.
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, String, Text
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
