"""The bodies of methodological work (tenant plane).

Local bodies — associations (cl. 25, 26), methodological councils of the organisation and of
its units (cl. 14, 32), the pedagogical council (kept apart, cl. 32), subject and cycle
commissions and departments — have their members in one table, `body_membership`, keyed by
(body_kind, body_id), so meetings and plans address every body the same way
(`api.domain.bodies.registry`).

Inter-school associations live in the schema of the district (city) methodological cabinet
they belong to (cl. 25, 30); their members are teachers of the district's schools, referred to
by (organisation_id, staff_id) with no foreign key into another tenant's schema.

Sector methodological unions (cl. 24) are republic-level: they live in the schema of the
republic methodological cabinet, the one tenant that stands for the whole republic, so no
organisation's own schema holds data about other organisations, employers or social partners.
Their members need no account.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.structure.models import Archivable
from api.planes import TenantBase

_LIVE = text("archived_at IS NULL")


class Association(Archivable, TenantBase):
    """A methodological association of one school (cl. 25, 26)."""

    __tablename__ = "association"

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), index=True)  # bodies.rules.AssociationKind
    subject_id: Mapped[UUID | None] = mapped_column(ForeignKey("subject.id"), index=True)
    unit_id: Mapped[UUID | None] = mapped_column(ForeignKey("unit.id"), index=True)
    quorum_rule: Mapped[str] = mapped_column(String(20), default="more_than_half")
    note: Mapped[str | None] = mapped_column(Text)


class Council(Archivable, TenantBase):
    """A council: the methodological council of the organisation (unit_id NULL) or of a unit
    (cl. 14, 32), or the pedagogical council (kind `pedagogical`), which is a body of its own
    and never the methodological council (cl. 32)."""

    __tablename__ = "council"
    __table_args__ = (
        CheckConstraint("kind IN ('methodological', 'pedagogical')", name="council_kind"),
        CheckConstraint("kind = 'methodological' OR unit_id IS NULL", name="council_pedagogical_is_organisation_level"),
        # One live organisation council, one per unit, one pedagogical council.
        Index(
            "uq_council_organisation_live",
            "kind",
            unique=True,
            postgresql_where=text("archived_at IS NULL AND unit_id IS NULL"),
        ),
        Index(
            "uq_council_unit_live",
            "unit_id",
            unique=True,
            postgresql_where=text("archived_at IS NULL AND unit_id IS NOT NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="methodological")
    unit_id: Mapped[UUID | None] = mapped_column(ForeignKey("unit.id"))
    chair_staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"))
    secretary_staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"))
    quorum_rule: Mapped[str] = mapped_column(String(20), default="more_than_half")


class Commission(Archivable, TenantBase):
    """A subject commission, a cycle commission or a department (кафедра) as a body: the
    collegial face of a unit of the same kind (cl. 10, 15)."""

    __tablename__ = "commission"
    __table_args__ = (
        CheckConstraint("kind IN ('subject_commission', 'cycle_commission', 'department')", name="commission_kind"),
        Index("uq_commission_unit_live", "unit_id", unique=True, postgresql_where=_LIVE),
    )

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    unit_id: Mapped[UUID] = mapped_column(ForeignKey("unit.id"))
    chair_staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"))
    secretary_staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"))
    quorum_rule: Mapped[str] = mapped_column(String(20), default="more_than_half")


class BodyMembership(TenantBase):
    """A person's membership of a local body, with its term. Ending it keeps the row (history)."""

    __tablename__ = "body_membership"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="body_membership_term"),
        Index("ix_body_membership_body", "body_kind", "body_id"),
        Index(
            "uq_body_membership_live",
            "body_kind",
            "body_id",
            "staff_id",
            unique=True,
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    body_kind: Mapped[str] = mapped_column(String(40))
    body_id: Mapped[UUID] = mapped_column()
    staff_id: Mapped[UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    starts_on: Mapped[datetime.date] = mapped_column()
    ends_on: Mapped[datetime.date | None] = mapped_column()  # end of an elected term
    left_on: Mapped[datetime.date | None] = mapped_column()  # the membership was ended


class LeaderTerm(TenantBase):
    """A leader of an association or an inter-school association for at most one year (cl. 30).

    A local leader is a `staff_id`; an inter-school leader is a teacher of a school of the
    district, `(member_organisation_id, member_staff_id)`, with no foreign key. Rows are kept
    after the term: they are the history of leaders.
    """

    __tablename__ = "leader_term"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="leader_term_dates"),
        CheckConstraint("ends_on < starts_on + interval '1 year'", name="leader_term_at_most_one_year"),
        CheckConstraint("method IN ('elected', 'appointed')", name="leader_term_method"),
        CheckConstraint(
            "(staff_id IS NOT NULL) <> (member_staff_id IS NOT NULL AND member_organisation_id IS NOT NULL)",
            name="leader_term_one_person",
        ),
        Index("ix_leader_term_body", "body_kind", "body_id"),
    )

    body_kind: Mapped[str] = mapped_column(String(40))
    body_id: Mapped[UUID] = mapped_column()
    staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"), index=True)
    member_organisation_id: Mapped[UUID | None] = mapped_column()
    member_staff_id: Mapped[UUID | None] = mapped_column()
    full_name: Mapped[str] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[datetime.date] = mapped_column()
    ends_on: Mapped[datetime.date] = mapped_column()
    ended_on: Mapped[datetime.date | None] = mapped_column()  # ended before its term
    appointed_by: Mapped[UUID | None] = mapped_column()  # the shared user who recorded it


