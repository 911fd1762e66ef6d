"""The quorum of a meeting: members present against the body's members on the day it met.

One reading for the meeting's own decisions (`MeetingService`) and for a conclusion a body gives
on a document at that meeting (the review service): the Rules leave the quorum to the body's
regulation (cl. 11, 14), so each body carries its own rule (`quorum_rule`), and where the
regulation says nothing the product applies more than half of the members (docs/rules.md).
Guests do not count; a body without members never has a quorum.
"""

from __future__ import annotations

import datetime
import math

from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import date_of
from api.domain.bodies import registry
from api.domain.bodies.registry import BodyInfo, QuorumRule
from api.domain.bodies.rules import NO_QUORUM
from api.domain.meetings.members import body_member_keys, member_key
from api.domain.meetings.models import Meeting
from api.domain.meetings.schemas import QuorumRead
from api.errors import DomainError, NotFound


def meeting_day(meeting: Meeting) -> datetime.date:
    return date_of(meeting.starts_at)


def required_present(rule: QuorumRule, members: int) -> int:
    """How many members must be present for `rule` to hold with `members` members."""
    if members <= 0:
        return 1
    if rule is QuorumRule.MORE_THAN_HALF:
        return members // 2 + 1
    return math.ceil(rule.share * members)


def quorum_read(meeting: Meeting, body: BodyInfo | None) -> QuorumRead:
    """`body` as it stood on the day of the meeting (members come and go)."""
    # Counted here from the attendance and the body, not read from a row: so built field by field.
    if body is None:
        return QuorumRead(rule=QuorumRule.MORE_THAN_HALF.value, members=0, present_members=0, required=1, met=False)
    members = body_member_keys(body)
    present = sum(
        1
        for a in meeting.attendance
        if a.present
        and member_key(meeting.body_kind, staff_id=a.staff_id, organisation_id=a.organisation_id, member_id=a.member_id)
        in members
    )
    count = len(body.members)
    return QuorumRead(
        rule=body.quorum_rule.value,
        members=count,
        present_members=present,
        required=required_present(body.quorum_rule, count),
        met=body.quorum_met(present),
    )


async def quorum_of_meeting(session: AsyncSession, meeting: Meeting) -> QuorumRead:
    try:
        body = await registry.get_body(session, meeting.body_kind, meeting.body_id, on=meeting_day(meeting))
    except (NotFound, DomainError):
        body = None
    return quorum_read(meeting, body)


def refusal(quorum: QuorumRead, field: str) -> DomainError:
    """The refusal of a decision taken without a quorum (the caller checked `quorum.met` is false)."""
    if quorum.members == 0:
        return DomainError("No quorum: the body has no members, so it cannot decide.", field=field)
    return DomainError(
        NO_QUORUM.format(present=quorum.present_members, members=quorum.members, required=quorum.required),
        field=field,
    )
