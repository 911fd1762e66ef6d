"""Documents and their versions (tenant plane).

A version's file is immutable and kept by its SHA-256; the row says where it came from and why
it changed. Submitting a version for review locks it (`locked_at`): from then on nothing about it
changes and it cannot be withdrawn, because a body may already be discussing it.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import TenantBase


class Document(TenantBase):
    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('working_curriculum', 'working_programme', 'lesson_plan', 'guidelines', 'other', "
            "'methodological_product', 'normative_document', 'association_plan')",
            name="document_kind",
        ),
        CheckConstraint("status IN ('draft', 'in_review', 'returned', 'rejected', 'approved')", name="document_status"),
        CheckConstraint("school_year IS NULL OR school_year BETWEEN 2000 AND 2100", name="document_school_year"),
    )

    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(500))
    # Authors: teachers (staff ids of this tenant) and/or a unit that developed it.
    author_staff_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    unit_id: Mapped[UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # The association whose annual plan this is (cl. 29).
    association_id: Mapped[UUID | None] = mapped_column(ForeignKey("association.id"), index=True)
    subject_id: Mapped[UUID | None] = mapped_column(ForeignKey("subject.id"), index=True)
    school_year: Mapped[int | None] = mapped_column(SmallInteger)  # 2025 means 2025/2026
    # The model curriculum or model programme (or standard) it follows (cl. 19, 20).
    follows_model: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    approved_version_id: Mapped[UUID | None] = mapped_column()  # a locked version of this document
    approved_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_by: Mapped[UUID | None] = mapped_column()  # shared user, by id only


class DocumentVersion(TenantBase):
    __tablename__ = "document_version"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint("size > 0", name="document_version_not_empty"),
        CheckConstraint("format IN ('pdf', 'docx', 'xlsx', 'odt')", name="document_version_format"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="document_version_sha256"),
    )

    # No index of its own: the unique constraint it leads serves lookups by it.
    document_id: Mapped[UUID] = mapped_column(ForeignKey("document.id"))
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    store: Mapped[str] = mapped_column(String(16), default="local")
    change_note: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[UUID | None] = mapped_column()
    locked_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
