"""Kinds of bodies and the rules that hold whatever service touches them (cl. 24-26, 30, 32)."""

from __future__ import annotations

import datetime
import enum
from fractions import Fraction


class BodyKind(enum.StrEnum):
    """Every body a meeting, a plan or an event can belong to: (body_kind, body_id)."""

    ASSOCIATION = "association"
    COUNCIL = "council"  # a methodological council, of the organisation or of a unit
    PEDAGOGICAL_COUNCIL = "pedagogical_council"
    COMMISSION = "commission"  # subject or cycle commission
    DEPARTMENT = "department"  # кафедра
    INTER_SCHOOL_ASSOCIATION = "inter_school_association"
    UNION = "union"  # sector methodological union (cl. 24)


class AssociationKind(enum.StrEnum):
    """Cl. 25: whom a (school or inter-school) association gathers."""

    SUBJECT = "subject"  # teachers of one general-education subject
    PRIMARY_GRADES = "primary_grades"  # teachers of grades 1-4
    CLASS_TEACHERS = "class_teachers"
    PRESCHOOL_EDUCATORS = "preschool_educators"
    BOARDING_EDUCATORS = "boarding_educators"


class CommissionKind(enum.StrEnum):
    SUBJECT_COMMISSION = "subject_commission"
    CYCLE_COMMISSION = "cycle_commission"
    DEPARTMENT = "department"


class LeaderMethod(enum.StrEnum):
    ELECTED = "elected"
    APPOINTED = "appointed"


class UnionMemberKind(enum.StrEnum):
    EDUCATION_ORGANISATION = "education_organisation"
    EMPLOYER = "employer"
    SOCIAL_PARTNER = "social_partner"


class QuorumRule(enum.StrEnum):
    """How many members make a meeting quorate; configurable per body."""

    MORE_THAN_HALF = "more_than_half"  # the default
    TWO_THIRDS = "two_thirds"
    ALL = "all"

    @property
    def share(self) -> Fraction:
        return {"more_than_half": Fraction(1, 2), "two_thirds": Fraction(2, 3), "all": Fraction(1)}[self.value]

    def is_met(self, present: int, members: int) -> bool:
        if members <= 0:
            return False
        if self is QuorumRule.MORE_THAN_HALF:
            return Fraction(present, members) > self.share
        return Fraction(present, members) >= self.share


# The refusal of a decision or a conclusion taken at a meeting without its quorum; the template is
# in api.i18n.MESSAGE_TEMPLATES, so it is translated with its values.
NO_QUORUM = (
    "No quorum: {present} of {members} members present, {required} needed. "
    "A decision is recorded only when the meeting has a quorum."
)


# Cl. 26: a subject association in a school needs at least this many teachers of the subject.
MIN_SUBJECT_TEACHERS = 3


def one_year_after(start: datetime.date) -> datetime.date:
    """The anniversary of `start` (29 February goes to 28 February)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return start.replace(year=start.year + 1, day=28)


def last_day_of_one_year_term(start: datetime.date) -> datetime.date:
    """Cl. 30: a leader is elected (appointed) for one year: the term ends before the anniversary."""
    return one_year_after(start) - datetime.timedelta(days=1)
