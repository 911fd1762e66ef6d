"""Review routes, rounds, stages and decisions; notifications and their delivery (tenant plane).

The database holds the same rules as the aggregate, so that no code path can break them:
- one open round per document (`uq_review_round_open`);
- one decision per stage per submission (`uq_review_decision_single`), and per member council at
  the all-councils stage (`uq_review_decision_member`);
- an idempotency key is used once per user (`uq_review_decision_idempotency`);
- rounds carry `lock_version`, bumped by every transition under a row lock (SELECT … FOR UPDATE),
  so two deciders are serialised and the second one sees the first one's decision.
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import TenantBase


class ReviewRoute(TenantBase):
    """The organisation's own route for one document kind; the clause's default applies without one."""

    __tablename__ = "review_route"

    document_kind: Mapped[str] = mapped_column(String(40), unique=True)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    updated_by: Mapped[UUID | None] = mapped_column()


class ReviewRound(TenantBase):
    __tablename__ = "review_round"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint("status IN ('in_review', 'returned', 'rejected', 'approved')", name="review_round_status"),
        CheckConstraint("(status = 'approved') = (current_position IS NULL)", name="review_round_current_stage"),
        Index("uq_review_round_open", "document_id", unique=True, postgresql_where=text("status <> 'approved'")),
    )

    # No index of its own: the unique constraint it leads serves lookups by it.
    document_id: Mapped[UUID] = mapped_column(ForeignKey("document.id"))
    number: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[UUID] = mapped_column(ForeignKey("document_version.id"))  # the version under review
    submission: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_position: Mapped[int | None] = mapped_column(SmallInteger)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_by: Mapped[UUID | None] = mapped_column()
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class ReviewStage(TenantBase):
    __tablename__ = "review_stage"
    __table_args__ = (
        UniqueConstraint("round_id", "position"),
        CheckConstraint("kind IN ('review', 'all_councils', 'approval')", name="review_stage_kind"),
        CheckConstraint(
            "status IN ('waiting', 'active', 'passed', 'returned', 'rejected')", name="review_stage_status"
        ),
    )

    # No index of its own: the unique constraint it leads serves lookups by it.
    round_id: Mapped[UUID] = mapped_column(ForeignKey("review_round.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(20))
    selector: Mapped[str] = mapped_column(String(40))
    clause: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(400))
    approver_roles: Mapped[list[str]] = mapped_column(JSONB, default=list)
    due_days: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    activated_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    due_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True), index=True)
    # Reminders sent for the activation (submission) they belong to: one each, never repeated.
    reminded_submission: Mapped[int | None] = mapped_column(Integer)
    overdue_submission: Mapped[int | None] = mapped_column(Integer)


class ReviewStageMember(TenantBase):
    """A body reviewing at a stage: one for a review stage, every council for the all-councils stage."""

    __tablename__ = "review_stage_member"
    __table_args__ = (UniqueConstraint("stage_id", "body_id"),)

    # No index of its own: the unique constraint it leads serves lookups by it.
    stage_id: Mapped[UUID] = mapped_column(ForeignKey("review_stage.id"))
    body_kind: Mapped[str] = mapped_column(String(40))  # a bodies.rules.BodyKind, or "unit" for an office
    body_id: Mapped[UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(300))
    collegial: Mapped[bool] = mapped_column(default=True)


class ReviewMissingStage(TenantBase):
    """A stage of the clause's route that a round goes without, because the organisation lacks the
    body (a school with no methodological councils, cl. 20 and 32). Recorded when the round starts,
    so that the author and the approver see it in the timeline and compliance checks can report it
    (`SELECT … FROM review_missing_stage WHERE clause = '20'`)."""

    __tablename__ = "review_missing_stage"

    round_id: Mapped[UUID] = mapped_column(ForeignKey("review_round.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)  # its place among the route's templates
    selector: Mapped[str] = mapped_column(String(40))
    clause: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(400))
    body_kind: Mapped[str | None] = mapped_column(String(40))  # a named body stage whose body is gone
    body_id: Mapped[UUID | None] = mapped_column()


class ReviewDecision(TenantBase):
    __tablename__ = "review_decision"
    __table_args__ = (
        CheckConstraint("outcome IN ('positive', 'negative', 'return')", name="review_decision_outcome"),
        CheckConstraint("outcome = 'positive' OR remarks IS NOT NULL", name="review_decision_remarks"),
        CheckConstraint("NOT parallel OR body_id IS NOT NULL", name="review_decision_member"),
        Index(
            "uq_review_decision_single",
            "round_id",
            "stage_id",
            "submission",
            unique=True,
            postgresql_where=text("NOT parallel"),
        ),
        Index(
            "uq_review_decision_member",
            "round_id",
            "stage_id",
            "submission",
            "body_id",
            unique=True,
            postgresql_where=text("parallel"),
        ),
        Index(
            "uq_review_decision_idempotency",
            "decided_by",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    round_id: Mapped[UUID] = mapped_column(ForeignKey("review_round.id"), index=True)
    stage_id: Mapped[UUID] = mapped_column(ForeignKey("review_stage.id"))
    submission: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[UUID] = mapped_column(ForeignKey("document_version.id"))
    parallel: Mapped[bool] = mapped_column(default=False)
    body_kind: Mapped[str | None] = mapped_column(String(40))
    body_id: Mapped[UUID | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20))
    remarks: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[UUID | None] = mapped_column()
    decided_by_staff_id: Mapped[UUID | None] = mapped_column()
    decided_by_name: Mapped[str] = mapped_column(String(300))
    decided_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    meeting_id: Mapped[UUID | None] = mapped_column(ForeignKey("meetings.id"))
    agenda_item_id: Mapped[UUID | None] = mapped_column(ForeignKey("meeting_agenda_items.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))


class Notification(TenantBase):
    """One thing a person should know: in the app until read, and by email per their choice."""

    __tablename__ = "review_notification"
    __table_args__ = (
        CheckConstraint(
            "email_state IN ('pending', 'sent', 'failed', 'skipped')", name="review_notification_email_state"
        ),
        Index("ix_review_notification_recipient", "recipient_user_id", "read_at"),
    )

    recipient_user_id: Mapped[UUID] = mapped_column()
    event: Mapped[str] = mapped_column(String(40))  # stage_waiting, returned, approved, reminder, overdue
    document_id: Mapped[UUID | None] = mapped_column(ForeignKey("document.id"), index=True)
    round_id: Mapped[UUID | None] = mapped_column()
    stage_id: Mapped[UUID | None] = mapped_column()
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    email_state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    emailed_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class NotificationPreference(TenantBase):
    __tablename__ = "review_notification_preference"
    __table_args__ = (CheckConstraint("delivery IN ('event', 'digest', 'none')", name="review_notification_delivery"),)

    user_id: Mapped[UUID] = mapped_column(unique=True)
    delivery: Mapped[str] = mapped_column(String(10), default="event")
    last_digest_on: Mapped[datetime.date | None] = mapped_column()
