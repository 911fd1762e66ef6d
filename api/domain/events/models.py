"""Forms of collective work (cl. 15): scheduled, with participants, materials and an outcome."""

from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.events.rules import EventKind
from api.planes import TenantBase

_KINDS = ", ".join(f"'{k.value}'" for k in EventKind)


class MethodologicalEvent(TenantBase):
    __tablename__ = "methodological_events"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("(organiser_body_kind IS NULL) = (organiser_body_id IS NULL)", name="organiser"),
        Index("ix_methodological_events_organiser", "organiser_body_kind", "organiser_body_id"),
    )

    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    ends_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    place: Mapped[str | None] = mapped_column(String(300))
    organiser_body_kind: Mapped[str | None] = mapped_column(String(40))
    organiser_body_id: Mapped[UUID | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    participants: Mapped[list[EventParticipant]] = relationship(
        back_populates="event", order_by="EventParticipant.position", cascade="all, delete-orphan", lazy="selectin"
    )
    materials: Mapped[list[EventMaterial]] = relationship(
        back_populates="event", order_by="EventMaterial.position", cascade="all, delete-orphan", lazy="selectin"
    )


class EventParticipant(TenantBase):
    """A member of staff, or a person from outside named as written (a guest lecturer…)."""

    __tablename__ = "methodological_event_participants"
    __table_args__ = (CheckConstraint("(staff_id IS NULL) <> (external_name IS NULL)", name="one_of"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("methodological_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[UUID | None] = mapped_column(index=True)
    external_name: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(120))  # speaker, moderator…

    event: Mapped[MethodologicalEvent] = relationship(back_populates="participants")


class EventMaterial(TenantBase):
    """A handout, slides or a recording: a link, or a reference to a stored file."""

    __tablename__ = "methodological_event_materials"
    __table_args__ = (CheckConstraint("url IS NOT NULL OR file_ref IS NOT NULL", name="where"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("methodological_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    file_ref: Mapped[str | None] = mapped_column(String(500))

    event: Mapped[MethodologicalEvent] = relationship(back_populates="materials")
