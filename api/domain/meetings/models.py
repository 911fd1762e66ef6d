"""Meetings of any body, with their agenda, attendance, minutes and decisions.

A body is referred to as (body_kind, body_id): associations, councils, commissions and the other
bodies live in tables of their own, and the registry (api.domain.bodies.registry) resolves the
pair. No polymorphic foreign key: the service checks the body exists when a meeting is made.
The quorum is the body's own setting (its `quorum_rule`, more than half by default).
"""

from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.planes import TenantBase


class Meeting(TenantBase):
    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_body_starts", "body_kind", "body_id", "starts_at"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    body_kind: Mapped[str] = mapped_column(String(40))
    body_id: Mapped[UUID] = mapped_column()
    title: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    ends_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    place: Mapped[str | None] = mapped_column(String(300))
    minutes: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", lazy="selectin"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="meeting", order_by="Decision.number", cascade="all, delete-orphan", lazy="selectin"
    )


class AgendaItem(TenantBase):
    __tablename__ = "meeting_agenda_items"

    meeting_id: Mapped[UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    # A document under review discussed at this item; the documents live in the review domain.
    document_id: Mapped[UUID | None] = mapped_column(index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")


class Attendance(TenantBase):
    """A person at a meeting. Local bodies: `staff_id` (staff of this organisation). Inter-school
    associations: `organisation_id` + `staff_id` of the member's school, and the `member_id` they
    were recorded by. Sector unions: `member_id` (a union member may have no staff record)."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "staff_id"),
        # Named: the convention names a unique constraint by its first column, as the one above.
        UniqueConstraint("meeting_id", "member_id", name="uq_meeting_attendance_member_id"),
        CheckConstraint("NOT present OR absence_reason IS NULL", name="reason_if_absent"),
        CheckConstraint("staff_id IS NOT NULL OR member_id IS NOT NULL", name="names_a_person"),
    )

    # No index of its own: the unique constraint it leads serves lookups by it.
    meeting_id: Mapped[UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    staff_id: Mapped[UUID | None] = mapped_column(index=True)
    organisation_id: Mapped[UUID | None] = mapped_column()
    member_id: Mapped[UUID | None] = mapped_column()
    present: Mapped[bool] = mapped_column()
    absence_reason: Mapped[str | None] = mapped_column(String(300))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")


class Decision(TenantBase):
    __tablename__ = "meeting_decisions"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    # No index of its own: the unique constraint it leads serves lookups by it.
    meeting_id: Mapped[UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    agenda_item_id: Mapped[UUID | None] = mapped_column(ForeignKey("meeting_agenda_items.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
