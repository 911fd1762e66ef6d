"""Annual work plans of associations (cl. 29) and their items, tagged with a direction of cl. 7.

One plan per association and school year; a change to an approved plan is a new version of the
same plan, so (association, year, version) is unique and earlier versions stay as history.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.plans.rules import Direction, PlanStatus
from api.planes import TenantBase

_STATUSES = ", ".join(f"'{s.value}'" for s in PlanStatus)
_DIRECTIONS = ", ".join(f"'{d.value}'" for d in Direction)


class WorkPlan(TenantBase):
    __tablename__ = "work_plans"
    __table_args__ = (
        UniqueConstraint("association_id", "school_year", "version"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint("school_year BETWEEN 2000 AND 2100", name="school_year"),
        CheckConstraint("version >= 1", name="version"),
        # At most one version of a plan is being worked on at a time.
        Index(
            "uq_work_plans_open_version",
            "association_id",
            "school_year",
            unique=True,
            postgresql_where=text("status IN ('draft', 'submitted') AND archived_at IS NULL"),
        ),
    )

    # No index of its own: the unique constraint it leads serves lookups by it.
    association_id: Mapped[UUID] = mapped_column(ForeignKey("association.id"))
    # The year the school year starts (2026 means 2026/2027), as in the academic calendar.
    school_year: Mapped[int] = mapped_column(SmallInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.DRAFT.value)
    title: Mapped[str | None] = mapped_column(String(300))
    # Cl. 29: the plan rests on diagnostics, analysis, control and the aims of development.
    basis: Mapped[str | None] = mapped_column(Text)
    previous_version_id: Mapped[UUID | None] = mapped_column(ForeignKey("work_plans.id"))
    submitted_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    submitted_by: Mapped[UUID | None] = mapped_column()
    approved_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    approved_by: Mapped[UUID | None] = mapped_column()
    return_comment: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", order_by="PlanItem.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PlanItem(TenantBase):
    __tablename__ = "work_plan_items"
    __table_args__ = (
        CheckConstraint(f"direction IN ({_DIRECTIONS})", name="direction"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    )

    plan_id: Mapped[UUID] = mapped_column(ForeignKey("work_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[datetime.date] = mapped_column(Date)
    ends_on: Mapped[datetime.date | None] = mapped_column(Date)
    responsible_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)  # staff ids

    plan: Mapped[WorkPlan] = relationship(back_populates="items")
