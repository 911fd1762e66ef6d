from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from api.domain.bodies.rules import AssociationKind, BodyKind, CommissionKind, LeaderMethod, QuorumRule, UnionMemberKind
from api.domain.structure.schemas import Code, Email, Name, ShortName
from api.text import multi_line

Note = Annotated[str, multi_line(max_length=2000)]


class MemberInput(Struct, forbid_unknown_fields=True):
    staff_id: UUID
    starts_on: datetime.date | None = None  # today when left out
    ends_on: datetime.date | None = None  # the end of an elected term (councils)


class MembershipEnd(Struct, forbid_unknown_fields=True):
    left_on: datetime.date | None = None  # today when left out


class MembershipRead(Struct):
    id: UUID
    body_kind: BodyKind
    body_id: UUID
    staff_id: UUID
    full_name: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    left_on: datetime.date | None
    current: bool


class LeaderCreate(Struct, forbid_unknown_fields=True):
    """A leader elected (appointed) for at most one year (cl. 30): `ends_on` before the anniversary of `starts_on`."""

    staff_id: UUID
    method: LeaderMethod
    starts_on: datetime.date
    ends_on: datetime.date


class InterSchoolLeaderCreate(Struct, forbid_unknown_fields=True):
    """Appointed by the district (city) education department (cl. 30), for at most one year."""

    organisation_id: UUID
    staff_id: UUID
    starts_on: datetime.date
    ends_on: datetime.date


class LeaderEnd(Struct, forbid_unknown_fields=True):
    ended_on: datetime.date | None = None  # today when left out


class LeaderRead(Struct):
    id: UUID
    body_kind: BodyKind
    body_id: UUID
    staff_id: UUID | None
    member_organisation_id: UUID | None
    member_staff_id: UUID | None
    full_name: str
    method: LeaderMethod
    starts_on: datetime.date
    ends_on: datetime.date
    ended_on: datetime.date | None
    appointed_by: UUID | None
    in_office: bool
    days_left: int | None  # days until the term ends, while in office


# --- associations ------------------------------------------------------------------------------


class AssociationCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: AssociationKind
    subject_id: UUID | None = None  # required for kind `subject`
    unit_id: UUID | None = None  # the structural unit (of kind association) it is, if recorded
    quorum_rule: QuorumRule = QuorumRule.MORE_THAN_HALF
    note: Note | None = None
    members: Annotated[list[MemberInput], Meta(max_length=200)] = msgspec.field(default_factory=list)


class AssociationUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Kind and subject do not change: archive the association and form another."""

    name: Name | UnsetType = UNSET
    unit_id: UUID | None | UnsetType = UNSET
    quorum_rule: QuorumRule | UnsetType = UNSET
    note: Note | None | UnsetType = UNSET


class AssociationRead(Struct):
    id: UUID
    name: str
    kind: AssociationKind
    subject_id: UUID | None
    unit_id: UUID | None
    quorum_rule: QuorumRule
    note: str | None
    archived_at: datetime.datetime | None
    member_count: int
    leader: LeaderRead | None


# --- councils, the pedagogical council, commissions ---------------------------------------------


class CouncilCreate(Struct, forbid_unknown_fields=True):
    """The methodological council of the organisation (no `unit_id`) or of a unit (cl. 14, 32).

    Members are elected with terms: each member needs `ends_on`. Chair and secretary are members.
    """

    name: Name
    unit_id: UUID | None = None
    chair_staff_id: UUID | None = None
    secretary_staff_id: UUID | None = None
    quorum_rule: QuorumRule = QuorumRule.MORE_THAN_HALF
    acts_as_pedagogical_council: bool = False  # always refused: cl. 32
    members: Annotated[list[MemberInput], Meta(max_length=200)] = msgspec.field(default_factory=list)


class CouncilUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | UnsetType = UNSET
    chair_staff_id: UUID | None | UnsetType = UNSET
    secretary_staff_id: UUID | None | UnsetType = UNSET
    quorum_rule: QuorumRule | UnsetType = UNSET
    acts_as_pedagogical_council: bool | UnsetType = UNSET  # always refused when true: cl. 32


class PedagogicalCouncilCreate(Struct, forbid_unknown_fields=True):
    name: Name
    chair_staff_id: UUID | None = None
    secretary_staff_id: UUID | None = None
    quorum_rule: QuorumRule = QuorumRule.TWO_THIRDS
    members: Annotated[list[MemberInput], Meta(max_length=500)] = msgspec.field(default_factory=list)


class PedagogicalCouncilUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | UnsetType = UNSET
    chair_staff_id: UUID | None | UnsetType = UNSET
    secretary_staff_id: UUID | None | UnsetType = UNSET
    quorum_rule: QuorumRule | UnsetType = UNSET


class CouncilRead(Struct):
    id: UUID
    body_kind: BodyKind
    name: str
    unit_id: UUID | None
    chair_staff_id: UUID | None
    secretary_staff_id: UUID | None
    quorum_rule: QuorumRule
    archived_at: datetime.datetime | None
    member_count: int


class CommissionCreate(Struct, forbid_unknown_fields=True):
    """A subject or cycle commission or a department as a body; `unit_id` is its unit of the same kind."""

    name: Name
    kind: CommissionKind
    unit_id: UUID
    chair_staff_id: UUID | None = None
    secretary_staff_id: UUID | None = None
    quorum_rule: QuorumRule = QuorumRule.MORE_THAN_HALF
    members: Annotated[list[MemberInput], Meta(max_length=200)] = msgspec.field(default_factory=list)


class CommissionUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | UnsetType = UNSET
    chair_staff_id: UUID | None | UnsetType = UNSET
    secretary_staff_id: UUID | None | UnsetType = UNSET
    quorum_rule: QuorumRule | UnsetType = UNSET


class CommissionRead(Struct):
    id: UUID
    body_kind: BodyKind
    name: str
    kind: CommissionKind
    unit_id: UUID
    chair_staff_id: UUID | None
    secretary_staff_id: UUID | None
    quorum_rule: QuorumRule
    archived_at: datetime.datetime | None
    member_count: int


# --- the generic body view ---------------------------------------------------------------------


class BodyMemberRead(Struct):
    full_name: str
    staff_id: UUID | None
    organisation_id: UUID | None
    member_id: UUID | None
    term_ends_on: datetime.date | None


class BodyRead(Struct):
    kind: BodyKind
    id: UUID
    name: str
    subkind: str | None
    unit_id: UUID | None
    archived: bool
    quorum_rule: QuorumRule
    chair: BodyMemberRead | None
    secretary: BodyMemberRead | None
    leader_term_ends_on: datetime.date | None
    members: list[BodyMemberRead]


class BodyRefRead(Struct):
    kind: BodyKind
    id: UUID
    name: str


# --- inter-school associations -----------------------------------------------------------------


class InterSchoolCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: AssociationKind
    subject_code: Code | None = None  # required for kind `subject`
    subject_name: ShortName | None = None
    quorum_rule: QuorumRule = QuorumRule.MORE_THAN_HALF


class InterSchoolUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | UnsetType = UNSET
    subject_name: ShortName | None | UnsetType = UNSET
    quorum_rule: QuorumRule | UnsetType = UNSET


class InterSchoolRead(Struct):
    id: UUID
    name: str
    kind: AssociationKind
    subject_code: str | None
    subject_name: str | None
    territory_id: UUID
    quorum_rule: QuorumRule
    archived_at: datetime.datetime | None
    member_count: int
    leader: LeaderRead | None


class InterSchoolMemberCreate(Struct, forbid_unknown_fields=True):
    organisation_id: UUID  # a school of the cabinet's district
    staff_id: UUID  # a teacher of that school
    starts_on: datetime.date | None = None


class DistrictTeacherRead(Struct):
    staff_id: UUID
    full_name: str


class DistrictSchoolRead(Struct):
    """A school of the cabinet's district with its staff, to choose inter-school members from."""

    organisation_id: UUID
    name_kk: str
    name_ru: str
    name_en: str | None
    teachers: list[DistrictTeacherRead]


class DistrictSubjectRead(Struct):
    code: str
    name_kk: str
    name_ru: str
    name_en: str | None


class DistrictRead(Struct):
    """What an inter-school association of the district draws on: its schools with their staff,
    and the subjects those schools teach (an association of one subject names it by code)."""

    schools: list[DistrictSchoolRead]
    subjects: list[DistrictSubjectRead]


class InterSchoolMemberRead(Struct):
    id: UUID
    association_id: UUID
    organisation_id: UUID
    staff_id: UUID
    full_name: str
    starts_on: datetime.date
    left_on: datetime.date | None


# --- sector methodological unions --------------------------------------------------------------


class UnionCreate(Struct, forbid_unknown_fields=True):
    name: Name
    sector: Name
    description: Note | None = None
    quorum_rule: QuorumRule = QuorumRule.MORE_THAN_HALF


class UnionUpdate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | UnsetType = UNSET
    sector: Name | UnsetType = UNSET
    description: Note | None | UnsetType = UNSET
    quorum_rule: QuorumRule | UnsetType = UNSET
    chair_member_id: UUID | None | UnsetType = UNSET
    secretary_member_id: UUID | None | UnsetType = UNSET


class UnionRead(Struct):
    id: UUID
    name: str
    sector: str
    description: str | None
    quorum_rule: QuorumRule
    chair_member_id: UUID | None
    secretary_member_id: UUID | None
    archived_at: datetime.datetime | None
    member_count: int


class UnionMemberCreate(Struct, forbid_unknown_fields=True):
    """A member needs no account: `user_id` is optional. An education organisation's
    representative names the organisation (`organisation_id`)."""

    member_kind: UnionMemberKind
    full_name: Name
    represents: Name | None = None
    organisation_id: UUID | None = None
    user_id: UUID | None = None
    email: Email | None = None
    starts_on: datetime.date | None = None


class UnionMemberRead(Struct):
    id: UUID
    union_id: UUID
    member_kind: UnionMemberKind
    full_name: str
    represents: str | None
    organisation_id: UUID | None
    user_id: UUID | None
    email: str | None
    starts_on: datetime.date
    left_on: datetime.date | None