class InterSchoolAssociation(Archivable, TenantBase):
    """An inter-school association of a district (city) methodological cabinet (cl. 25, 30)."""

    __tablename__ = "inter_school_association"

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # Subjects are catalogued per school; the association names its subject by code and name.
    subject_code: Mapped[str | None] = mapped_column(String(60))
    subject_name: Mapped[str | None] = mapped_column(String(200))
    territory_id: Mapped[UUID] = mapped_column()  # the cabinet's district, control plane by id
    quorum_rule: Mapped[str] = mapped_column(String(20), default="more_than_half")


class InterSchoolMember(TenantBase):
    """A teacher of a district school in an inter-school association: (organisation, staff)."""

    __tablename__ = "inter_school_member"
    __table_args__ = (
        Index(
            "uq_inter_school_member_live",
            "association_id",
            "organisation_id",
            "staff_id",
            unique=True,
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    association_id: Mapped[UUID] = mapped_column(ForeignKey("inter_school_association.id"), index=True)
    organisation_id: Mapped[UUID] = mapped_column()
    staff_id: Mapped[UUID] = mapped_column()
    full_name: Mapped[str] = mapped_column(String(300))  # as it was when the member joined
    starts_on: Mapped[datetime.date] = mapped_column()
    left_on: Mapped[datetime.date | None] = mapped_column()


class SectorUnion(Archivable, TenantBase):
    """A sector methodological union (cl. 24), kept by the republic methodological cabinet."""

    __tablename__ = "sector_union"

    name: Mapped[str] = mapped_column(String(300))
    sector: Mapped[str] = mapped_column(String(300))  # a group of specialities or disciplines
    description: Mapped[str | None] = mapped_column(Text)
    chair_member_id: Mapped[UUID | None] = mapped_column()
    secretary_member_id: Mapped[UUID | None] = mapped_column()
    quorum_rule: Mapped[str] = mapped_column(String(20), default="more_than_half")


class UnionMember(TenantBase):
    """A member of a sector union: an education organisation's representative, an employer, a
    social partner; with or without an account."""

    __tablename__ = "union_member"
    __table_args__ = (
        CheckConstraint(
            "member_kind IN ('education_organisation', 'employer', 'social_partner')", name="union_member_kind"
        ),
    )

    union_id: Mapped[UUID] = mapped_column(ForeignKey("sector_union.id"), index=True)
    member_kind: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(300))
    represents: Mapped[str | None] = mapped_column(String(300))  # organisation or company name
    organisation_id: Mapped[UUID | None] = mapped_column()  # an education organisation, by id
    user_id: Mapped[UUID | None] = mapped_column()  # a shared user account, when there is one
    email: Mapped[str | None] = mapped_column(String(320))
    starts_on: Mapped[datetime.date] = mapped_column()
    left_on: Mapped[datetime.date | None] = mapped_column()
