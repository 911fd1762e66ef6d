"""The organisation's structure (tenant plane): units, staff, subjects, the academic calendar.

Rows are never deleted: they are archived (`archived_at`), so the audit log, past meetings and
plans keep pointing at something real.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from api.planes import TenantBase


class Archivable:
    """Soft removal: an archived row is hidden from lists unless asked for, and never deleted."""

    @declared_attr
    def archived_at(cls) -> Mapped[datetime.datetime | None]:  # noqa: N805
        return mapped_column(DateTimeUTC(timezone=True), nullable=True)


class Unit(Archivable, TenantBase):
    """A structural unit (cl. 10): association, commission, department, division, faculty …

    Units form a tree inside the organisation. Which kinds an organisation may have depends on
    its kind (`structure.rules.UNIT_KINDS`). The regulation the unit works under (cl. 11) is a
    document of the organisation, referred to by id (documents live in their own package).
    """

    __tablename__ = "unit"

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    regulation_document_id: Mapped[UUID | None] = mapped_column()
    regulation_title: Mapped[str | None] = mapped_column(String(300))
    regulation_approved_on: Mapped[datetime.date | None] = mapped_column()


class Subject(Archivable, TenantBase):
    """A subject (discipline) of the organisation's catalogue; schools start with the
    general-education subjects (`structure.rules.SCHOOL_SUBJECTS`)."""

    __tablename__ = "subject"
    __table_args__ = (Index("uq_subject_code_live", "code", unique=True, postgresql_where=text("archived_at IS NULL")),)

    code: Mapped[str] = mapped_column(String(60))
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))


class Staff(Archivable, TenantBase):
    """A person working in the organisation. `user_id` is the shared user account, by id only:
    no foreign key leaves the tenant schema."""

    __tablename__ = "staff"
    __table_args__ = (
        Index(
            "uq_staff_user_live",
            "user_id",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL AND archived_at IS NULL"),
        ),
        # A staff import matches people by IIN: one live record per IIN.
        Index(
            "uq_staff_iin_live", "iin", unique=True, postgresql_where=text("iin IS NOT NULL AND archived_at IS NULL")
        ),
    )

    full_name: Mapped[str] = mapped_column(String(300), index=True)
    # Individual identification number (12 digits with a check digit), from a staff import.
    iin: Mapped[str | None] = mapped_column(String(12))
    user_id: Mapped[UUID | None] = mapped_column()
    email: Mapped[str | None] = mapped_column(String(320))
    positions: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    unit_id: Mapped[UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # The unit this person heads (position unit_head).
    heads_unit_id: Mapped[UUID | None] = mapped_column(ForeignKey("unit.id"))
    qualification_category: Mapped[str | None] = mapped_column(String(40))
    # Cl. 14, 31: a deputy head for academic work leads the subjects they supervise.
    supervised_subject_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    note: Mapped[str | None] = mapped_column(Text)


class StaffSubject(TenantBase):
    """A subject a person teaches (counted for cl. 26)."""

    __tablename__ = "staff_subject"
    __table_args__ = (UniqueConstraint("staff_id", "subject_id"),)

    # No index of its own: the unique constraint it leads serves lookups by it.
    staff_id: Mapped[UUID] = mapped_column(ForeignKey("staff.id"))
    subject_id: Mapped[UUID] = mapped_column(ForeignKey("subject.id"), index=True)


class AcademicTerm(Archivable, TenantBase):
    """One term of a school year: a quarter in schools, a semester in colleges and universities.

    `school_year` is the year the school year starts (2025 means 2025/2026).
    """

    __tablename__ = "academic_term"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="academic_term_dates"),
        Index(
            "uq_academic_term_live", "school_year", "number", unique=True, postgresql_where=text("archived_at IS NULL")
        ),
    )

    school_year: Mapped[int] = mapped_column(SmallInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # quarter | semester
    number: Mapped[int] = mapped_column(SmallInteger)
    starts_on: Mapped[datetime.date] = mapped_column()
    ends_on: Mapped[datetime.date] = mapped_column()
